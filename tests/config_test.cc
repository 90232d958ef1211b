// Valid build.toml files of both editions: tests/data/config/valid/*.toml and inline texts.

#include "kb/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kb {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const fs::path k_valid_dir = fs::path(KB_TEST_DATA) / "config" / "valid";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string all_errors(const Result<Config>& r) {
  std::string out;
  if (!r.ok())
    for (const auto& e : r.errors().list) out += format_error(e) + "\n";
  return out;
}

// Parses tests/data/config/valid/<name>.toml, which must succeed.
Config load(const std::string& name) {
  const std::string path = "valid/" + name + ".toml";
  auto r = parse_config(read_text(k_valid_dir / (name + ".toml")), path);
  EXPECT_TRUE(r.ok()) << all_errors(r);
  if (!r.ok()) return Config{};
  return std::move(r).value();
}

Config parse_ok(std::string_view text) {
  auto r = parse_config(text, "build.toml");
  EXPECT_TRUE(r.ok()) << all_errors(r);
  if (!r.ok()) return Config{};
  return std::move(r).value();
}

std::vector<Error> parse_errors(std::string_view text) {
  auto r = parse_config(text, "build.toml");
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::vector<Error>{} : r.errors().list;
}

std::vector<std::string> strings(const std::vector<Located>& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i.value);
  return out;
}

std::vector<std::string> versions(const std::map<Backend, Version>& m, Backend b) {
  auto it = m.find(b);
  return it == m.end() ? std::vector<std::string>{} : std::vector<std::string>{it->second.str()};
}

const char* const k_minimal = R"(
[general]
name = "relu"
version = 1
edition = 5
license = "Apache-2.0"
backends = ["cuda", "rocm"]

[torch]
src = ["torch-ext/torch_binding.cpp"]
)";

TEST(ConfigValid, EveryValidFileParsesWithoutErrors) {
  size_t n = 0;
  for (const auto& entry : fs::directory_iterator(k_valid_dir)) {
    if (entry.path().extension() != ".toml") continue;
    ++n;
    auto r = parse_config(read_text(entry.path()), entry.path().string());
    EXPECT_TRUE(r.ok()) << entry.path() << "\n" << all_errors(r);
  }
  EXPECT_GE(n, 7u);
}

TEST(ConfigValid, ActivationGeneralSection) {
  Config c = load("activation");
  EXPECT_EQ(c.path, "valid/activation.toml");
  EXPECT_EQ(c.edition, 5);
  EXPECT_THAT(c.warnings, IsEmpty());
  EXPECT_EQ(c.name, "activation");
  EXPECT_EQ(c.module_name(), "activation");
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(c.license, "Apache-2.0");
  EXPECT_EQ(c.upstream, "https://github.com/vllm-project/vllm");
  EXPECT_FALSE(c.source.has_value());
  EXPECT_THAT(c.backends, ElementsAre(Backend::cpu, Backend::cuda, Backend::rocm));
  EXPECT_EQ(c.hub_repo_id, "kernels-community/activation");
  EXPECT_EQ(c.hub_branch, "main");
  EXPECT_THAT(c.python_depends, IsEmpty());
  EXPECT_FALSE(c.cuda.minver.has_value());
}

TEST(ConfigValid, ActivationTorchSectionKeepsSourceLocations) {
  Config c = load("activation");
  EXPECT_EQ(c.framework, Framework::torch);
  ASSERT_EQ(c.torch.src.size(), 2u);
  EXPECT_EQ(c.torch.src[0].value, "torch-ext/torch_binding.cpp");
  EXPECT_EQ(c.torch.src[0].loc.file, "valid/activation.toml");
  EXPECT_EQ(c.torch.src[0].loc.line, 16);
  EXPECT_EQ(c.torch.src[0].loc.col, 3);
  EXPECT_EQ(c.torch.src[1].loc.line, 17);
  EXPECT_THAT(c.torch.include, ElementsAre("."));
  EXPECT_THAT(c.torch.pyext, ElementsAre("py", "pyi"));  // the default
  EXPECT_EQ(c.torch.minver->str(), "2.10");
  EXPECT_EQ(c.torch.maxver->str(), "2.13");
  EXPECT_THAT(c.torch.stable_abi, IsEmpty());
  EXPECT_THAT(c.torch.cxx_flags, IsEmpty());
}

