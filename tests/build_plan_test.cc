#include "kb/build_plan.h"
#include "kb/manylinux_compat.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kb/bundle_manifest.h"
#include "kb/bundle_files.h"
#include "kb/compdb.h"
#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

class BuildPlanTest : public ::testing::Test {
 protected:
  Config config = sample_config();
  Toolchains tc = sample_toolchains();
  BuildOptions options = [] {
    BuildOptions o;
    o.kernel_dir = "/src/relu";
    o.build_dir = "/src/relu/build";
    o.unique_id = "abc1234";
    o.jobs = 8;
    o.memory_budget_bytes = 16LL << 30;
    o.kb_version = "0.1.0";
    return o;
  }();
  std::vector<std::string> python_files{"__init__.py",    "layers.py",
                                        "layers.pyi",     "table.json",
                                        "_ops.py",        "__pycache__/layers.cpython-311.pyc",
                                        "sub/helpers.py", "README.md"};

  Result<BuildPlan> plan(std::vector<Variant> variants) {
    Matrix m;
    m.variants = std::move(variants);
    return make_build_plan(config, tc, m, options, python_files);
  }
  Variant cuda_variant(std::vector<std::string> archs = {"8.0", "9.0", "10.0", "12.0+PTX"}) {
    return sample_variant(config, Backend::cuda, 0, 0, std::move(archs));
  }
};

const CompileStep* find_step(const VariantBuild& vb, const std::string& suffix) {
  for (const auto& s : vb.compiles)
    if (s.source.size() >= suffix.size() &&
        s.source.compare(s.source.size() - suffix.size(), suffix.size(), suffix) == 0)
      return &s;
  return nullptr;
}

TEST_F(BuildPlanTest, CudaVariantCompilesBindingAndKernelsButNotHeaders) {
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  ASSERT_EQ(p->variants.size(), 1u);
  const VariantBuild& vb = p->variants[0];
  EXPECT_EQ(vb.ops_name, "_relu_cuda_abc1234");
  EXPECT_EQ(vb.work_dir, "/src/relu/build/.kb/torch211-cxx11-cu130-x86_64-linux");
  EXPECT_EQ(vb.bundle_dir, "/src/relu/build/torch211-cxx11-cu130-x86_64-linux");

  ASSERT_EQ(vb.compiles.size(),
            4u);  // binding .cpp, relu.cu, launch.cpp, the compat C file; no .h/.cuh
  const CompileStep* binding = find_step(vb, "torch_binding.cpp");
  const CompileStep* cu = find_step(vb, "relu.cu");
  const CompileStep* launch = find_step(vb, "launch.cpp");
  ASSERT_TRUE(binding && cu && launch);

  EXPECT_EQ(binding->tool, CompileStep::Tool::cxx);
  EXPECT_TRUE(binding->uses_unique_id);
  EXPECT_EQ(binding->object, vb.work_dir + "/obj/torch-ext/torch_binding.cpp.o");
  EXPECT_EQ(binding->depfile, binding->object + ".d");
  EXPECT_EQ(binding->source, "/src/relu/torch-ext/torch_binding.cpp");
  EXPECT_THAT(binding->argv, Contains("-DTORCH_EXTENSION_NAME=_relu_cuda_abc1234"));
  EXPECT_THAT(binding->argv, Contains("-I" + vb.work_dir + "/gen"));
  EXPECT_EQ(binding->description,
            "CXX torch211-cxx11-cu130-x86_64-linux torch-ext/torch_binding.cpp");

  EXPECT_EQ(cu->tool, CompileStep::Tool::nvcc);
  // Not late-bound: every TU gets -DTORCH_EXTENSION_NAME=<ops name>, as in the reference.
  EXPECT_TRUE(cu->uses_unique_id);
  EXPECT_THAT(cu->argv, Contains("-DTORCH_EXTENSION_NAME=_relu_cuda_abc1234"));
  EXPECT_EQ(cu->object, vb.work_dir + "/obj/relu_cuda/relu.cu.o");
  EXPECT_EQ(cu->argv[0], "/usr/local/cuda-13.0/bin/nvcc");
  EXPECT_THAT(cu->argv, Contains("arch=compute_120,code=compute_120"));
  EXPECT_EQ(cu->description, "NVCC torch211-cxx11-cu130-x86_64-linux relu_cuda/relu.cu");

  EXPECT_EQ(launch->tool, CompileStep::Tool::cxx);
  EXPECT_TRUE(launch->uses_unique_id);
  EXPECT_THAT(launch->argv, Contains("-Wno-unused"));
  EXPECT_THAT(launch->argv, Contains("-DTORCH_EXTENSION_NAME=_relu_cuda_abc1234"));

  // The unique id appears only in the argv of steps that say they use it.
  for (const auto& s : vb.compiles) {
    if (s.uses_unique_id) continue;
    for (const auto& a : s.argv) EXPECT_EQ(a.find("abc1234"), std::string::npos) << a;
  }
}

