#include "kb/matrix.h"

#include <nlohmann/json.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kb/json_output.h"

namespace kb {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

using Strings = std::vector<std::string>;

Version V(const char* s) { return *Version::parse(s); }

// ---- builders: Config and Toolchains are plain values ----

Config config(std::vector<Backend> backends) {
  Config c;
  c.path = "build.toml";
  c.name = "relu";
  c.license = "Apache-2.0";
  c.backends = std::move(backends);
  return c;
}

KernelSection kernel(std::string name, Backend b, int line = 10) {
  KernelSection k;
  k.name = std::move(name);
  k.backend = b;
  k.loc = {"build.toml", line, 1};
  k.src.push_back({"k.cu", {"build.toml", line + 3, 8}});
  k.depends = {"torch"};
  return k;
}

std::vector<Located> located(const Strings& values, int line) {
  std::vector<Located> out;
  int col = 22;
  for (const auto& v : values) {
    out.push_back({v, {"build.toml", line, col}});
    col += static_cast<int>(v.size()) + 4;
  }
  return out;
}

TorchInstall torch(const char* version_string, const char* cuda = nullptr,
                   const char* hip = nullptr, std::string python = "") {
  TorchInstall t;
  t.version_string = version_string;
  std::string plain(version_string);
  t.version = V(plain.substr(0, plain.find('+')).c_str());
  if (cuda) t.cuda = V(cuda);
  if (hip) t.hip = V(hip);
  t.python = python.empty() ? "/venv/torch" + plain + "/bin/python" : python;
  return t;
}

CudaToolkit nvcc(const char* version) {
  CudaToolkit k;
  k.version = V(version);
  k.root = std::string("/usr/local/cuda-") + version;
  k.nvcc = k.root + "/bin/nvcc";
  if (k.version >= V("13.0"))
    k.gpu_codes = {"sm_75", "sm_80",  "sm_86",  "sm_87",  "sm_88",  "sm_89",
                   "sm_90", "sm_100", "sm_110", "sm_103", "sm_120", "sm_121"};
  else if (k.version >= V("12.8"))
    k.gpu_codes = {"sm_50", "sm_52", "sm_53",  "sm_60",  "sm_61", "sm_62",
                   "sm_70", "sm_72", "sm_75",  "sm_80",  "sm_86", "sm_87",
                   "sm_89", "sm_90", "sm_100", "sm_101", "sm_120"};
  else
    k.gpu_codes = {"sm_50", "sm_52", "sm_53", "sm_60", "sm_61", "sm_62", "sm_70",
                   "sm_72", "sm_75", "sm_80", "sm_86", "sm_87", "sm_89", "sm_90"};
  return k;
}

RocmToolkit rocm(const char* version,
                 Strings gfx = {"gfx906", "gfx908", "gfx90a", "gfx940", "gfx1030"}) {
  RocmToolkit r;
  r.version = V(version);
  r.root = "/opt/rocm";
  r.hipcc = "/opt/rocm/bin/hipcc";
  r.clang = "/opt/rocm/llvm/bin/clang++";
  r.gfx_targets = std::move(gfx);
  return r;
}

Matrix plan(const Config& c, const Toolchains& tc) {
  auto m = make_matrix(c, tc);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : format_error(m.errors().list.front()));
  return m.ok() ? *m : Matrix{};
}

Strings names(const Matrix& m) {
  Strings out;
  for (const auto& v : m.variants) out.push_back(v.name);
  return out;
}

Strings rejected_names(const Matrix& m) {
  Strings out;
  for (const auto& r : m.rejected) out.push_back(r.name);
  return out;
}

std::string reason(const Matrix& m, const std::string& name) {
  for (const auto& r : m.rejected)
    if (r.name == name) return r.reason;
  return "<not rejected>";
}

// Every reason given for `name` (a name can be rejected for several pairings).
Strings reasons(const Matrix& m, const std::string& name) {
  Strings out;
  for (const auto& r : m.rejected)
    if (r.name == name) out.push_back(r.reason);
  return out;
}

const Variant& variant(const Matrix& m, const std::string& name) {
  for (const auto& v : m.variants)
    if (v.name == name) return v;
  ADD_FAILURE() << "no variant " << name;
  static Variant none;
  return none;
}

// ---- backend membership, noarch, frameworks ----