TEST(ConfigValid, ActivationKernelsInFileOrderWithBackendKeys) {
  Config c = load("activation");
  ASSERT_EQ(c.kernels.size(), 3u);
  const KernelSection& cuda = c.kernels[0];
  const KernelSection& rocm = c.kernels[1];
  const KernelSection& cpu = c.kernels[2];

  EXPECT_EQ(cuda.name, "activation");
  EXPECT_EQ(cuda.backend, Backend::cuda);
  EXPECT_EQ(cuda.loc.line, 23);
  EXPECT_EQ(cuda.loc.col, 1);
  EXPECT_THAT(cuda.depends, ElementsAre("torch"));
  ASSERT_TRUE(cuda.cuda_capabilities.has_value());
  EXPECT_THAT(strings(*cuda.cuda_capabilities),
              ElementsAre("7.5", "8.0", "9.0a", "10.0f", "12.0+PTX"));
  EXPECT_EQ((*cuda.cuda_capabilities)[2].loc.line, 26);
  EXPECT_EQ((*cuda.cuda_capabilities)[2].loc.col, 36);
  EXPECT_THAT(cuda.cuda_flags, ElementsAre("-O3", "--use_fast_math"));
  EXPECT_EQ(cuda.cuda_minver->str(), "12.6");
  EXPECT_THAT(strings(cuda.src),
              ElementsAre("activation/activation_kernels.cu", "activation/cuda_compat.h",
                          "activation/dispatch_utils.h"));
  EXPECT_FALSE(cuda.rocm_archs.has_value());

  EXPECT_EQ(rocm.name, "activation_rocm");
  EXPECT_EQ(rocm.backend, Backend::rocm);
  EXPECT_EQ(rocm.loc.line, 35);
  ASSERT_TRUE(rocm.rocm_archs.has_value());
  EXPECT_THAT(strings(*rocm.rocm_archs), ElementsAre("gfx90a", "gfx942"));
  EXPECT_EQ((*rocm.rocm_archs)[1].loc.line, 38);
  EXPECT_EQ((*rocm.rocm_archs)[1].loc.col, 25);
  EXPECT_THAT(rocm.hip_flags, ElementsAre("-O3"));
  EXPECT_THAT(rocm.cxx_flags, ElementsAre("-DROCM_BUILD"));
  EXPECT_FALSE(rocm.cuda_capabilities.has_value());

  EXPECT_EQ(cpu.name, "activation_cpu");
  EXPECT_EQ(cpu.backend, Backend::cpu);
  EXPECT_THAT(cpu.include, ElementsAre("activation"));
  EXPECT_THAT(cpu.cxx_flags, ElementsAre("-march=x86-64-v3"));
  EXPECT_EQ(cpu.src[0].loc.line, 52);

  EXPECT_TRUE(c.has_kernels_for(Backend::cuda));
  EXPECT_TRUE(c.has_kernels_for(Backend::cpu));
  EXPECT_FALSE(c.has_kernels_for(Backend::metal));
  EXPECT_TRUE(c.has_backend(Backend::rocm));
  EXPECT_FALSE(c.has_backend(Backend::xpu));
}

TEST(ConfigValid, NoarchWithSnakeCaseArchKeysAndEmptyKernelTable) {
  Config c = load("noarch");
  EXPECT_EQ(c.edition, 5);
  EXPECT_EQ(c.framework, Framework::torch_noarch);
  EXPECT_EQ(c.name, "silu-and-mul");
  EXPECT_EQ(c.module_name(), "silu_and_mul");
  EXPECT_EQ(c.version, 2);
  EXPECT_EQ(c.license, "apache-2.0");  // kept verbatim
  EXPECT_THAT(c.noarch.pyext, ElementsAre("py", "json"));
  EXPECT_THAT(c.noarch.cuda_capabilities, ElementsAre("8.0", "9.0"));
  EXPECT_THAT(c.noarch.rocm_archs, ElementsAre("gfx942"));
  EXPECT_THAT(c.kernels, IsEmpty());
  EXPECT_EQ(c.backends.size(), 5u);
  EXPECT_THAT(c.python_depends_for(Backend::metal), ElementsAre("einops"));
}