TEST_F(BuildPlanTest, CompileLinesOfEveryTuAsGolden) {
  // A CUDA and a CPU variant built the reference's way (the id on every TU), every TU: the
  // whole of what kb passes (tests/data/golden/compile_commands.json; KB_UPDATE_GOLDEN=1
  // rewrites it, review the diff). docs/conformance.md says where each flag comes from.
  auto p = plan({cuda_variant({"9.0a", "10.0f", "12.0+PTX"}),
                 sample_variant(config, Backend::cpu, 1, std::nullopt)});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  std::string mismatch =
      golden_mismatch("compile_commands.json", render_compdb(*p, "/src/relu/build"));
  EXPECT_TRUE(mismatch.empty()) << mismatch;
}

TEST_F(BuildPlanTest, LateBoundVariantKeepsTheIdOutOfEveryCommandLine) {
  options.late_bound_namespace = true;
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  const VariantBuild& vb = p->variants[0];
  EXPECT_TRUE(vb.late_bound);
  const CompileStep* binding = find_step(vb, "torch_binding.cpp");
  const CompileStep* ops_id = find_step(vb, "gen/ops_id.c");
  ASSERT_TRUE(binding && ops_id);
  EXPECT_TRUE(binding->binding);
  EXPECT_FALSE(binding->uses_unique_id);
  EXPECT_THAT(binding->argv, Contains("-DTORCH_EXTENSION_NAME=_relu_cuda"));
  EXPECT_FALSE(ops_id->binding);
  EXPECT_EQ(ops_id->source, vb.work_dir + "/gen/ops_id.c");
  EXPECT_EQ(ops_id->object, vb.work_dir + "/obj/gen/ops_id.c.o");
  EXPECT_THAT(ops_id->argv, Contains("-DPy_LIMITED_API=0x03090000"));
  ASSERT_GE(ops_id->argv.size(), 3u);
  EXPECT_EQ(ops_id->argv[1], "-x");  // the host C++ driver, compiling C
  EXPECT_EQ(ops_id->argv[2], "c");
  for (const auto& a : ops_id->argv) EXPECT_EQ(a.find("torch/include"), std::string::npos) << a;
  // No command line carries the id: a new commit changes only ops_id.c's content.
  for (const auto& s : vb.compiles)
    for (const auto& a : s.argv) EXPECT_EQ(a.find("abc1234"), std::string::npos) << a;
  EXPECT_EQ(vb.work_files.at(ops_id->source), ops_id_source("_relu_cuda_abc1234"));
  EXPECT_EQ(vb.work_files.at(vb.work_dir + "/gen/registration.h"),
            late_bound_registration_header());
  EXPECT_THAT(vb.link->argv, Contains(ops_id->object));
  // The module id, _ops.py and the .so name still carry it.
  EXPECT_EQ(vb.link->output, vb.work_dir + "/_relu_cuda_abc1234.abi3.so");
  EXPECT_EQ(vb.generated.at("_ops.py"), arch_ops_py("_relu_cuda_abc1234"));
}

TEST_F(BuildPlanTest, LateBindingNeedsTorch211Headers) {
  options.late_bound_namespace = true;
  tc.torches[0].version = Version({2, 10, 0});
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  const VariantBuild& vb = p->variants[0];
  EXPECT_FALSE(vb.late_bound);
  EXPECT_EQ(find_step(vb, "gen/ops_id.c"), nullptr);
  EXPECT_TRUE(find_step(vb, "torch_binding.cpp")->uses_unique_id);
  EXPECT_THAT(find_step(vb, "torch_binding.cpp")->argv,
              Contains("-DTORCH_EXTENSION_NAME=_relu_cuda_abc1234"));
  EXPECT_EQ(vb.work_files.at(vb.work_dir + "/gen/registration.h"), registration_header());
}