TEST(Matrix, OnlyListedBackendsBuild) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("relu", Backend::cuda), kernel("relu_cpu", Backend::cpu)};
  Toolchains tc;
  tc.torches = {torch("2.11.0+cu130", "13.0")};
  tc.cuda = {nvcc("13.0")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch211-cxx11-cu130-x86_64-linux"));
  EXPECT_EQ(reason(m, "cpu kernels (kernel.relu_cpu)"),
            "backend cpu is not listed in general.backends");
  // The cuda variant holds only its own backend's sections.
  ASSERT_EQ(m.variants[0].sections.size(), 1u);
  EXPECT_EQ(m.variants[0].sections[0].section, "relu");
}

TEST(Matrix, BackendWithoutKernelsIsNoarch) {
  Config c = config({Backend::cpu, Backend::cuda, Backend::xpu, Backend::cuda});
  c.kernels = {kernel("relu", Backend::cuda)};
  Toolchains tc;
  tc.torches = {torch("2.11.0+cu130", "13.0")};
  tc.cuda = {nvcc("13.0")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch-cpu", "torch-xpu", "torch211-cxx11-cu130-x86_64-linux"));
  const Variant& cpu = variant(m, "torch-cpu");
  EXPECT_TRUE(cpu.noarch);
  EXPECT_EQ(cpu.backend, Backend::cpu);
  EXPECT_FALSE(cpu.torch.has_value());
  EXPECT_THAT(cpu.sections, IsEmpty());
  EXPECT_FALSE(variant(m, "torch211-cxx11-cu130-x86_64-linux").noarch);
}

TEST(Matrix, TorchNoarchFrameworkNeedsNoToolchain) {
  Config c = config({Backend::cpu, Backend::cuda, Backend::metal, Backend::rocm, Backend::xpu});
  c.framework = Framework::torch_noarch;
  c.kernels = {kernel("ignored", Backend::cuda)};
  c.torch.minver = V("9.0");  // [torch] bounds do not apply to noarch kernels
  Matrix m = plan(c, Toolchains{});
  EXPECT_THAT(names(m),
              ElementsAre("torch-cpu", "torch-cuda", "torch-metal", "torch-rocm", "torch-xpu"));
  for (const auto& v : m.variants) {
    EXPECT_TRUE(v.noarch);
    EXPECT_FALSE(v.cuda.has_value());
  }
  EXPECT_THAT(m.rejected, IsEmpty());
}

TEST(Matrix, TvmFfiIsRejectedWithReason) {
  Config c = config({Backend::cuda, Backend::cpu});
  c.framework = Framework::tvm_ffi;
  c.kernels = {kernel("relu", Backend::cuda)};
  Toolchains tc;
  tc.torches = {torch("2.11.0+cu130", "13.0")};
  tc.cuda = {nvcc("13.0")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(m.variants, IsEmpty());
  ASSERT_EQ(m.rejected.size(), 2u);
  EXPECT_EQ(m.rejected[0].name, "tvm-ffi (cuda)");
  EXPECT_THAT(m.rejected[0].reason, HasSubstr("not supported by kb yet"));
}

TEST(Matrix, MetalAndXpuKernelsAreNotBuildableHere) {
  Config c = config({Backend::metal, Backend::xpu, Backend::cpu});
  c.kernels = {kernel("m", Backend::metal), kernel("x", Backend::xpu), kernel("c", Backend::cpu)};
  Toolchains tc;
  tc.torches = {torch("2.12.0")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch212-cxx11-cpu-x86_64-linux"));
  EXPECT_THAT(reason(m, "metal kernels"), HasSubstr("not buildable on x86_64-linux by kb"));
  EXPECT_THAT(reason(m, "xpu kernels"), HasSubstr("not buildable on x86_64-linux by kb"));
}

// ---- cpu ----

TEST(Matrix, CpuVariantPerTorchInstallAndDuplicates) {
  Config c = config({Backend::cpu});
  c.kernels = {kernel("relu_cpu", Backend::cpu)};
  Toolchains tc;
  tc.torches = {torch("2.11.0+cu130", "13.0", nullptr, "/a/python"), torch("2.12.1"),
                torch("2.11.2", nullptr, nullptr, "/b/python"),
                torch("2.12.0+rocm7.1", nullptr, "7.1")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m),
              ElementsAre("torch211-cxx11-cpu-x86_64-linux", "torch212-cxx11-cpu-x86_64-linux"));
  EXPECT_EQ(variant(m, "torch211-cxx11-cpu-x86_64-linux").torch, 0u);  // the first install wins
  EXPECT_EQ(variant(m, "torch212-cxx11-cpu-x86_64-linux").torch, 1u);
  ASSERT_EQ(m.rejected.size(), 2u);
  EXPECT_EQ(m.rejected[0].name, "torch211-cxx11-cpu-x86_64-linux");
  EXPECT_THAT(m.rejected[0].reason, HasSubstr("duplicate"));
  EXPECT_THAT(m.rejected[0].reason, HasSubstr("/a/python"));
  EXPECT_THAT(m.rejected[0].reason, HasSubstr("/b/python"));
  const Variant& v = variant(m, "torch211-cxx11-cpu-x86_64-linux");
  ASSERT_EQ(v.sections.size(), 1u);
  EXPECT_THAT(v.sections[0].archs, IsEmpty());
  EXPECT_FALSE(v.cuda.has_value());
}

TEST(Matrix, NamesUseToolchainCpuAndOs) {
  Config c = config({Backend::cpu, Backend::cuda});
  c.kernels = {kernel("relu_cpu", Backend::cpu), kernel("relu", Backend::cuda)};
  Toolchains tc;
  tc.cpu = "aarch64";
  tc.torches = {torch("2.12.0+cu130", "13.0")};
  tc.cuda = {nvcc("13.0")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch212-cxx11-cpu-aarch64-linux",
                                    "torch212-cxx11-cu130-aarch64-linux"));
}

TEST(Matrix, PreCxx11AbiTorchIsRejected) {
  Config c = config({Backend::cpu});
  c.kernels = {kernel("relu_cpu", Backend::cpu)};
  Toolchains tc;
  tc.torches = {torch("2.11.0")};
  tc.torches[0].cxx11_abi = false;
  Matrix m = plan(c, tc);
  EXPECT_THAT(m.variants, IsEmpty());
  EXPECT_THAT(reason(m, "torch211-cxx11-cpu-x86_64-linux"), HasSubstr("pre-C++11 ABI"));
}

// ---- cuda pairing ----

TEST(Matrix, CudaPairsSameMajorWithMinorNotAboveTorch) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("relu", Backend::cuda)};
  Toolchains tc;
  tc.torches = {torch("2.10.0+cu128", "12.8"), torch("2.11.0+cu130", "13.0"),
                torch("2.9.1+cu126", "12.6")};
  tc.cuda = {nvcc("12.6"), nvcc("12.8"), nvcc("13.0.88")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m),
              ElementsAre("torch210-cxx11-cu126-x86_64-linux", "torch210-cxx11-cu128-x86_64-linux",
                          "torch211-cxx11-cu130-x86_64-linux", "torch29-cxx11-cu126-x86_64-linux"));
  EXPECT_EQ(reason(m, "torch210-cxx11-cu130-x86_64-linux"),
            "torch 2.10 is built for CUDA 12.8; found nvcc 13.0 (major differs)");
  EXPECT_EQ(reason(m, "torch211-cxx11-cu126-x86_64-linux"),
            "torch 2.11 is built for CUDA 13.0; found nvcc 12.6 (major differs)");
  EXPECT_THAT(reason(m, "torch29-cxx11-cu128-x86_64-linux"),
              HasSubstr("torch 2.9 is built for CUDA 12.6; found nvcc 12.8 (newer minor"));
  EXPECT_EQ(m.rejected.size(), 5u);  // 9 pairings, 4 build

  const Variant& v = variant(m, "torch210-cxx11-cu126-x86_64-linux");
  EXPECT_EQ(v.torch, 0u);
  EXPECT_EQ(v.cuda, 0u);
  EXPECT_EQ(v.id.compute, V("12.6"));  // the toolkit's version, not Torch's
  EXPECT_EQ(variant(m, "torch211-cxx11-cu130-x86_64-linux").cuda, 2u);
}