TEST(ConfigValid, PreEditionNoarchWithKebabCaseArchKeysWarns) {
  Config c = load("noarch_kebab");
  EXPECT_EQ(c.edition, 4);
  EXPECT_EQ(c.framework, Framework::torch_noarch);
  EXPECT_THAT(c.noarch.cuda_capabilities, ElementsAre("9.0"));
  EXPECT_THAT(c.noarch.rocm_archs, ElementsAre("gfx90a", "gfx942"));
  EXPECT_THAT(c.noarch.pyext, ElementsAre("py", "pyi"));
  // A v4 file is normal (most published kernels are): one note, for check-config only, on
  // one line (no hint), and no warning that every command would print.
  EXPECT_THAT(c.warnings, IsEmpty());
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_THAT(c.notes[0].message, HasSubstr("pre-edition (v4) build.toml, read as edition 5"));
  EXPECT_THAT(c.notes[0].message, HasSubstr("edition = 5"));
  EXPECT_EQ(c.notes[0].message.find('\n'), std::string::npos);
  EXPECT_TRUE(c.notes[0].hint.empty());
  ASSERT_TRUE(c.notes[0].loc.has_value());
  EXPECT_EQ(c.notes[0].loc->line, 3);  // the [general] header
}

TEST(ConfigValid, StableAbiTableKeepsOnlyListedBackends) {
  Config c = load("stable_abi_table");
  EXPECT_EQ(c.torch.stable_abi.size(), 1u);
  EXPECT_THAT(versions(c.torch.stable_abi, Backend::cuda), ElementsAre("2.11"));
  EXPECT_THAT(versions(c.torch.stable_abi, Backend::rocm), IsEmpty());  // not in backends
  EXPECT_THAT(versions(c.torch.stable_abi, Backend::cpu), IsEmpty());   // builds normally
  ASSERT_EQ(c.kernels.size(), 2u);
  EXPECT_EQ(c.kernels[0].name, "relu");
  EXPECT_EQ(c.kernels[1].name, "relu_cpu");
  EXPECT_THAT(c.kernels[1].depends, IsEmpty());
}

TEST(ConfigValid, TvmFfiFramework) {
  Config c = load("tvm_ffi");
  EXPECT_EQ(c.framework, Framework::tvm_ffi);
  EXPECT_THAT(strings(c.torch.src), ElementsAre("tvm-ffi-ext/binding.cc"));
  EXPECT_EQ(c.torch.src[0].loc.line, 11);
  EXPECT_THAT(c.torch.include, ElementsAre("include"));
  EXPECT_THAT(c.torch.cxx_flags, ElementsAre("-DTVM_FFI_BUILD"));
  EXPECT_THAT(c.python_depends, ElementsAre("tvm-ffi"));
  ASSERT_EQ(c.kernels.size(), 1u);
  EXPECT_THAT(strings(c.kernels[0].src), ElementsAre("relu/relu.cu", "relu/relu.h"));
}