TEST_F(BuildPlanTest, CudaVariantLinksAndBundles) {
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok());
  const VariantBuild& vb = p->variants[0];
  ASSERT_TRUE(vb.link.has_value());
  EXPECT_EQ(vb.link->output, vb.work_dir + "/_relu_cuda_abc1234.abi3.so");
  EXPECT_EQ(vb.link->description,
            "LINK torch211-cxx11-cu130-x86_64-linux _relu_cuda_abc1234.abi3.so");
  EXPECT_THAT(vb.link->argv, Contains("-lcudart"));
  EXPECT_THAT(vb.link->argv, Contains(find_step(vb, "relu.cu")->object));

  std::vector<std::string> to;
  for (const auto& c : vb.copies) to.push_back(c.to);
  // *.py and pyext data files; not .pyi, bytecode, README.md or the author's _ops.py.
  EXPECT_THAT(to, ElementsAre("__init__.py", "layers.py", "sub/helpers.py", "table.json",
                              "_relu_cuda_abc1234.abi3.so"));
  EXPECT_EQ(vb.copies[0].from, "/src/relu/torch-ext/relu/__init__.py");
  EXPECT_EQ(vb.copies.back().from, vb.link->output);

  ASSERT_EQ(vb.generated.count("_ops.py"), 1u);
  EXPECT_EQ(vb.generated.at("_ops.py"), arch_ops_py("_relu_cuda_abc1234"));
  EXPECT_EQ(vb.work_files.at(vb.work_dir + "/gen/registration.h"), registration_header());

  auto meta = nlohmann::ordered_json::parse(vb.metadata_json);
  EXPECT_EQ(meta["id"], "_relu_cuda_abc1234");
  EXPECT_EQ(meta["backend"]["type"], "cuda");
  // Lexicographic, as the reference writes metadata.
  EXPECT_EQ(meta["backend"]["archs"], nlohmann::json({"10.0", "12.0+PTX", "8.0", "9.0"}));
  EXPECT_EQ(meta["python-depends"], nlohmann::json({"einops", "nvidia-cutlass-dsl"}));
  EXPECT_FALSE(meta.contains("digest"));
}

TEST_F(BuildPlanTest, ManifestIsAWorkFileMatchingManifestFor) {
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok());
  const VariantBuild& vb = p->variants[0];
  EXPECT_EQ(vb.bundle_manifest, vb.work_dir + "/bundle.json");
  EXPECT_EQ(vb.bundle_stamp, vb.work_dir + "/bundle.stamp");
  auto m = parse_bundle_manifest(vb.work_files.at(vb.bundle_manifest));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, manifest_for(vb));
  EXPECT_EQ(*m, vb.manifest);  // the plan carries what it wrote
  EXPECT_EQ(m->stage_dir, "/src/relu/build/.kb/stage/torch211-cxx11-cu130-x86_64-linux");
}

TEST_F(BuildPlanTest, CpuVariant) {
  auto p = plan({sample_variant(config, Backend::cpu, 1, std::nullopt)});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  const VariantBuild& vb = p->variants[0];
  EXPECT_EQ(vb.variant.name, "torch212-cxx11-cpu-x86_64-linux");
  EXPECT_EQ(vb.ops_name, "_relu_cpu_abc1234");
  ASSERT_EQ(vb.compiles.size(), 3u);  // with the manylinux compat C file
  for (const auto& s : vb.compiles) {
    EXPECT_EQ(s.tool, CompileStep::Tool::cxx);
    if (s.generated) continue;                    // C, without Torch
    EXPECT_THAT(s.argv, Contains("-std=c++20"));  // Torch 2.12
    EXPECT_THAT(s.argv, Contains("-DCPU_KERNEL"));
    EXPECT_THAT(s.argv, Not(Contains("-DUSE_CUDA=1")));
  }
  EXPECT_THAT(find_step(vb, "relu_cpu/relu.cpp")->argv, Contains("-fopenmp"));
  EXPECT_THAT(vb.link->argv, Not(Contains("-lcudart")));
  auto meta = nlohmann::ordered_json::parse(vb.metadata_json);
  EXPECT_FALSE(meta["backend"].contains("archs"));
  EXPECT_EQ(meta["python-depends"], nlohmann::json({"einops"}));
}