TEST(Matrix, CudaWithoutToolkitOrCudaTorch) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("relu", Backend::cuda)};
  Toolchains tc;
  tc.torches = {torch("2.11.0")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(m.variants, IsEmpty());
  EXPECT_EQ(reason(m, "cuda"), "no CUDA toolkit (nvcc) was found");
  EXPECT_THAT(reason(m, "torch 2.11.0 at /venv/torch2.11.0/bin/python"),
              HasSubstr("no CUDA support"));
}

// ---- bounds ----

TEST(Matrix, CudaBoundsAreInclusiveOnToolkitVersion) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("relu", Backend::cuda)};
  c.cuda.minver = V("12.8");
  c.cuda.maxver = V("12.9");
  Toolchains tc;
  tc.torches = {torch("2.10.0+cu129", "12.9")};
  tc.cuda = {nvcc("12.6"), nvcc("12.8"), nvcc("12.9.1")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch210-cxx11-cu128-x86_64-linux",
                                    "torch210-cxx11-cu129-x86_64-linux"));
  EXPECT_EQ(reason(m, "torch210-cxx11-cu126-x86_64-linux"),
            "CUDA 12.6 is below general.cuda.minver 12.8");

  c.cuda.minver.reset();
  c.cuda.maxver = V("12.6");
  Matrix hi = plan(c, tc);
  EXPECT_THAT(names(hi), ElementsAre("torch210-cxx11-cu126-x86_64-linux"));
  EXPECT_EQ(reason(hi, "torch210-cxx11-cu128-x86_64-linux"),
            "CUDA 12.8 is above general.cuda.maxver 12.6");
}