TEST(ConfigValid, PreEditionFileIsUpgradedInMemory) {
  Config c = load("v4_flash");
  EXPECT_EQ(c.edition, 4);
  EXPECT_THAT(c.warnings, IsEmpty());
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_THAT(c.notes[0].message, HasSubstr("pre-edition"));
  EXPECT_EQ(c.name, "flash-attn3");
  EXPECT_EQ(c.module_name(), "flash_attn3");
  EXPECT_EQ(c.upstream, "git@github.com:Dao-AILab/flash-attention.git");
  EXPECT_EQ(c.source, "https://github.com/huggingface/kernels-community");
  EXPECT_EQ(c.cuda.minver->str(), "12.4");
  EXPECT_EQ(c.cuda.maxver->str(), "13");  // "13.0": trailing zeros dropped
  EXPECT_THAT(c.python_depends_for(Backend::cuda), ElementsAre("nvidia-cutlass-dsl"));
  EXPECT_THAT(c.python_depends_for(Backend::rocm), IsEmpty());
  // A single stable-abi version applies to every listed backend.
  EXPECT_THAT(versions(c.torch.stable_abi, Backend::cuda), ElementsAre("2.11"));
  EXPECT_THAT(c.torch.cxx_flags, ElementsAre("-DFLASHATTENTION_DISABLE_BACKWARD"));
  ASSERT_EQ(c.kernels.size(), 1u);
  EXPECT_THAT(c.kernels[0].depends, ElementsAre("torch", "cutlass_3_9"));
  EXPECT_THAT(c.kernels[0].include, ElementsAre("flash-attn/cutlass/include"));
  EXPECT_THAT(c.kernel_depends_for(Backend::cuda), IsEmpty());
}

TEST(ConfigValid, DependenciesPerBackend) {
  Config c = load("deps");
  EXPECT_THAT(c.python_depends, ElementsAre("einops", "helion"));
  ASSERT_EQ(c.kernel_depends.size(), 2u);
  EXPECT_EQ(c.kernel_depends[0].repo_id, "kernels-community/activation");
  EXPECT_EQ(c.kernel_depends[0].version, 1);
  EXPECT_FALSE(c.kernel_depends[0].revision.has_value());
  EXPECT_EQ(c.kernel_depends[1].repo_id, "kernels-community/relu");
  EXPECT_EQ(c.kernel_depends[1].revision, "3f2a9c1");
  EXPECT_FALSE(c.kernel_depends[1].version.has_value());

  auto cuda_deps = c.kernel_depends_for(Backend::cuda);
  ASSERT_EQ(cuda_deps.size(), 3u);
  EXPECT_EQ(cuda_deps[2].repo_id, "kernels-community/flash-attn3");
  EXPECT_EQ(cuda_deps[2].version, 2);
  EXPECT_EQ(c.kernel_depends_for(Backend::xpu).size(), 3u);
  EXPECT_EQ(c.kernel_depends_for(Backend::metal).size(), 2u);

  EXPECT_THAT(c.python_depends_for(Backend::cuda),
              ElementsAre("einops", "helion", "nvidia-cutlass-dsl"));
  EXPECT_THAT(c.python_depends_for(Backend::xpu), ElementsAre("einops", "helion", "onednn"));
  EXPECT_THAT(c.python_depends_for(Backend::neuron), ElementsAre("einops", "helion", "nki"));
  EXPECT_THAT(c.python_depends_for(Backend::tpu), ElementsAre("einops", "helion"));
  EXPECT_EQ(c.cuda.minver->str(), "12.8");
  EXPECT_THAT(c.torch.pyext, ElementsAre("py", "pyi", "json"));

  ASSERT_EQ(c.kernels.size(), 3u);
  EXPECT_EQ(c.kernels[0].backend, Backend::xpu);
  EXPECT_THAT(c.kernels[0].sycl_flags, ElementsAre("-D__SYCL_TARGET_INTEL_GPU_CRI__"));
  EXPECT_THAT(c.kernels[0].depends, ElementsAre("torch", "sycl_tla"));
  EXPECT_EQ(c.kernels[1].backend, Backend::cuda);
  EXPECT_EQ(c.kernels[2].backend, Backend::metal);
  EXPECT_THAT(c.kernels[2].depends, ElementsAre("torch", "metal-cpp"));
  EXPECT_THAT(c.warnings, IsEmpty());
}

TEST(ConfigParse, MinimalEditionFive) {
  Config c = parse_ok(k_minimal);
  EXPECT_EQ(c.path, "build.toml");
  EXPECT_EQ(c.framework, Framework::torch);
  EXPECT_THAT(c.kernels, IsEmpty());
  EXPECT_THAT(c.warnings, IsEmpty());
  EXPECT_FALSE(c.hub_repo_id.has_value());
  EXPECT_EQ(c.torch.src[0].loc.file, "build.toml");
}

