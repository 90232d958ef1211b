#include "kb/bundle_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::ElementsAre;

// Golden texts live in tests/data/golden/; KB_UPDATE_GOLDEN=1 rewrites them.
#define EXPECT_GOLDEN(name, actual)                    \
  do {                                                 \
    std::string kb_m_ = golden_mismatch(name, actual); \
    EXPECT_TRUE(kb_m_.empty()) << kb_m_;               \
  } while (0)

TEST(BundleFiles, OpsName) {
  EXPECT_EQ(make_ops_name("relu", Backend::cuda, "abc1234"), "_relu_cuda_abc1234");
  EXPECT_EQ(make_ops_name("layer_norm", Backend::cpu, "abc1234_dirty"),
            "_layer_norm_cpu_abc1234_dirty");
}

TEST(BundleFiles, ArchOpsPyGolden) {
  std::string text = arch_ops_py("_relu_cuda_abc1234");
  EXPECT_GOLDEN("arch_ops.py", text);
  EXPECT_NE(text.find("from . import _relu_cuda_abc1234"), std::string::npos);
  EXPECT_NE(text.find("ops = torch.ops._relu_cuda_abc1234\n"), std::string::npos);
  EXPECT_NE(text.find("return f\"_relu_cuda_abc1234::{op_name}\""), std::string::npos);
}

TEST(BundleFiles, NoarchOpsPyGolden) {
  std::string text = noarch_ops_py("relu", "abc1234");
  EXPECT_GOLDEN("noarch_ops.py", text);
  // The reference's backend order.
  size_t last = 0;
  for (const char* b :
       {"\"tpu\"", "\"neuron\"", "\"cuda\"", "\"rocm\"", "\"metal\"", "\"xpu\"", "\"cpu\""}) {
    size_t at = text.find(std::string("return ") + b);
    ASSERT_NE(at, std::string::npos) << b;
    EXPECT_GT(at, last) << b;
    last = at;
  }
}

TEST(BundleFiles, RegistrationHeaderGolden) {
  std::string text = registration_header();
  EXPECT_GOLDEN("registration.h", text);
  for (const char* macro :
       {"#define CONCAT(A, B)", "#define STRINGIFY(A)",
        "#define TORCH_LIBRARY_EXPAND(NAME, MODULE)",
        "#define TORCH_LIBRARY_IMPL_EXPAND(NAME, DEVICE, MODULE)",
        "#define STABLE_TORCH_LIBRARY_EXPAND(NAME, MODULE)",
        "#define STABLE_TORCH_LIBRARY_IMPL_EXPAND(NAME, DEVICE, MODULE)",
        "#define REGISTER_EXTENSION(NAME)", "PyMODINIT_FUNC CONCAT(PyInit_, NAME)"})
    EXPECT_NE(text.find(macro), std::string::npos) << macro;
}

TEST(BundleFiles, LateBoundRegistrationHeaderReadsTheNamespaceAtLoadTime) {
  std::string text = late_bound_registration_header();
  for (const char* macro : {"#define CONCAT(A, B)", "#define STRINGIFY(A)",
                            "#define TORCH_LIBRARY_EXPAND(NAME, MODULE)",
                            "#define TORCH_LIBRARY_IMPL_EXPAND(NAME, DEVICE, MODULE)",
                            "#define STABLE_TORCH_LIBRARY_EXPAND(NAME, MODULE)",
                            "#define STABLE_TORCH_LIBRARY_IMPL_EXPAND(NAME, DEVICE, MODULE)",
                            "#define REGISTER_EXTENSION(NAME)"})
    EXPECT_NE(text.find(macro), std::string::npos) << macro;
  // No macro pastes NAME: the namespace comes from the hidden symbol, not the command line.
  EXPECT_EQ(text.find("PyMODINIT_FUNC"), std::string::npos);
  EXPECT_EQ(text.find("TORCH_LIBRARY(NAME"), std::string::npos);
  EXPECT_NE(text.find("visibility(\"hidden\")"), std::string::npos);
  EXPECT_NE(text.find(std::string(k_ops_namespace_symbol) + "[]"), std::string::npos);
  EXPECT_NE(text.find("torch::detail::TorchLibraryInit"), std::string::npos);
  EXPECT_NE(text.find("torch::stable::detail::StableTorchLibraryInit"), std::string::npos);
}

