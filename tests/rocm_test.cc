// ROCm planning: matrix archs and messages, HIP flags, the hipify + compile + link plan, the
// Ninja edges and the dry run, with the toolchains of the fixtures (tests/data/rocm-torch,
// tests/data/rocm-6.4) and of Debian's hipcc 5.2, as plain values (docs/rocm.md).

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/ninja_file.h"
#include "kb/build_plan.h"
#include "kb/json_output.h"
#include "kb/matrix.h"
#include "kb/native_backend.h"
#include "src/flags.h"

namespace kb {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

using Strings = std::vector<std::string>;

bool has_run(const Strings& argv, const Strings& seq) {
  return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end();
}

Located at(std::string v) { return Located{std::move(v), {"/k/build.toml", 20, 8}}; }

// The relu example's shape, with a header, a host .cpp and a .hip file in the rocm section.
Config rocm_config(Strings archs = {"gfx90a", "gfx942"}) {
  Config c;
  c.path = "/k/build.toml";
  c.name = "relu";
  c.license = "Apache-2.0";
  c.backends = {Backend::rocm};
  c.torch.src = {at("torch-ext/torch_binding.cpp"), at("torch-ext/torch_binding.h")};
  KernelSection k;
  k.name = "relu_rocm";
  k.backend = Backend::rocm;
  k.loc = {"/k/build.toml", 17, 1};
  k.src = {at("relu_cuda/relu.cu"),    at("relu_cuda/relu.cuh"),  at("common/float_bits.h"),
           at("relu_cuda/launch.cpp"), at("relu_cuda/extra.hip"), at("relu_cuda/README.md")};
  k.include = {"relu_cuda"};
  k.hip_flags = {"-ffast-math"};
  k.cxx_flags = {"-Wno-unused"};
  std::vector<Located> a;
  for (auto& s : archs) a.push_back(at(s));
  k.rocm_archs = a;
  c.kernels = {k};
  return c;
}

// tests/data/rocm-torch as kb's probe reports it (moved to /fx for short paths).
TorchInstall fixture_torch(const char* version_string = "2.11.0+rocm6.4", const char* hip = "6.4") {
  TorchInstall t;
  t.python = "/fx/rocm-torch/bin/python";
  t.version_string = version_string;
  t.version = *Version::parse("2.11.0");
  t.hip = *Version::parse(hip);
  t.root = "/fx/rocm-torch/lib/python3/site-packages/torch";
  t.include_dirs = {t.root + "/include", t.root + "/include/torch/csrc/api/include"};
  t.lib_dir = t.root + "/lib";
  t.python_include_dir = "/usr/include/python3.11";
  t.python_version = "3.11";
  return t;
}

// tests/data/rocm-6.4, the fake ROCm 6.4 toolkit.
RocmToolkit fixture_rocm64() {
  RocmToolkit r;
  r.root = "/fx/rocm-6.4";
  r.hipcc = "/fx/rocm-6.4/bin/hipcc";
  r.clang = "/fx/rocm-6.4/lib/llvm/bin/clang++";
  r.version = *Version::parse("6.4");
  r.hip_version = "6.4.43482-0";
  r.gfx_targets = {"gfx906",  "gfx908",  "gfx90a",  "gfx942", "gfx1030",
                   "gfx1100", "gfx1101", "gfx1200", "gfx1201"};
  r.device_lib_path = "/fx/rocm-6.4/amdgcn/bitcode";
  return r;
}

// Debian 12's hipcc 5.2 as `kb toolchains` reports it (targets abridged: those that matter).
RocmToolkit debian_rocm52() {
  RocmToolkit r;
  r.root = "/usr";
  r.hipcc = "/usr/bin/hipcc";
  r.clang = "/usr/bin/clang++-15";
  r.version = *Version::parse("5.2");
  r.hip_version = "5.2.21153-0";
  r.gfx_targets = {"gfx900", "gfx906", "gfx908", "gfx90a", "gfx90c", "gfx940", "gfx1030"};
  r.device_lib_path = "/usr/lib/x86_64-linux-gnu/amdgcn/bitcode";
  return r;
}

Toolchains fixture_toolchains() {
  Toolchains tc;
  tc.torches = {fixture_torch()};
  tc.rocm = {fixture_rocm64()};
  tc.cxx = HostCompiler{"/usr/bin/g++", "12.2.0", {}};
  return tc;
}

Toolchains debian_toolchains() {
  Toolchains tc;
  tc.torches = {fixture_torch("2.11.0+rocm5.2", "5.2")};
  tc.rocm = {debian_rocm52()};
  tc.cxx = HostCompiler{"/usr/bin/g++", "12.2.0", {}};
  return tc;
}

BuildOptions options() {
  BuildOptions o;
  o.kernel_dir = "/k";
  o.build_dir = "/k/build";
  o.unique_id = "abc1234";
  o.kb_path = "/bin/kb";
  return o;
}

Result<BuildPlan> plan(const Config& c, const Toolchains& tc) {
  auto m = make_matrix(c, tc);
  if (!m) return m.take_errors();
  return make_build_plan(c, tc, *m, options(), {"__init__.py"});
}

const CompileStep* find_step(const VariantBuild& vb, const std::string& suffix) {
  for (const auto& s : vb.compiles)
    if (s.object.size() >= suffix.size() &&
        s.object.compare(s.object.size() - suffix.size(), suffix.size(), suffix) == 0)
      return &s;
  return nullptr;
}

// ---- matrix ----

TEST(RocmMatrix, FixtureVariantAndArchs) {
  auto m = make_matrix(rocm_config(), fixture_toolchains());
  ASSERT_TRUE(m.ok()) << format_error(m.errors().list[0]);
  ASSERT_EQ(m->variants.size(), 1u);
  const Variant& v = m->variants[0];
  EXPECT_EQ(v.name, "torch211-cxx11-rocm64-x86_64-linux");
  EXPECT_EQ(v.backend, Backend::rocm);
  ASSERT_EQ(v.sections.size(), 1u);
  EXPECT_THAT(v.sections[0].archs, ElementsAre("gfx90a", "gfx942"));
  EXPECT_THAT(v.sections[0].notes, IsEmpty());
}

TEST(RocmMatrix, TargetTheCompilerCannotBuildIsANoteNamingCompilerAndSection) {
  auto m = make_matrix(rocm_config(), debian_toolchains());
  ASSERT_TRUE(m.ok()) << format_error(m.errors().list[0]);
  ASSERT_EQ(m->variants.size(), 1u);
  const Variant& v = m->variants[0];
  EXPECT_EQ(v.name, "torch211-cxx11-rocm52-x86_64-linux");
  EXPECT_THAT(v.sections[0].archs, ElementsAre("gfx90a"));
  ASSERT_EQ(v.sections[0].notes.size(), 1u);
  const std::string& note = v.sections[0].notes[0];
  EXPECT_THAT(note, HasSubstr("gfx942: not supported by the HIP compiler"));
  EXPECT_THAT(note, HasSubstr("/usr/bin/clang++-15 of ROCm 5.2, HIP 5.2.21153-0"));
  EXPECT_THAT(note, HasSubstr("/usr/lib/x86_64-linux-gnu/amdgcn/bitcode has no gfx942"));
  // `kb matrix --all` shows it under the variant, with the section.
  EXPECT_THAT(matrix_to_text(*m, true),
              HasSubstr("torch211-cxx11-rocm52-x86_64-linux\n  note: [kernel.relu_rocm] gfx942: "
                        "not supported by the HIP compiler (/usr/bin/clang++-15"));
  EXPECT_EQ(matrix_to_text(*m, false), "torch211-cxx11-rocm52-x86_64-linux\n");
}

TEST(RocmMatrix, OnlyUnbuildableTargetsIsAnErrorNamingSectionAndCompiler) {
  auto m = make_matrix(rocm_config({"gfx942"}), debian_toolchains());
  ASSERT_FALSE(m.ok());
  const Error& e = m.errors().list.at(0);
  EXPECT_THAT(e.message, HasSubstr("ROCm kernel relu_rocm: empty set of architectures"));
  EXPECT_THAT(e.message, HasSubstr("/usr/bin/clang++-15 of ROCm 5.2"));
  EXPECT_EQ(e.loc->line, 17);
}

// ---- flags ----

class RocmFlags : public ::testing::Test {
 protected:
  Config config = rocm_config();
  Toolchains tc = fixture_toolchains();
  FlagContext ctx = [this] {
    FlagContext c;
    c.backend = Backend::rocm;
    c.cxx = "/usr/bin/g++";
    c.torch = &tc.torches[0];
    c.rocm = &tc.rocm[0];
    c.kernel_dir = "/k";
    c.generated_include_dir = "/w/gen";
    c.extension_name = "_relu_rocm_abc1234";
    return c;
  }();
};

TEST_F(RocmFlags, HipCompileOfAHipifiedCudaSource) {
  auto argv = hip_compile_argv(
      ctx, config.kernels[0], {"gfx90a", "gfx942"}, {"/w/hip", "/k/relu_cuda", true},
      {"/w/hip/relu_cuda/relu.hip", "/w/obj/relu_cuda/relu.cu.o", "/w/obj/relu_cuda/relu.cu.o.d"});
  const std::string t = "/fx/rocm-torch/lib/python3/site-packages/torch";
  EXPECT_EQ(argv, (Strings{"/fx/rocm-6.4/lib/llvm/bin/clang++",
                           "-x",
                           "hip",
                           "-std=c++17",
                           "-O3",
                           "-DNDEBUG",
                           "-fPIC",
                           "-fno-gpu-rdc",
                           "--rocm-path=/fx/rocm-6.4",
                           "--rocm-device-lib-path=/fx/rocm-6.4/amdgcn/bitcode",
                           "--hip-version=6.4.43482",
                           "--offload-arch=gfx90a",
                           "--offload-arch=gfx942",
                           "-DUSE_ROCM=1",
                           "-DROCM_KERNEL",
                           "-D__HIP_PLATFORM_AMD__=1",
                           "-DPy_LIMITED_API=0x03090000",
                           "-DTORCH_EXTENSION_NAME=_relu_rocm_abc1234",
                           "-I/w/hip/relu_cuda",
                           "-I/k/relu_cuda",
                           "-I/w/hip/csrc",
                           "-I/k/csrc",
                           "-iquote",
                           "/k/relu_cuda",
                           "-isystem",
                           t + "/include",
                           "-isystem",
                           t + "/include/torch/csrc/api/include",
                           "-isystem",
                           "/usr/include/python3.11",
                           "-include",
                           "hip/hip_runtime.h",
                           "-ffast-math",
                           "-MD",
                           "-MF",
                           "/w/obj/relu_cuda/relu.cu.o.d",
                           "-c",
                           "/w/hip/relu_cuda/relu.hip",
                           "-o",
                           "/w/obj/relu_cuda/relu.cu.o"}));
  EXPECT_THAT(argv, Not(Contains("-fno-gnu-unique")));  // clang rejects it
}

TEST_F(RocmFlags, HipFileCompiledInPlaceGetsNoForcedIncludeNorIquote) {
  auto argv = hip_compile_argv(ctx, config.kernels[0], {"gfx90a"}, {"/w/hip", "", false},
                               {"/k/relu_cuda/extra.hip", "/w/o.o", "/w/o.o.d"});
  EXPECT_THAT(argv, Not(Contains("-include")));
  EXPECT_THAT(argv, Not(Contains("-iquote")));
  EXPECT_THAT(argv, Contains("-I/w/hip/relu_cuda"));
}

TEST_F(RocmFlags, StableAbiAndCxx20ReachHipCompiles) {
  TorchInstall t212 = tc.torches[0];
  t212.version = *Version::parse("2.12");
  ctx.torch = &t212;
  ctx.stable_abi = *Version::parse("2.11");
  auto argv =
      hip_compile_argv(ctx, config.kernels[0], {"gfx90a"}, {}, {"/s.hip", "/o.o", "/o.o.d"});
  EXPECT_THAT(argv, Contains("-std=c++20"));
  EXPECT_THAT(argv, Contains("-DTORCH_TARGET_VERSION=0x20b000000000000"));
}

TEST_F(RocmFlags, HostTusSeeHipPlatformAndRocmHeaders) {
  auto binding = binding_compile_argv(ctx, config.torch, {"/k/b.cpp", "/w/b.o", "/w/b.o.d"});
  EXPECT_THAT(binding, Contains("-D__HIP_PLATFORM_AMD__=1"));
  EXPECT_TRUE(has_run(binding, {"-isystem", "/fx/rocm-6.4/include"}));
  EXPECT_THAT(binding, Contains("-fno-gnu-unique"));
  auto launch = kernel_cxx_compile_argv(ctx, config.kernels[0], {"/k/l.cpp", "/w/l.o", "/w/l.o.d"});
  EXPECT_TRUE(has_run(launch, {"-DUSE_ROCM=1", "-DROCM_KERNEL", "-D__HIP_PLATFORM_AMD__=1"}));
  EXPECT_TRUE(has_run(launch, {"-isystem", "/fx/rocm-6.4/include"}));
  EXPECT_THAT(launch, Contains("-Wno-unused"));
}

TEST_F(RocmFlags, LinkAddsTorchHipLibrariesAndTheHipRuntime) {
  auto argv = link_argv(ctx, {"/w/a.o"}, "/w/x.abi3.so");
  EXPECT_EQ(argv,
            (Strings{"/usr/bin/g++", "-shared", "-o", "/w/x.abi3.so", "/w/a.o", "-lgcc",
                     "-Wl,--push-state,--no-as-needed", "-l:libdl.so.2", "-l:libpthread.so.0",
                     "-Wl,--pop-state", "-L/fx/rocm-torch/lib/python3/site-packages/torch/lib",
                     "-lc10", "-ltorch", "-ltorch_cpu", "-lc10_hip", "-ltorch_hip",
                     "-L/fx/rocm-6.4/lib", "-lamdhip64"}));
}

TEST_F(RocmFlags, DebianPrefixUsrIsNeitherIncludedNorSearched) {
  RocmToolkit deb = debian_rocm52();
  ctx.rocm = &deb;
  auto binding = binding_compile_argv(ctx, config.torch, {"/k/b.cpp", "/w/b.o", "/w/b.o.d"});
  EXPECT_THAT(binding, Not(Contains("/usr/include")));
  auto link = link_argv(ctx, {"/w/a.o"}, "/w/x.abi3.so");
  EXPECT_THAT(link, Not(Contains("-L/usr/lib")));
  EXPECT_EQ(link.back(), "-lamdhip64");
  EXPECT_EQ(rocm_path_flags(deb),
            (Strings{"--rocm-path=/usr",
                     "--rocm-device-lib-path=/usr/lib/x86_64-linux-gnu/amdgcn/bitcode",
                     "--hip-version=5.2.21153"}));
}

TEST(RocmFlagsPure, SmallPieces) {
  EXPECT_EQ(classify_source("k.hip"), SourceKind::hip);
  EXPECT_EQ(offload_arch_flags({"gfx90a", "gfx1100"}),
            (Strings{"--offload-arch=gfx90a", "--offload-arch=gfx1100"}));
  EXPECT_EQ(hipify_argv("/bin/kb", "/k/a.cu", "/w/hip/a.hip"),
            (Strings{"/bin/kb", "internal-hipify", "/k/a.cu", "/w/hip/a.hip"}));
  RocmToolkit r;
  r.root = "/opt/rocm";
  r.device_lib_path = "/opt/rocm/amdgcn/bitcode";
  EXPECT_EQ(rocm_path_flags(r).size(), 2u);  // no HIP version known: no --hip-version
}

// ---- plan ----

TEST(RocmPlan, HipifyCompileAndLinkOfTheFixtureVariant) {
  auto p = plan(rocm_config(), fixture_toolchains());
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  ASSERT_EQ(p->variants.size(), 1u);
  const VariantBuild& vb = p->variants[0];
  const std::string w = "/k/build/.kb/torch211-cxx11-rocm64-x86_64-linux";
  EXPECT_EQ(vb.work_dir, w);
  EXPECT_EQ(vb.ops_name, "_relu_rocm_abc1234");

  // One hipify step per CUDA source and header of the section; .cpp, .hip, .md are not.
  ASSERT_EQ(vb.hipify.size(), 3u);
  EXPECT_EQ(vb.hipify[0].source, "/k/relu_cuda/relu.cu");
  EXPECT_EQ(vb.hipify[0].output, w + "/hip/relu_cuda/relu.hip");
  EXPECT_EQ(vb.hipify[0].argv, (Strings{"/bin/kb", "internal-hipify", "/k/relu_cuda/relu.cu",
                                        w + "/hip/relu_cuda/relu.hip"}));
  EXPECT_EQ(vb.hipify[0].description,
            "HIPIFY torch211-cxx11-rocm64-x86_64-linux relu_cuda/relu.cu");
  EXPECT_EQ(vb.hipify[1].output, w + "/hip/relu_cuda/relu.cuh");
  EXPECT_EQ(vb.hipify[2].output, w + "/hip/common/float_bits.h");

  ASSERT_EQ(vb.compiles.size(), 5u);  // binding, relu.cu, launch.cpp, extra.hip, compat
  const CompileStep* cu = find_step(vb, "/obj/relu_cuda/relu.cu.o");
  const CompileStep* hip = find_step(vb, "/obj/relu_cuda/extra.hip.o");
  const CompileStep* launch = find_step(vb, "/obj/relu_cuda/launch.cpp.o");
  const CompileStep* binding = find_step(vb, "/obj/torch-ext/torch_binding.cpp.o");
  ASSERT_TRUE(cu && hip && launch && binding);

  EXPECT_EQ(cu->tool, CompileStep::Tool::hip);
  EXPECT_EQ(cu->source, w + "/hip/relu_cuda/relu.hip");  // compiles the hipified copy
  EXPECT_EQ(cu->depfile, cu->object + ".d");
  EXPECT_EQ(cu->description, "HIP torch211-cxx11-rocm64-x86_64-linux relu_cuda/relu.cu");
  EXPECT_EQ(cu->order_only,
            (Strings{w + "/hip/relu_cuda/relu.cuh", w + "/hip/common/float_bits.h"}));
  EXPECT_TRUE(has_run(cu->argv, {"--offload-arch=gfx90a", "--offload-arch=gfx942"}));
  EXPECT_TRUE(has_run(cu->argv, {"-iquote", "/k/relu_cuda"}));
  EXPECT_TRUE(has_run(cu->argv, {"-I" + w + "/hip/relu_cuda", "-I/k/relu_cuda"}));
  EXPECT_TRUE(has_run(cu->argv, {"-c", w + "/hip/relu_cuda/relu.hip", "-o", cu->object}));
  // Not late-bound: the ops name on every TU, as the reference defines it target-wide.
  EXPECT_TRUE(cu->uses_unique_id);
  EXPECT_THAT(cu->argv, Contains("-DTORCH_EXTENSION_NAME=_relu_rocm_abc1234"));
  EXPECT_TRUE(has_run(cu->argv, {"-I" + w + "/hip/csrc", "-I/k/csrc"}));

  EXPECT_EQ(hip->tool, CompileStep::Tool::hip);
  EXPECT_EQ(hip->source, "/k/relu_cuda/extra.hip");  // already HIP: compiled in place
  EXPECT_EQ(hip->order_only, cu->order_only);
  EXPECT_THAT(hip->argv, Not(Contains("-include")));

  EXPECT_EQ(launch->tool, CompileStep::Tool::cxx);
  EXPECT_EQ(launch->source, "/k/relu_cuda/launch.cpp");
  EXPECT_THAT(launch->order_only, IsEmpty());
  EXPECT_EQ(binding->tool, CompileStep::Tool::cxx);
  EXPECT_TRUE(binding->uses_unique_id);
  EXPECT_THAT(binding->argv, Contains("-DTORCH_EXTENSION_NAME=_relu_rocm_abc1234"));

  ASSERT_TRUE(vb.link);
  EXPECT_EQ(vb.link->output, w + "/_relu_rocm_abc1234.abi3.so");
  EXPECT_TRUE(
      has_run(vb.link->argv, {"-lc10_hip", "-ltorch_hip", "-L/fx/rocm-6.4/lib", "-lamdhip64"}));
  for (const auto& c : vb.compiles) EXPECT_THAT(vb.link->argv, Contains(c.object));

  auto meta = nlohmann::json::parse(vb.metadata_json);
  EXPECT_EQ(meta["backend"]["type"], "rocm");
  EXPECT_EQ(meta["backend"]["archs"], nlohmann::json({"gfx90a", "gfx942"}));
  EXPECT_EQ(meta["id"], "_relu_rocm_abc1234");
}

TEST(RocmPlan, HeaderSharedBySectionsIsHipifiedOnceAndSameSourceTwiceIsAnError) {
  Config c = rocm_config();
  KernelSection other = c.kernels[0];
  other.name = "other_rocm";
  other.src = {at("common/float_bits.h"), at("other/k.cu")};
  c.kernels.push_back(other);
  auto p = plan(c, fixture_toolchains());
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  const VariantBuild& vb = p->variants[0];
  EXPECT_EQ(vb.hipify.size(), 4u);  // relu.cu, relu.cuh, float_bits.h, other/k.cu
  EXPECT_EQ(std::count_if(vb.hipify.begin(), vb.hipify.end(),
                          [](const HipifyStep& h) { return h.source == "/k/common/float_bits.h"; }),
            1);

  // A source in both sections is hipified and compiled once, for the union of their archs.
  c.kernels[1].src.push_back(at("relu_cuda/relu.cu"));
  c.kernels[1].rocm_archs = std::vector<Located>{at("gfx1100"), at("gfx90a")};
  auto shared = plan(c, fixture_toolchains());
  ASSERT_TRUE(shared.ok()) << format_error(shared.errors().list[0]);
  const VariantBuild& sv = shared->variants[0];
  EXPECT_EQ(
      std::count_if(sv.compiles.begin(), sv.compiles.end(),
                    [](const CompileStep& s) { return s.source.ends_with("/relu_cuda/relu.hip"); }),
      1);
  const CompileStep* cu = find_step(sv, "/obj/relu_cuda/relu.cu.o");
  ASSERT_TRUE(cu);
  EXPECT_TRUE(has_run(
      cu->argv, {"--offload-arch=gfx90a", "--offload-arch=gfx942", "--offload-arch=gfx1100"}));
}

TEST(RocmPlan, DebianToolkitPlansForWhatItCanBuild) {
  auto p = plan(rocm_config(), debian_toolchains());
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  const VariantBuild& vb = p->variants[0];
  EXPECT_EQ(vb.variant.name, "torch211-cxx11-rocm52-x86_64-linux");
  const CompileStep* cu = find_step(vb, "/obj/relu_cuda/relu.cu.o");
  ASSERT_TRUE(cu);
  EXPECT_EQ(cu->argv[0], "/usr/bin/clang++-15");
  EXPECT_THAT(cu->argv, Contains("--offload-arch=gfx90a"));
  EXPECT_THAT(cu->argv, Not(Contains("--offload-arch=gfx942")));
  auto meta = nlohmann::json::parse(vb.metadata_json);
  EXPECT_EQ(meta["backend"]["archs"], nlohmann::json({"gfx90a"}));
}

TEST(RocmPlan, ToolkitWithoutClangIsAnError) {
  Toolchains tc = fixture_toolchains();
  tc.rocm[0].clang.clear();
  auto p = plan(rocm_config(), tc);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.errors().list[0].message, HasSubstr("has no HIP clang"));
}