TEST(ConfigParse, TorchSrcDefaultsToEmpty) {
  Config c = parse_ok(R"(
[general]
name = "pyonly"
version = 1
edition = 5
license = "MIT"
backends = ["cpu"]

[torch]
)");
  EXPECT_THAT(c.torch.src, IsEmpty());
  EXPECT_THAT(c.torch.pyext, ElementsAre("py", "pyi"));
}

TEST(ConfigParse, SingleStableAbiAppliesToEveryListedBackend) {
  Config c = parse_ok(std::string(k_minimal) + "stable-abi = \"2.11\"\n");
  EXPECT_EQ(c.torch.stable_abi.size(), 2u);
  EXPECT_THAT(versions(c.torch.stable_abi, Backend::cuda), ElementsAre("2.11"));
  EXPECT_THAT(versions(c.torch.stable_abi, Backend::rocm), ElementsAre("2.11"));
}

TEST(ConfigParse, KernelsDefinedWithDottedKeysKeepFileOrder) {
  Config c = parse_ok(std::string(k_minimal) + R"(
[kernel]
zeta.backend = "cuda"
zeta.depends = []
zeta.src = ["z.cu"]
alpha = { backend = "rocm", depends = ["torch"], src = ["a.hip"] }
)");
  ASSERT_EQ(c.kernels.size(), 2u);
  EXPECT_EQ(c.kernels[0].name, "zeta");  // file order, not key order
  EXPECT_EQ(c.kernels[1].name, "alpha");
  EXPECT_EQ(c.kernels[1].backend, Backend::rocm);
}

TEST(ConfigParse, DuplicateBackendsAreListedOnce) {
  std::string text = k_minimal;
  text.replace(text.find("[\"cuda\", \"rocm\"]"), 16, "[\"cuda\", \"rocm\", \"cuda\"]");
  Config c = parse_ok(text);
  EXPECT_THAT(c.backends, ElementsAre(Backend::cuda, Backend::rocm));
}

TEST(ConfigParse, KernelForUnlistedBackendIsAWarning) {
  Config c = parse_ok(std::string(k_minimal) + R"(
[kernel.relu_cpu]
backend = "cpu"
depends = []
src = ["relu.cpp"]
)");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0].message, HasSubstr("[kernel.relu_cpu] is a cpu kernel"));
  EXPECT_EQ(c.warnings[0].loc->line, 12);
  EXPECT_FALSE(c.has_kernels_for(Backend::cuda));
  EXPECT_TRUE(c.has_kernels_for(Backend::cpu));
}

TEST(ConfigParse, GitUrlForms) {
  for (const char* url :
       {"https://github.com/org/repo", "http://host/x.git", "git://host/x", "ssh://git@host/x.git",
        "git+ssh://git@host/x", "git+https://host/x", "git+http://host/x",
        "git@github.com:org/repo.git", "host:relative/path"}) {
    std::string text = k_minimal;
    text.insert(text.find("backends"), "upstream = \"" + std::string(url) + "\"\n");
    Config c = parse_ok(text);
    EXPECT_EQ(c.upstream, url);
  }
  for (const char* url : {"", "github.com/org/repo", "ftp://host/x", "file:///tmp/x",
                          "host:/absolute", ":path", "https:// spaced", "https://"}) {
    std::string text = k_minimal;
    text.insert(text.find("backends"), "source = \"" + std::string(url) + "\"\n");
    auto errors = parse_errors(text);
    ASSERT_EQ(errors.size(), 1u) << url;
    EXPECT_THAT(errors[0].message, HasSubstr("invalid git URL")) << url;
  }
}