TEST(Matrix, CudaDefaultMinverIs118) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("relu", Backend::cuda)};
  Toolchains tc;
  tc.torches = {torch("2.1.0+cu118", "11.8")};
  tc.cuda = {nvcc("11.7"), nvcc("11.8")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch21-cxx11-cu118-x86_64-linux"));
  EXPECT_EQ(reason(m, "torch21-cxx11-cu117-x86_64-linux"),
            "CUDA 11.7 is below general.cuda.minver 11.8");
}

TEST(Matrix, TorchBoundsAreInclusiveOnMajorMinor) {
  Config c = config({Backend::cpu});
  c.kernels = {kernel("relu_cpu", Backend::cpu)};
  c.torch.minver = V("2.10");
  c.torch.maxver = V("2.11");
  Toolchains tc;
  tc.torches = {torch("2.9.0"), torch("2.10.0"), torch("2.11.3"), torch("2.12.0")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m),
              ElementsAre("torch210-cxx11-cpu-x86_64-linux", "torch211-cxx11-cpu-x86_64-linux"));
  EXPECT_EQ(reason(m, "torch29-cxx11-cpu-x86_64-linux"), "torch 2.9 is below torch.minver 2.10");
  EXPECT_EQ(reason(m, "torch212-cxx11-cpu-x86_64-linux"), "torch 2.12 is above torch.maxver 2.11");
}

TEST(Matrix, TorchDefaultMinverIs20) {
  Config c = config({Backend::cpu});
  c.kernels = {kernel("relu_cpu", Backend::cpu)};
  Toolchains tc;
  tc.torches = {torch("1.13.1"), torch("2.0.1")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch20-cxx11-cpu-x86_64-linux"));
  EXPECT_EQ(reason(m, "torch113-cxx11-cpu-x86_64-linux"), "torch 1.13 is below torch.minver 2.0");
}

// ---- stable ABI ----

TEST(Matrix, StableAbiKeepsNewestTorchPerToolkit) {
  Config c = config({Backend::cuda, Backend::cpu});
  c.kernels = {kernel("relu", Backend::cuda), kernel("relu_cpu", Backend::cpu)};
  c.torch.stable_abi[Backend::cuda] = V("2.11");
  Toolchains tc;
  tc.torches = {torch("2.10.0+cu130", "13.0"), torch("2.12.0+cu130", "13.0"),
                torch("2.11.0+cu130", "13.0"), torch("2.11.0+cu126", "12.6")};
  tc.cuda = {nvcc("13.0"), nvcc("12.6")};
  Matrix m = plan(c, tc);
  // cpu is not in the stable-ABI table: one ordinary variant per Torch (2.11 twice: duplicate).
  EXPECT_THAT(
      names(m),
      ElementsAre("torch-stable-abi211-cu126-x86_64-linux",
                  "torch-stable-abi211-cu130-x86_64-linux", "torch210-cxx11-cpu-x86_64-linux",
                  "torch211-cxx11-cpu-x86_64-linux", "torch212-cxx11-cpu-x86_64-linux"));
  const Variant& v = variant(m, "torch-stable-abi211-cu130-x86_64-linux");
  EXPECT_EQ(v.torch, 1u);  // built with torch 2.12
  EXPECT_EQ(v.stable_abi, V("2.11"));
  EXPECT_EQ(v.id.kind, VariantName::Kind::stable_abi);
  EXPECT_EQ(variant(m, "torch-stable-abi211-cu126-x86_64-linux").torch, 3u);
  // torch 2.11+cu126 x nvcc 13.0 is rejected under the same name for its CUDA major.
  EXPECT_THAT(reasons(m, "torch211-cxx11-cu130-x86_64-linux"),
              ElementsAre("torch 2.11 is built for CUDA 12.6; found nvcc 13.0 (major differs)",
                          "superseded by torch 2.12 for the stable-ABI variant "
                          "torch-stable-abi211-cu130-x86_64-linux"));
  EXPECT_EQ(reason(m, "torch210-cxx11-cu130-x86_64-linux"),
            "torch 2.10 is older than the stable-ABI target 2.11 (torch.stable-abi)");
  EXPECT_FALSE(variant(m, "torch212-cxx11-cpu-x86_64-linux").stable_abi.has_value());
}

TEST(Matrix, StableAbiOnCpuGroupsAllTorches) {
  Config c = config({Backend::cpu});
  c.kernels = {kernel("relu_cpu", Backend::cpu)};
  c.torch.stable_abi[Backend::cpu] = V("2.10");
  Toolchains tc;
  tc.torches = {torch("2.10.0"), torch("2.12.0"), torch("2.11.0")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch-stable-abi210-cpu-x86_64-linux"));
  EXPECT_EQ(m.variants[0].torch, 1u);
  EXPECT_THAT(rejected_names(m),
              ElementsAre("torch210-cxx11-cpu-x86_64-linux", "torch211-cxx11-cpu-x86_64-linux"));
}

// ---- per-section rules ----

TEST(Matrix, CudaMinverSkipsSectionNotVariant) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("fp8", Backend::cuda), kernel("relu", Backend::cuda, 20)};
  c.kernels[0].cuda_minver = V("12.8");
  Toolchains tc;
  tc.torches = {torch("2.10.0+cu128", "12.8")};
  tc.cuda = {nvcc("12.6"), nvcc("12.8")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch210-cxx11-cu126-x86_64-linux",
                                    "torch210-cxx11-cu128-x86_64-linux"));
  const Variant& old = variant(m, "torch210-cxx11-cu126-x86_64-linux");
  EXPECT_THAT(old.skipped_sections, ElementsAre("fp8: cuda-minver 12.8 is above CUDA 12.6"));
  ASSERT_EQ(old.sections.size(), 1u);
  EXPECT_EQ(old.sections[0].section, "relu");
  const Variant& cur = variant(m, "torch210-cxx11-cu128-x86_64-linux");
  EXPECT_THAT(cur.skipped_sections, IsEmpty());
  EXPECT_EQ(cur.sections.size(), 2u);
}