// ---- ninja and dry run ----

TEST(RocmNinja, HipifyEdgesRuleAndOrderOnlyHeaders) {
  auto p = plan(rocm_config(), fixture_toolchains());
  ASSERT_TRUE(p.ok());
  native::NinjaOptions o{.build_dir = "/k/build",
                         .kernel_dir = "/k",
                         .kb_path = "/bin/kb",
                         .build_toml = "/k/build.toml"};
  native::NinjaFiles files = *native::render_ninja(*p, o);
  const std::string w = "/k/build/.kb/torch211-cxx11-rocm64-x86_64-linux";
  EXPECT_THAT(files.top.text,
              HasSubstr("rule hipify\n  command = $cmd\n  description = $desc\n  restat = 1\n"));
  EXPECT_THAT(files.top.text,
              HasSubstr("build " + w + "/obj/relu_cuda/relu.cu.o: hip " + w +
                        "/hip/relu_cuda/relu.hip || " + w + "/hip/relu_cuda/relu.cuh " + w +
                        "/hip/common/float_bits.h\n"));
  ASSERT_EQ(files.variants.size(), 1u);
  EXPECT_THAT(files.variants[0].text,
              HasSubstr("build " + w +
                        "/hip/relu_cuda/relu.hip: hipify /k/relu_cuda/relu.cu | /bin/kb\n"
                        "  cmd = /bin/kb internal-hipify /k/relu_cuda/relu.cu " +
                        w +
                        "/hip/relu_cuda/relu.hip\n"
                        "  desc = HIPIFY torch211-cxx11-rocm64-x86_64-linux relu_cuda/relu.cu\n"));
  EXPECT_THAT(files.variants[0].text, HasSubstr("build " + w + "/hip/common/float_bits.h: hipify"));
}