TEST(ConfigParse, KernelNameRule) {
  for (const char* name : {"ab", "a1", "flash-attn3", "a-b-c"}) {
    std::string text = k_minimal;
    text.replace(text.find("\"relu\""), 6, "\"" + std::string(name) + "\"");
    EXPECT_EQ(parse_ok(text).name, name);
  }
  for (const char* name : {"a", "1ab", "-ab", "ab-", "aB", "a_b", "a.b", ""}) {
    std::string text = k_minimal;
    text.replace(text.find("\"relu\""), 6, "\"" + std::string(name) + "\"");
    auto errors = parse_errors(text);
    ASSERT_EQ(errors.size(), 1u) << name;
    EXPECT_THAT(errors[0].message, HasSubstr("invalid kernel name")) << name;
  }
}

TEST(ConfigParse, SyntaxErrorIsASingleLocatedError) {
  auto errors = parse_errors("[general]\nname = \"x\"\nbackends = [\"cuda\"\n[torch]\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("invalid TOML"));
  ASSERT_TRUE(errors[0].loc.has_value());
  EXPECT_EQ(errors[0].loc->file, "build.toml");
  EXPECT_EQ(errors[0].loc->line, 4);
}

TEST(ConfigParse, LegacyV3IsRejectedWithOneError) {
  auto errors = parse_errors(R"([general]
name = "relu"
backends = ["cuda"]
universal = false
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("legacy (v3)"));
  EXPECT_THAT(errors[0].hint, HasSubstr("kernel-builder update-build DIR"));
  EXPECT_EQ(errors[0].loc->line, 1);
}

TEST(ConfigParse, PreEditionFileRejectsEditionFiveFeatures) {
  // Each of these is fine in edition 5 and must name the edition in a v4 file.
  auto errors = parse_errors(R"([general]
name = "relu"
version = 1
license = "MIT"
backends = ["cuda", "tpu"]
kernel-depends = [{ repo-id = "a/b", version = 1 }]

[general.cuda]
kernel-depends = []

[general.tpu]
python-depends = []

[torch]
stable-abi = { cuda = "2.11" }
)");
  ASSERT_EQ(errors.size(), 4u);
  for (const auto& e : errors) EXPECT_THAT(e.message, HasSubstr("needs edition 5"));
  EXPECT_EQ(errors[0].loc->line, 6);
  EXPECT_EQ(errors[1].loc->line, 9);
  EXPECT_EQ(errors[2].loc->line, 11);
  EXPECT_EQ(errors[3].loc->line, 15);
}

TEST(ConfigParse, SameFileWithEditionFiveIsValid) {
  Config c = parse_ok(R"([general]
name = "relu"
version = 1
edition = 5
license = "MIT"
backends = ["cuda", "tpu"]
kernel-depends = [{ repo-id = "a/b", version = 1 }]

[general.cuda]
kernel-depends = []

[general.tpu]
python-depends = []

[torch]
stable-abi = { cuda = "2.11" }
)");
  EXPECT_EQ(c.edition, 5);
  EXPECT_EQ(c.kernel_depends.size(), 1u);
}

TEST(ConfigParse, UnknownKernelBackendStillChecksTheOtherKeys) {
  auto errors = parse_errors(std::string(k_minimal) + R"(
[kernel.x]
backend = "vulkan"
depends = ["cutlass_9_9"]
src = "x.cu"
)");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_THAT(errors[0].message, HasSubstr("unknown backend 'vulkan'"));
  EXPECT_THAT(errors[1].message, HasSubstr("unknown dependency 'cutlass_9_9'"));
  EXPECT_THAT(errors[2].message, HasSubstr("expected an array of strings for 'src'"));
}

TEST(ConfigParse, IsDeterministic) {
  Config a = load("activation");
  Config b = load("activation");
  ASSERT_EQ(a.kernels.size(), b.kernels.size());
  for (size_t i = 0; i < a.kernels.size(); ++i) EXPECT_EQ(a.kernels[i].name, b.kernels[i].name);
}

TEST(ConfigEnums, BackendNamesRoundTrip) {
  ASSERT_EQ(all_backends().size(), 8u);
  std::vector<std::string> names;
  for (Backend b : all_backends()) {
    names.emplace_back(to_string(b));
    EXPECT_EQ(parse_backend(to_string(b)), b);
  }
  EXPECT_THAT(names, ElementsAre("cann", "cpu", "cuda", "metal", "neuron", "rocm", "tpu", "xpu"));
  EXPECT_FALSE(parse_backend("CUDA").has_value());
  EXPECT_FALSE(parse_backend("").has_value());
  EXPECT_FALSE(parse_backend("universal").has_value());
}

TEST(ConfigEnums, FrameworkNames) {
  EXPECT_EQ(to_string(Framework::torch), "torch");
  EXPECT_EQ(to_string(Framework::torch_noarch), "torch-noarch");
  EXPECT_EQ(to_string(Framework::tvm_ffi), "tvm-ffi");
}

TEST(ConfigModel, ModuleNameReplacesEveryDash) {
  Config c;
  c.name = "a-b-c";
  EXPECT_EQ(c.module_name(), "a_b_c");
}

// A ROCm kernel with `rocm_archs` as its rocm-archs value (on line 13).
std::string rocm_kernel(const std::string& rocm_archs) {
  return R"([general]
name = "relu"
version = 1
edition = 5
license = "Apache-2.0"
backends = ["rocm"]

[torch]
src = ["torch-ext/torch_binding.cpp"]

[kernel.relu]
backend = "rocm"
rocm-archs = )" +
         rocm_archs + R"(
depends = ["torch"]
src = ["relu/relu.cu"]
)";
}