TEST_F(BuildPlanTest, StableAbiVariant) {
  Variant v = sample_variant(config, Backend::cuda, 1, 0, {"9.0"});
  v.id.kind = VariantName::Kind::stable_abi;
  v.id.framework = Version({2, 11});
  v.stable_abi = Version({2, 11});
  v.name = v.id.format();
  auto p = plan({v});
  ASSERT_TRUE(p.ok());
  for (const auto& s : p->variants[0].compiles)
    if (!s.generated) EXPECT_THAT(s.argv, Contains("-DTORCH_TARGET_VERSION=0x20b000000000000"));
}

TEST_F(BuildPlanTest, EveryLibraryLinksTheManylinuxCompatObject) {
  auto p = plan({sample_variant(config, Backend::cuda, 0, 0, {"8.0"}),
                 sample_variant(config, Backend::cpu, 1, std::nullopt)});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  for (const auto& vb : p->variants) {
    const CompileStep* compat = find_step(vb, "gen/kb_manylinux_compat.c");
    ASSERT_TRUE(compat) << vb.variant.name;
    EXPECT_TRUE(compat->generated);
    EXPECT_EQ(vb.work_files.at(compat->source), manylinux_compat_source());
    EXPECT_THAT(compat->argv, Contains("-fvisibility=hidden"));
    ASSERT_TRUE(vb.link.has_value());
    EXPECT_THAT(vb.link->argv, Contains(compat->object));
    EXPECT_THAT(vb.link->argv, Contains("-lgcc"));
  }
}

TEST_F(BuildPlanTest, NoarchVariantCopiesEverythingButBytecode) {
  config.noarch.cuda_capabilities = {"8.0", "9.0"};
  auto p = plan({sample_noarch_variant(Backend::cuda)});
  ASSERT_TRUE(p.ok());
  const VariantBuild& vb = p->variants[0];
  EXPECT_EQ(vb.variant.name, "torch-cuda");
  EXPECT_EQ(vb.ops_name, "_relu_cuda_abc1234");
  EXPECT_TRUE(vb.compiles.empty());
  EXPECT_FALSE(vb.link.has_value());
  std::vector<std::string> to;
  for (const auto& c : vb.copies) to.push_back(c.to);
  EXPECT_THAT(to, ElementsAre("README.md", "__init__.py", "layers.py", "layers.pyi",
                              "sub/helpers.py", "table.json"));
  EXPECT_EQ(vb.generated.at("_ops.py"), noarch_ops_py("relu", "abc1234"));
  EXPECT_TRUE(vb.work_files.count(vb.bundle_manifest));
  EXPECT_FALSE(vb.work_files.count(vb.work_dir + "/gen/registration.h"));
  auto meta = nlohmann::ordered_json::parse(vb.metadata_json);
  EXPECT_EQ(meta["backend"]["archs"], nlohmann::json({"8.0", "9.0"}));
}

TEST_F(BuildPlanTest, RocmArchVariantWithoutToolkitIsAnError) {
  // ROCm planning itself is tested in rocm_test.cc; here the matrix attached no toolkit.
  Variant v = sample_variant(config, Backend::rocm, 0, std::nullopt);
  auto p = plan({v});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.errors().list[0].message.find("has no ROCm toolkit attached"), std::string::npos);
  // A rocm noarch variant needs no compiler and is fine.
  EXPECT_TRUE(plan({sample_noarch_variant(Backend::rocm)}).ok());
}

TEST_F(BuildPlanTest, MissingToolchainsAreErrors) {
  tc.cxx.reset();
  auto p = plan({cuda_variant()});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.errors().list[0].message.find("host C++ compiler"), std::string::npos);
  tc = sample_toolchains();
  Variant v = cuda_variant();
  v.cuda.reset();
  EXPECT_FALSE(plan({v}).ok());
  options.unique_id = "";
  EXPECT_FALSE(plan({cuda_variant()}).ok());
}

TEST_F(BuildPlanTest, SameNamedFilesInDifferentDirsGetDifferentObjects) {
  config.kernels[0].src.push_back({"other/relu.cu", {}});
  config.kernels[0].src.push_back({"../shared/x.cu", {}});
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok());
  const VariantBuild& vb = p->variants[0];
  EXPECT_EQ(find_step(vb, "other/relu.cu")->object, vb.work_dir + "/obj/other/relu.cu.o");
  EXPECT_EQ(find_step(vb, "relu_cuda/relu.cu")->object, vb.work_dir + "/obj/relu_cuda/relu.cu.o");
  EXPECT_EQ(find_step(vb, "shared/x.cu")->object, vb.work_dir + "/obj/__/shared/x.cu.o");
}