TEST(Matrix, SectionArchsDefaultAndExplicit) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("all", Backend::cuda), kernel("hopper", Backend::cuda, 20)};
  c.kernels[1].cuda_capabilities = located({"5.0", "7.0", "8.0", "9.0a", "10.0f"}, 24);
  Toolchains tc;
  tc.torches = {torch("2.12.0+cu126", "12.6"), torch("2.13.0+cu130", "13.0")};
  tc.cuda = {nvcc("12.6"), nvcc("13.0")};
  Matrix m = plan(c, tc);
  const Variant& v126 = variant(m, "torch212-cxx11-cu126-x86_64-linux");
  ASSERT_EQ(v126.sections.size(), 2u);
  EXPECT_THAT(v126.sections[0].archs,
              ElementsAre("7.0", "7.2", "7.5", "8.0", "8.6", "8.7", "8.9", "9.0+PTX"));
  EXPECT_THAT(v126.sections[1].archs, ElementsAre("7.0", "8.0", "9.0a"));
  EXPECT_THAT(v126.sections[1].notes, Contains(HasSubstr("5.0: dropped")));
  EXPECT_THAT(v126.sections[1].notes, Contains(HasSubstr("10.0f: dropped")));

  const Variant& v130 = variant(m, "torch213-cxx11-cu130-x86_64-linux");
  EXPECT_THAT(v130.sections[0].archs, ElementsAre("7.5", "8.0", "8.6", "8.7", "8.9", "9.0", "10.0",
                                                  "10.3", "11.0", "12.0", "12.1+PTX"));
  EXPECT_THAT(v130.sections[1].archs, ElementsAre("8.0", "9.0a", "10.0f"));
  EXPECT_THAT(v130.sections[1].notes,
              Contains("7.0: not supported by nvcc 13.0 (supports sm_75..sm_121)"));
  // Metadata: lexicographic union (reference quirk).
  EXPECT_THAT(v130.metadata_archs(),
              ElementsAre("10.0", "10.0f", "10.3", "11.0", "12.0", "12.1+PTX", "7.5", "8.0", "8.6",
                          "8.7", "8.9", "9.0", "9.0a"));
}