TEST(ConfigValid, RocmArchsAreCheckedAsCapabilitiesAre) {
  // Only the reference's targets are built: a name outside them is a note at its entry; a list
  // with none of them, or an empty one, is an error at the key, ROCm toolkit or not.
  Config c = parse_ok(rocm_kernel(R"(["gfx942", "gfx9422"])"));
  EXPECT_THAT(strings(*c.kernels[0].rocm_archs), ElementsAre("gfx942", "gfx9422"));
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_THAT(c.notes[0].message,
              HasSubstr("\"gfx9422\" in 'rocm-archs' in [kernel.relu] is not one of the supported "
                        "ROCm targets"));
  ASSERT_TRUE(c.notes[0].loc.has_value());
  EXPECT_EQ(c.notes[0].loc->line, 13);
  EXPECT_EQ(c.notes[0].hint, "did you mean \"gfx942\"?");

  auto unknown = parse_errors(rocm_kernel(R"(["gfx9999"])"));
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_THAT(unknown[0].message, HasSubstr("names no supported ROCm target (gfx906;"));
  ASSERT_TRUE(unknown[0].loc.has_value());
  EXPECT_EQ(unknown[0].loc->line, 13);

  auto empty = parse_errors(rocm_kernel("[]"));
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_THAT(empty[0].message,
              HasSubstr("is empty, so the kernel would build for no ROCm target"));
  EXPECT_EQ(empty[0].loc->line, 13);
}

TEST(ConfigValid, CapabilitiesAsTheReferenceAcceptsThem) {
  // Any well-formed capability is accepted; one that serves no target of any CUDA version is
  // a note at its entry, not an error.
  Config c = parse_ok(R"([general]
name = "relu"
version = 1
edition = 5
license = "Apache-2.0"
backends = ["cuda"]

[torch]
src = ["torch-ext/torch_binding.cpp"]

[kernel.relu]
backend = "cuda"
depends = ["torch"]
src = ["relu/relu.cu"]
cuda-capabilities = ["8.0", "10.1", "11.8", "12.0"]
)");
  ASSERT_TRUE(c.kernels[0].cuda_capabilities.has_value());
  EXPECT_THAT(strings(*c.kernels[0].cuda_capabilities), ElementsAre("8.0", "10.1", "11.8", "12.0"));
  EXPECT_THAT(c.warnings, IsEmpty());
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_THAT(
      c.notes[0].message,
      HasSubstr(
          "\"11.8\" in 'cuda-capabilities' in [kernel.relu] serves no target of any CUDA version"));
  ASSERT_TRUE(c.notes[0].loc.has_value());
  EXPECT_EQ(c.notes[0].loc->line, 15);
  EXPECT_EQ(c.notes[0].loc->col, 37);
}

}  // namespace
}  // namespace kb