TEST(RocmNinja, PlansWithoutRocmHaveNoHipifyRule) {
  Config c = rocm_config();
  c.backends = {Backend::cpu};
  c.kernels[0].backend = Backend::cpu;
  c.kernels[0].src = {at("relu_cpu/relu.cpp")};
  c.kernels[0].rocm_archs.reset();
  Toolchains tc = fixture_toolchains();
  auto p = plan(c, tc);
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  native::NinjaOptions o{.build_dir = "/k/build",
                         .kernel_dir = "/k",
                         .kb_path = "/bin/kb",
                         .build_toml = "/k/build.toml"};
  EXPECT_THAT(native::render_ninja(*p, o)->top.text, Not(HasSubstr("hipify")));
}

TEST(RocmNinja, DryRunListsHipifyBeforeCompiles) {
  auto p = plan(rocm_config(), fixture_toolchains());
  ASSERT_TRUE(p.ok());
  native::NativeRunOptions o;
  o.build_dir = "/k/build";
  o.kb_path = "/bin/kb";
  std::string text = native::dry_run_text(*p, o);
  size_t hipify = text.find("/bin/kb internal-hipify /k/relu_cuda/relu.cu ");
  size_t compile = text.find("/fx/rocm-6.4/lib/llvm/bin/clang++ -x hip");
  ASSERT_NE(hipify, std::string::npos) << text;
  ASSERT_NE(compile, std::string::npos) << text;
  EXPECT_LT(hipify, compile);
}

}  // namespace
}  // namespace kb