TEST_F(BuildPlanTest, SourceSharedBySectionsIsCompiledOnceWithWhatEachGivesIt) {
  // An sm_90a section and an sm_100f section share relu.cu (a real kernel's API TU).
  KernelSection& hopper = config.kernels[0];
  KernelSection blackwell = hopper;
  blackwell.name = "relu_blackwell";
  blackwell.src = {{"relu_cuda/relu.cu", {}}, {"relu_cuda/relu100.cu", {}}};
  blackwell.include = {"blackwell"};
  blackwell.cuda_flags = {"-DBLACKWELL"};
  blackwell.cxx_flags = {};
  config.kernels.insert(config.kernels.begin() + 1, blackwell);
  Variant v = cuda_variant({"9.0a"});
  v.sections = {{"relu_cuda", {"9.0a", "12.0+PTX"}, {}, config.kernels[0]},
                {"relu_blackwell", {"10.0f", "12.0"}, {}, blackwell}};
  auto p = plan({v});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  const VariantBuild& vb = p->variants[0];
  EXPECT_EQ(
      std::count_if(vb.compiles.begin(), vb.compiles.end(),
                    [](const CompileStep& c) { return c.source == "/src/relu/relu_cuda/relu.cu"; }),
      1);
  EXPECT_EQ(p->cuda_sources, 2);  // relu.cu once, relu100.cu
  const auto& argv = find_step(vb, "relu_cuda/relu.cu")->argv;
  // The union of both sections' archs, in section order, each -gencode once.
  std::vector<std::string> gencode;
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "-gencode") gencode.push_back(argv[i + 1]);
  EXPECT_THAT(gencode,
              ElementsAre("arch=compute_90a,code=sm_90a", "arch=compute_120,code=sm_120",
                          "arch=compute_120,code=compute_120", "arch=compute_100f,code=sm_100f"));
  // The planner counts the passes it asked for (the scheduler's first guess reads them).
  EXPECT_EQ(find_step(vb, "relu_cuda/relu.cu")->device_passes, 4);
  // cuda-flags appended across sections; the include dirs are the last section's.
  auto lineinfo = std::find(argv.begin(), argv.end(), "-lineinfo");
  auto blackwell_flag = std::find(argv.begin(), argv.end(), "-DBLACKWELL");
  ASSERT_NE(lineinfo, argv.end());
  ASSERT_NE(blackwell_flag, argv.end());
  EXPECT_LT(lineinfo, blackwell_flag);
  EXPECT_THAT(argv, Contains("-I/src/relu/blackwell"));
  EXPECT_THAT(argv, Not(Contains("-I/src/relu/relu_cuda")));
  // The other file of the second section has only its own.
  const auto& only = find_step(vb, "relu_cuda/relu100.cu")->argv;
  EXPECT_THAT(only, Contains("arch=compute_100f,code=sm_100f"));
  EXPECT_THAT(only, Not(Contains("arch=compute_90a,code=sm_90a")));
  EXPECT_THAT(only, Not(Contains("-lineinfo")));
  // Metadata lists every arch of the variant once.
  auto meta = nlohmann::ordered_json::parse(vb.metadata_json);
  EXPECT_EQ(meta["backend"]["archs"], nlohmann::json({"10.0f", "12.0", "12.0+PTX", "9.0a"}));
}

TEST_F(BuildPlanTest, SourceListedTwiceInOneSectionIsCompiledOnce) {
  config.kernels[0].src.push_back({"relu_cuda/./relu.cu", {}});
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  EXPECT_EQ(p->variants[0].compiles.size(), 4u);  // binding, relu.cu, launch.cpp, compat
}

TEST_F(BuildPlanTest, BindingSourceAlsoInAKernelSectionIsAnError) {
  config.kernels[0].src.push_back({"torch-ext/torch_binding.cpp", {}});
  auto p = plan({cuda_variant()});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.errors().list[0].message.find("listed in [torch] src and in a [kernel.*] src"),
            std::string::npos);
}