TEST(Matrix, EmptyIntersectionIsAnErrorAtTheSection) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("volta", Backend::cuda, 14)};
  c.kernels[0].cuda_capabilities = located({"7.0"}, 18);
  Toolchains tc;
  tc.torches = {torch("2.11.0+cu130", "13.0")};
  tc.cuda = {nvcc("13.0")};
  auto m = make_matrix(c, tc);
  ASSERT_FALSE(m.ok());
  ASSERT_EQ(m.errors().list.size(), 1u);
  const Error& e = m.errors().list[0];
  EXPECT_THAT(
      e.message,
      HasSubstr(
          "CUDA kernel volta: empty set of capabilities after intersection with CUDA 13.0 ("));
  EXPECT_THAT(e.message, HasSubstr("7.0: not supported by nvcc 13.0 (supports sm_75..sm_121)"));
  ASSERT_TRUE(e.loc.has_value());
  EXPECT_EQ(e.loc->file, "build.toml");
  EXPECT_EQ(e.loc->line, 14);
  EXPECT_THAT(e.hint, HasSubstr("7.5;8.0"));

  // The same kernel builds with CUDA 12.x, where nvcc still has sm_70.
  tc.torches = {torch("2.10.0+cu126", "12.6")};
  tc.cuda = {nvcc("12.6")};
  Matrix ok = plan(c, tc);
  EXPECT_THAT(ok.variants.at(0).sections.at(0).archs, ElementsAre("7.0"));

  // Skipping the toolkit by cuda-minver avoids the error.
  c.kernels[0].cuda_minver = V("13.1");
  tc.torches = {torch("2.11.0+cu130", "13.0")};
  tc.cuda = {nvcc("13.0")};
  EXPECT_TRUE(make_matrix(c, tc).ok());
}

TEST(Matrix, EmptyIntersectionWithoutNvccNotes) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("maxwell", Backend::cuda, 3)};
  c.kernels[0].cuda_capabilities = located({"5.0", "6.1"}, 7);
  Toolchains tc;
  tc.torches = {torch("2.11.0+cu126", "12.6")};
  tc.cuda = {nvcc("12.6")};
  auto m = make_matrix(c, tc);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.errors().list[0].message,
              HasSubstr("with CUDA 12.6 (requested 5.0;6.1; 5.0: dropped"));
  EXPECT_EQ(m.errors().list[0].loc->line, 3);
}

TEST(Matrix, CapabilitiesThatMatchNoTargetAreDroppedWithNotes) {
  // A real kernel's list: the reference builds it, letting the intersection drop what
  // matches no target; kb did stop at "11.8".
  Config c = config({Backend::cuda});
  c.kernels = {kernel("relu", Backend::cuda, 5)};
  c.kernels[0].cuda_capabilities = located({"8.0", "8.1", "10.1", "11.8"}, 9);
  Toolchains tc;
  tc.torches = {torch("2.11.0+cu130", "13.0"), torch("2.10.0+cu128", "12.8")};
  tc.cuda = {nvcc("13.0"), nvcc("12.8")};
  Matrix m = plan(c, tc);
  // CUDA 13.0: 8.1 serves 8.6..8.9 and 10.1 serves 10.3 in the reference's intersection, but
  // nvcc 13.0 builds neither; nothing serves 11.0 from 11.8.
  const Variant& v130 = variant(m, "torch211-cxx11-cu130-x86_64-linux");
  EXPECT_THAT(v130.sections[0].archs, ElementsAre("8.0"));
  EXPECT_THAT(v130.sections[0].notes, Contains(HasSubstr("11.8: dropped")));
  EXPECT_THAT(v130.sections[0].notes,
              Contains("8.1: not supported by nvcc 13.0 (supports sm_75..sm_121)"));
  EXPECT_THAT(v130.sections[0].notes,
              Contains("10.1: not supported by nvcc 13.0 (supports sm_75..sm_121)"));
  // CUDA 12.8 has sm_101.
  const Variant& v128 = variant(m, "torch210-cxx11-cu128-x86_64-linux");
  EXPECT_THAT(v128.sections[0].archs, ElementsAre("8.0", "10.1"));
}