TEST(BundleFiles, OpsIdSourceCarriesTheIdAndTheModuleInit) {
  std::string text = ops_id_source("_relu_cuda_abc1234");
  EXPECT_NE(text.find("const char kb_ops_namespace[] = \"_relu_cuda_abc1234\";"),
            std::string::npos);
  EXPECT_EQ(text.find("extern \"C\""), std::string::npos);  // a C file
  EXPECT_EQ(text.find("nullptr"), std::string::npos);
  EXPECT_NE(text.find("PyMODINIT_FUNC PyInit__relu_cuda_abc1234(void)"), std::string::npos);
  EXPECT_NE(text.find("visibility(\"hidden\")"), std::string::npos);
  EXPECT_NE(text.find("#include <Python.h>"), std::string::npos);
  EXPECT_EQ(text.find("torch"), std::string::npos);
}

TEST(BundleFiles, MetadataArchGolden) {
  Config c = sample_config();
  c.kernel_depends = {KernelDep{"kernels-community/activation", 1, std::nullopt}};
  c.cuda.kernel_depends = {KernelDep{"kernels-community/cutlass", std::nullopt, "abc"}};
  std::string text = render_metadata({.config = c,
                                      .backend = Backend::cuda,
                                      .ops_name = "_relu_cuda_abc1234",
                                      .archs = {"10.0", "12.0+PTX", "8.0", "9.0"},
                                      .kb_version = "0.1.0",
                                      .kernel_commit = std::string(40, 'e'),
                                      .kernel_dirty = false});
  EXPECT_GOLDEN("metadata_cuda.json", text);
  auto j = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ElementsAre("name", "id", "version", "license", "upstream", "python-depends",
                                "kernel-depends", "backend", "provenance"));
  EXPECT_EQ(text.back(), '}');
}

TEST(BundleFiles, MetadataCpuWithoutOptionalKeys) {
  Config c = sample_config();
  c.upstream.reset();
  std::string text = render_metadata({.config = c,
                                      .backend = Backend::cpu,
                                      .ops_name = "_relu_cpu_abc1234",
                                      .archs = {},
                                      .kb_version = "0.1.0"});
  EXPECT_GOLDEN("metadata_cpu.json", text);
  auto j = nlohmann::ordered_json::parse(text);
  EXPECT_FALSE(j.contains("upstream"));
  EXPECT_FALSE(j["backend"].contains("archs"));
  EXPECT_FALSE(j["provenance"].contains("kernel"));
  EXPECT_EQ(j["kernel-depends"], nlohmann::json::array());
}

TEST(BundleFiles, DigestGoesBeforeProvenance) {
  Config c = sample_config();
  std::string meta = render_metadata({.config = c,
                                      .backend = Backend::cpu,
                                      .ops_name = "_relu_cpu_abc1234",
                                      .archs = {},
                                      .kb_version = "0.1.0"});
  Digest d = compute_digest({{"__init__.py", "hello"}, {"_ops.py", ""}});
  auto with = metadata_with_digest(meta, d);
  ASSERT_TRUE(with.ok());
  EXPECT_GOLDEN("metadata_cpu_digest.json", *with);
  auto j = nlohmann::ordered_json::parse(*with);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys, ElementsAre("name", "id", "version", "license", "upstream", "python-depends",
                                "kernel-depends", "backend", "digest", "provenance"));
  EXPECT_EQ(j["digest"]["algorithm"], "sha256");
  EXPECT_EQ(j["digest"]["files"]["__init__.py"], "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
  // Adding it again replaces it.
  auto twice = metadata_with_digest(*with, d);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*twice, *with);
  EXPECT_FALSE(metadata_with_digest("[1]", d).ok());
  EXPECT_FALSE(metadata_with_digest("{", d).ok());
}

TEST(BundleFiles, ArchCopiesPyAndDataExtensionsOnly) {
  std::vector<std::string> files{"__init__.py",
                                 "x.pyi",
                                 "data/t.json",
                                 "_ops.py",
                                 "notes.txt",
                                 "a.pyc",
                                 "__pycache__/a.cpython-311.pyc",
                                 "sub/_ops.py",
                                 "k.bin"};
  EXPECT_THAT(arch_bundle_files(files, {"py", "pyi", "json", ".bin"}),
              ElementsAre("__init__.py", "data/t.json", "k.bin", "sub/_ops.py"));
  EXPECT_THAT(arch_bundle_files(files, {"py", "pyi"}), ElementsAre("__init__.py", "sub/_ops.py"));
}

TEST(BundleFiles, NoarchCopiesAllButBytecode) {
  std::vector<std::string> files{"__init__.py", "x.pyi", "_ops.py",
                                 "notes.txt",   "a.pyc", "__pycache__/a.cpython-311.pyc"};
  EXPECT_THAT(noarch_bundle_files(files), ElementsAre("__init__.py", "notes.txt", "x.pyi"));
}

}  // namespace
}  // namespace kb