TEST_F(BuildPlanTest, SkippedSectionIsNotCompiled) {
  Variant v = cuda_variant();
  v.sections.clear();
  v.skipped_sections = {"relu_cuda: cuda-minver 13.1 is above CUDA 13.0"};
  auto p = plan({v});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->variants[0].compiles.size(), 2u);  // the binding and the compat C file
  EXPECT_TRUE(p->variants[0].compiles[0].uses_unique_id);
  EXPECT_EQ(p->cuda_sources, 0);
}

TEST_F(BuildPlanTest, NvccThreadsSpreadJobsOverCuFiles) {
  // One .cu in the plan, 8 jobs: as many threads as archs (4), at most jobs.
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->cuda_sources, 1);
  EXPECT_EQ(p->variants[0].nvcc_threads, 4);
  EXPECT_EQ(p->nvcc_threads_max, 4);
  EXPECT_THAT(find_step(p->variants[0], "relu.cu")->argv, Contains("4"));
  // 16 GiB / (2.5 GiB * 4 threads) = 1.6 -> 1 nvcc at a time.
  EXPECT_EQ(p->nvcc_pool_depth, 1);
  // The shared pool of nvcc steps: 16 GiB / 2.5 GiB per step = 6.4 -> 6 of the 8 jobs.
  EXPECT_EQ(p->nvcc_slots, 6);

  // Two archs cap the threads at 2: 16 / (2.5 * 2) = 3 processes.
  p = plan({cuda_variant({"8.0", "9.0"})});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->variants[0].nvcc_threads, 2);
  EXPECT_EQ(p->nvcc_pool_depth, 3);

  // Four .cu files over two variants with 8 jobs: 8 / 4 = 2 threads each.
  config.kernels[0].src.push_back({"relu_cuda/relu2.cu", {}});
  Variant second = sample_variant(config, Backend::cuda, 1, 1, {"8.0", "9.0", "10.0"});
  p = plan({cuda_variant(), second});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->cuda_sources, 4);
  EXPECT_EQ(p->variants[0].nvcc_threads, 2);
  EXPECT_EQ(p->variants[1].nvcc_threads, 2);
  EXPECT_EQ(p->nvcc_pool_depth, 3);  // 16 / 5

  // Many .cu files: one thread each; a large budget is capped by jobs.
  options.jobs = 2;
  options.memory_budget_bytes = 100LL << 30;
  p = plan({cuda_variant(), second});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->variants[0].nvcc_threads, 1);
  EXPECT_EQ(p->nvcc_pool_depth, 2);
  EXPECT_EQ(p->nvcc_slots, 2);

  // A tiny budget still lets one nvcc run.
  options.memory_budget_bytes = 1LL << 30;
  p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->nvcc_pool_depth, 1);
  EXPECT_EQ(p->nvcc_slots, 1);
  EXPECT_EQ(p->local_pool_depth, 0);
}

TEST_F(BuildPlanTest, RemoteCompilesAreNotBoundByLocalMemoryButLinksAre) {
  options.jobs = 40;
  options.memory_budget_bytes = 1LL << 30;
  options.remote_compiles = true;
  options.local_jobs = 4;
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->nvcc_pool_depth, 40);  // the farm's servers hold nvcc's memory
  EXPECT_EQ(p->local_pool_depth, 4);
  options.local_jobs = 40;  // no narrower than -j: no pool
  EXPECT_EQ(plan({cuda_variant()})->local_pool_depth, 0);
}

TEST_F(BuildPlanTest, AllErrorsAreReported) {
  auto p = plan({sample_variant(config, Backend::rocm, 0, std::nullopt),
                 sample_variant(config, Backend::rocm, 1, std::nullopt)});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.errors().list.size(), 2u);
}

TEST_F(BuildPlanTest, ProvenanceOnlyWithACommit) {
  auto p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok());
  auto meta = nlohmann::ordered_json::parse(p->variants[0].metadata_json);
  EXPECT_FALSE(meta["provenance"].contains("kernel"));
  options.kernel_commit = std::string(40, 'a');
  options.kernel_dirty = true;
  p = plan({cuda_variant()});
  ASSERT_TRUE(p.ok());
  meta = nlohmann::ordered_json::parse(p->variants[0].metadata_json);
  EXPECT_EQ(meta["provenance"]["kernel"]["commit"], std::string(40, 'a'));
  EXPECT_EQ(meta["provenance"]["kernel"]["dirty"], true);
  EXPECT_EQ(meta["provenance"]["kernel-builder"]["version"], "kb 0.1.0");
}

}  // namespace
}  // namespace kb