TEST(Matrix, Cuda129KnowsCapabilities103And121) {
  Config c = config({Backend::cuda});
  c.kernels = {kernel("blackwell", Backend::cuda, 5)};
  c.kernels[0].cuda_capabilities = located({"10.0a", "10.3a", "12.1a"}, 9);
  Toolchains tc;
  tc.torches = {torch("2.10.0+cu129", "12.9"), torch("2.9.0+cu128", "12.8")};
  CudaToolkit k129 = nvcc("12.9");
  k129.gpu_codes.push_back("sm_103");
  k129.gpu_codes.push_back("sm_121");
  tc.cuda = {k129, nvcc("12.8")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(variant(m, "torch210-cxx11-cu129-x86_64-linux").sections[0].archs,
              ElementsAre("10.0a", "10.3a", "12.1a"));
  const Variant& v128 = variant(m, "torch29-cxx11-cu128-x86_64-linux");
  EXPECT_THAT(v128.sections[0].archs, ElementsAre("10.0a"));
  EXPECT_THAT(v128.sections[0].notes,
              Contains(HasSubstr("10.3a: dropped, its base 10.3 is not a supported target")));
}

// ---- rocm ----

TEST(Matrix, RocmNeedsExactMajorMinor) {
  Config c = config({Backend::rocm});
  c.kernels = {kernel("relu_rocm", Backend::rocm)};
  c.kernels[0].rocm_archs = located({"gfx90a", "gfx942", "gfx941"}, 12);
  Toolchains tc;
  tc.torches = {torch("2.12.0+rocm7.1", nullptr, "7.1"), torch("2.11.0+rocm6.4", nullptr, "6.4")};
  tc.rocm = {rocm("7.1.1", {"gfx90a", "gfx942", "gfx950"})};
  Matrix m = plan(c, tc);
  EXPECT_THAT(names(m), ElementsAre("torch212-cxx11-rocm71-x86_64-linux"));
  EXPECT_EQ(reason(m, "torch211-cxx11-rocm64-x86_64-linux"),
            "torch 2.11 is built for ROCm 6.4; found ROCm 7.1 (the loader requires an exact "
            "major.minor match)");
  const Variant& v = m.variants[0];
  EXPECT_EQ(v.rocm, 0u);
  ASSERT_EQ(v.sections.size(), 1u);
  EXPECT_THAT(v.sections[0].archs, ElementsAre("gfx90a", "gfx942"));
  EXPECT_THAT(v.sections[0].notes,
              ElementsAre(HasSubstr("gfx941: not one of the supported ROCm targets")));
}

TEST(Matrix, RocmNameComesFromTorchHipVersion) {
  Config c = config({Backend::rocm});
  c.kernels = {kernel("relu_rocm", Backend::rocm)};
  Toolchains tc;
  tc.torches = {torch("2.12.0+rocm7.1", nullptr, "7.1")};
  tc.rocm = {rocm("7.1")};  // default Debian-like target list
  Matrix m = plan(c, tc);
  ASSERT_THAT(names(m), ElementsAre("torch212-cxx11-rocm71-x86_64-linux"));
  EXPECT_THAT(m.variants[0].sections[0].archs,
              ElementsAre("gfx906", "gfx908", "gfx90a", "gfx1030"));
  EXPECT_EQ(m.variants[0].sections[0].notes.size(), 6u);
}

TEST(Matrix, RocmEmptyIntersectionIsAnError) {
  Config c = config({Backend::rocm});
  c.kernels = {kernel("mi300", Backend::rocm, 30)};
  c.kernels[0].rocm_archs = located({"gfx942"}, 33);
  Toolchains tc;
  tc.torches = {torch("2.12.0+rocm5.2", nullptr, "5.2")};
  tc.rocm = {rocm("5.2")};  // LLVM 15: no gfx942
  auto m = make_matrix(c, tc);
  ASSERT_FALSE(m.ok());
  const Error& e = m.errors().list.at(0);
  EXPECT_THAT(
      e.message,
      HasSubstr("ROCm kernel mi300: empty set of architectures after intersection with ROCm 5.2"));
  EXPECT_THAT(e.message, HasSubstr("gfx942: not supported by the HIP compiler"));
  EXPECT_EQ(e.loc->line, 30);
}

// ---- ordering and the whole picture ----

TEST(Matrix, SortedUniqueAcrossBackends) {
  Config c = config({Backend::rocm, Backend::cuda, Backend::cpu});
  c.kernels = {kernel("relu", Backend::cuda), kernel("relu_rocm", Backend::rocm),
               kernel("relu_cpu", Backend::cpu)};
  Toolchains tc;
  tc.torches = {torch("2.12.0+cu130", "13.0"), torch("2.12.0+rocm7.1", nullptr, "7.1"),
                torch("2.13.0+cu132", "13.2")};
  tc.cuda = {nvcc("13.0"), nvcc("13.2")};
  tc.rocm = {rocm("7.1")};
  Matrix m = plan(c, tc);
  EXPECT_THAT(
      names(m),
      ElementsAre("torch212-cxx11-cpu-x86_64-linux", "torch212-cxx11-cu130-x86_64-linux",
                  "torch212-cxx11-rocm71-x86_64-linux", "torch213-cxx11-cpu-x86_64-linux",
                  "torch213-cxx11-cu130-x86_64-linux", "torch213-cxx11-cu132-x86_64-linux"));
  EXPECT_THAT(reason(m, "torch212-cxx11-cpu-x86_64-linux"), HasSubstr("duplicate"));
  EXPECT_THAT(reason(m, "torch212-cxx11-cu132-x86_64-linux"), HasSubstr("newer minor"));
  for (const auto& v : m.variants) {
    auto parsed = VariantName::parse(v.name);
    ASSERT_TRUE(parsed.ok()) << v.name;
    EXPECT_EQ(*parsed, v.id) << v.name;
  }
}

// ---- output ----

TEST(MatrixOutput, JsonHasVariantsToolchainsAndRejected) {
  Config c = config({Backend::cuda, Backend::xpu});
  c.kernels = {kernel("relu", Backend::cuda)};
  Toolchains tc;
  tc.torches = {torch("2.11.0+cu130", "13.0", nullptr, "/usr/bin/python3"),
                torch("2.10.0+cu128", "12.8")};
  tc.cuda = {nvcc("13.0")};
  Matrix m = plan(c, tc);
  auto j = nlohmann::ordered_json::parse(matrix_to_json(m, tc, true));
  ASSERT_EQ(j["variants"].size(), 2u);
  const auto& v = j["variants"][0];
  EXPECT_EQ(v["name"], "torch-xpu");
  EXPECT_EQ(v["noarch"], true);
  EXPECT_TRUE(v["backend_version"].is_null());
  EXPECT_TRUE(v["torch"].is_null());
  const auto& a = j["variants"][1];
  EXPECT_EQ(a["name"], "torch211-cxx11-cu130-x86_64-linux");
  EXPECT_EQ(a["backend"], "cuda");
  EXPECT_EQ(a["backend_version"], "13.0");
  EXPECT_EQ(a["torch"], "2.11");
  EXPECT_EQ(a["torch_version"], "2.11.0+cu130");
  EXPECT_EQ(a["noarch"], false);
  EXPECT_TRUE(a["stable_abi"].is_null());
  EXPECT_EQ(a["sections"][0]["name"], "relu");
  EXPECT_EQ(a["sections"][0]["archs"].size(), 11u);  // the CUDA 13 default list
  EXPECT_EQ(a["metadata_archs"][0], "10.0");
  EXPECT_EQ(a["toolchain"]["python"], "/usr/bin/python3");
  EXPECT_EQ(a["toolchain"]["nvcc"], "/usr/local/cuda-13.0/bin/nvcc");
  EXPECT_TRUE(a["toolchain"]["hipcc"].is_null());
  // Key order is stable.
  std::vector<std::string> keys;
  for (auto it = a.begin(); it != a.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ElementsAre("name", "backend", "backend_version", "torch", "torch_version",
                                "noarch", "stable_abi", "sections", "skipped_sections",
                                "metadata_archs", "toolchain"));
  ASSERT_EQ(j["rejected"].size(), 1u);
  EXPECT_EQ(j["rejected"][0]["name"], "torch210-cxx11-cu130-x86_64-linux");
  EXPECT_EQ(j["rejected"][0]["reason"],
            "torch 2.10 is built for CUDA 12.8; found nvcc 13.0 (major differs)");

  auto without = nlohmann::json::parse(matrix_to_json(m, tc, false));
  EXPECT_FALSE(without.contains("rejected"));
}

TEST(MatrixOutput, TextOneNamePerLine) {
  Matrix m;
  Variant a, b;
  a.name = "torch-cpu";
  b.name = "torch211-cxx11-cu130-x86_64-linux";
  m.variants = {a, b};
  m.rejected = {{"torch210-cxx11-cu130-x86_64-linux", "major differs"}};
  EXPECT_EQ(matrix_to_text(m, false), "torch-cpu\ntorch211-cxx11-cu130-x86_64-linux\n");
  EXPECT_EQ(matrix_to_text(m, true),
            "torch-cpu\ntorch211-cxx11-cu130-x86_64-linux\n"
            "  rejected: torch210-cxx11-cu130-x86_64-linux: major differs\n");
  EXPECT_EQ(matrix_to_text(Matrix{}, true), "");
}

}  // namespace
}  // namespace kb
