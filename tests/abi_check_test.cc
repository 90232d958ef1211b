// check_abi on in-memory imports: each rule, the built-in tables, and the bundle-level
// verdicts over a fake disk.

#include "kb/abi_check.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fakes.h"

namespace kb {
namespace {

using Kind = AbiViolation::Kind;

// A small table in the data files' format: manylinux_2_28 allowing GLIBC up to 2.28.
const char* k_manylinux = R"({"source": "test", "policies": [
  {"name": "manylinux_2_17", "aliases": ["manylinux2014"], "priority": 80,
   "symbol_versions": {"x86_64": {"GLIBC": ["2.2.5", "2.14", "2.17"], "CXXABI": ["1.3", "TM_1"]}}},
  {"name": "manylinux_2_28", "aliases": [], "priority": 64,
   "symbol_versions": {"x86_64": {"GLIBC": ["2.2.5", "2.14", "2.17", "2.28"],
                                  "GLIBCXX": ["3.4", "3.4.21", "3.4.24"],
                                  "CXXABI": ["1.3", "1.3.9", "TM_1"], "GCC": ["3.0", "7.0.0"]}}}]})";
const char* k_python =
    R"({"source": "test", "added": {"PyModule_Create2": "3.2", "PyType_GetName": "3.11"}})";
const char* k_torch =
    R"({"source": "test", "added": {"torch_new_list_reserve_size": "2.10", "torch_tag_core": "2.12"}})";

AbiTables tables() {
  auto t = parse_abi_tables(k_manylinux, k_python, k_torch);
  EXPECT_TRUE(t.ok());
  return *t;
}

ElfImports imports(std::vector<ImportedSymbol> symbols) {
  return {"x86_64", std::move(symbols), {}};
}

std::vector<AbiViolation> check(std::vector<ImportedSymbol> symbols, AbiOptions options = {}) {
  auto r = check_abi(imports(std::move(symbols)), tables(), options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.errors().list[0].message);
  return r.ok() ? *r : std::vector<AbiViolation>{};
}

TEST(AbiManylinux, VersionsInThePolicyPass) {
  EXPECT_TRUE(check({{"memcpy", "GLIBC_2.14"},
                     {"free", "GLIBC_2.2.5"},
                     {"_ZdlPv", "GLIBCXX_3.4"},
                     {"__cxa_begin_catch", "CXXABI_1.3"},
                     {"_Unwind_Resume", "GCC_3.0"},
                     {"__gcc_personality_v0", "GCC_7.0"}})  // 7.0 == 7.0.0
                  .empty());
}

TEST(AbiManylinux, ANewerGlibcSymbolIsNamedWithTheCeiling) {
  auto v = check({{"__libc_single_threaded", "GLIBC_2.32"}, {"memcpy", "GLIBC_2.14"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0],
            (AbiViolation{Kind::manylinux, "__libc_single_threaded", "GLIBC_2.32", "2.28", ""}));
  EXPECT_EQ(describe_violation(v[0], AbiOptions{}),
            "__libc_single_threaded@GLIBC_2.32: not allowed by manylinux_2_28 (GLIBC up to 2.28)");
}

TEST(AbiManylinux, MembershipIsExactNotACeiling) {
  // auditwheel's sets have gaps (no GLIBC 2.19-2.21); a version in a gap fails.
  auto v = check({{"f", "GLIBC_2.20"}, {"g", "GLIBCXX_3.4.22"}});
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].version, "GLIBC_2.20");
  EXPECT_EQ(v[1].version, "GLIBCXX_3.4.22");
}

TEST(AbiManylinux, NonNumericVersionsAreSetMembers) {
  auto v = check({{"_ITM_RU1", "CXXABI_TM_1"}, {"__libc_secret", "GLIBC_PRIVATE"}});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].version, "GLIBC_PRIVATE");
}

TEST(AbiManylinux, UngovernedAndUnversionedSymbolsAreIgnored) {
  EXPECT_TRUE(check({{"cudaLaunchKernel", "libcudart.so.13"},
                     {"_ZN3c1010TensorImplD2Ev", ""},
                     {"deflate", "ZLIB_1.2.12"}})
                  .empty());
}

TEST(AbiManylinux, TheOlderPolicyIsStricterAndAliasesWork) {
  AbiOptions o;
  o.manylinux = "manylinux2014";
  auto v = check({{"memcpy", "GLIBC_2.14"}, {"f", "GLIBC_2.28"}}, o);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].limit, "2.17");
}

TEST(AbiManylinux, AnUnknownPolicyOrMachineFails) {
  AbiOptions o;
  o.manylinux = "manylinux_2_82";
  auto r = check_abi(imports({}), tables(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "unknown manylinux policy 'manylinux_2_82'");
  EXPECT_EQ(r.errors().list[0].hint, "did you mean 'manylinux_2_28'?");
  auto arm = check_abi({"aarch64", {}, {}}, tables(), AbiOptions{});
  ASSERT_FALSE(arm.ok());
  EXPECT_EQ(arm.errors().list[0].message, "no manylinux_2_28 policy for this machine (aarch64)");
}

TEST(AbiPython, OnlyTheLimitedApiOfTheTargetVersion) {
  auto v = check({{"PyModule_Create2", ""},
                  {"PyType_GetName", ""},
                  {"PyList_GET_ITEM_x", ""},
                  {"_Py_Dealloc_x", ""},
                  {"Pybar", ""},
                  {"py_lower", ""}});
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], (AbiViolation{Kind::python_not_abi3, "PyList_GET_ITEM_x", "", "", ""}));
  EXPECT_EQ(v[1].symbol, "Pybar");  // the reference's prefix rule: "Py" is enough
  EXPECT_EQ(v[2].symbol, "_Py_Dealloc_x");
  EXPECT_EQ(v[3], (AbiViolation{Kind::python_too_new, "PyType_GetName", "3.11", "3.9", ""}));
  EXPECT_EQ(describe_violation(v[3], AbiOptions{}),
            "PyType_GetName: in the limited API only since Python 3.11, newer than 3.9");
  AbiOptions py311;
  py311.python_abi = Version({3, 11});
  EXPECT_EQ(check({{"PyType_GetName", ""}}, py311).size(), 0u);
}

TEST(AbiTorchStable, CxxSymbolsOfTorchFailOnlyStableVariants) {
  const std::vector<ImportedSymbol> syms = {
      {"_ZN3c104cuda20getCurrentCUDAStreamEa", ""},  // c10::cuda::getCurrentCUDAStream(signed char)
      {"_ZTVN3c105ErrorE", ""},                      // vtable for c10::Error
      {"_ZN5torch6stable6detail3fooEv", ""},         // torch::stable::detail::foo()
      {"_ZNSt6vectorIiSaIiEED1Ev", ""},              // std:: is fine
      {"aoti_torch_get_sizes", ""},                  // an old shim: not in the table, C symbol
  };
  EXPECT_TRUE(check(syms).empty());  // not a stable-ABI variant: nothing to say
  AbiOptions o;
  o.torch_stable_abi = Version({2, 11});
  auto v = check(syms, o);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].kind, Kind::torch_not_stable);
  EXPECT_EQ(v[0].demangled, "c10::cuda::getCurrentCUDAStream(signed char)");
  EXPECT_EQ(v[1].demangled, "vtable for c10::Error");
}

TEST(AbiTorchStable, ShimsNewerThanTheTargetFail) {
  AbiOptions o;
  o.torch_stable_abi = Version({2, 11});
  auto v = check({{"torch_new_list_reserve_size", ""}, {"torch_tag_core", ""}}, o);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], (AbiViolation{Kind::torch_shim_too_new, "torch_tag_core", "2.12", "2.11", ""}));
  EXPECT_EQ(describe_violation(v[0], o),
            "torch_tag_core: a stable shim only since Torch 2.12, newer than the target 2.11");
  o.torch_stable_abi = Version({2, 12});
  EXPECT_TRUE(check({{"torch_tag_core", ""}}, o).empty());
}

TEST(AbiTables, MalformedTablesNameTheTable) {
  auto bad =
      parse_abi_tables(k_manylinux, R"({"source": "x", "added": {"PyX": "three"}})", k_torch);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.errors().list[0].message.find("Python stable ABI table"), std::string::npos);
  auto broken = parse_abi_tables("{", k_python, k_torch);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.errors().list[0].message.find("manylinux policy"), std::string::npos);
}

// The tables compiled into kb hold what docs/abi.md says they do.
TEST(AbiTables, BuiltinTablesCarryTheReferencePolicy) {
  auto t = builtin_abi_tables();
  ASSERT_TRUE(t.ok()) << t.errors().list[0].message;
  EXPECT_NE(t->manylinux_source.find("auditwheel"), std::string::npos);
  EXPECT_NE(t->python_source.find("abi3info"), std::string::npos);
  EXPECT_NE(t->torch_source.find("TORCH_FEATURE_VERSION"), std::string::npos);
  auto v = check_abi(imports({{"a", "GLIBC_2.28"},
                              {"b", "GLIBC_2.29"},
                              {"c", "GLIBCXX_3.4.24"},
                              {"d", "GLIBCXX_3.4.25"},
                              {"e", "CXXABI_1.3.11"},
                              {"f", "CXXABI_1.3.12"},
                              {"g", "GCC_7.0.0"},
                              {"h", "GLIBC_2.32"}}),
                     *t, AbiOptions{});
  ASSERT_TRUE(v.ok());
  std::vector<std::string> failed;
  for (const auto& x : *v) failed.push_back(x.version);
  // Sorted by symbol: b, d, f, h.
  EXPECT_EQ(failed, (std::vector<std::string>{"GLIBC_2.29", "GLIBCXX_3.4.25", "CXXABI_1.3.12",
                                              "GLIBC_2.32"}));
  EXPECT_EQ(t->python_added.at("PyModule_Create2"), Version({3, 2}));
  EXPECT_GT(t->python_added.size(), 900u);
  EXPECT_EQ(t->torch_shim_added.at("torch_new_list_reserve_size"), Version({2, 10}));
  // aarch64 has its own GLIBC set (2.17 is its oldest).
  auto arm =
      check_abi({"aarch64", {{"x", "GLIBC_2.17"}, {"y", "GLIBC_2.2.5"}}, {}}, *t, AbiOptions{});
  ASSERT_TRUE(arm.ok());
  ASSERT_EQ(arm->size(), 1u);
  EXPECT_EQ((*arm)[0].version, "GLIBC_2.2.5");
}

TEST(AbiVariant, StableTargetComesFromTheVariantName) {
  EXPECT_EQ(stable_abi_target("torch-stable-abi211-cu130-x86_64-linux"), Version({2, 11}));
  EXPECT_EQ(stable_abi_target("torch-stable-abi210-cpu-aarch64-darwin"), Version({2, 10}));
  EXPECT_EQ(stable_abi_target("torch211-cxx11-cu130-x86_64-linux"), std::nullopt);
  EXPECT_EQ(stable_abi_target("torch-stable-abi-x"), std::nullopt);
  EXPECT_EQ(stable_abi_target("torch-stable-abi2999999999999-cpu-x86_64-linux"), std::nullopt);
}

TEST(AbiVariant, TreeFindsVariantsAndReportsUnreadableLibraries) {
  FakeDisk disk;
  disk.add_file("/k/build/torch211-cxx11-cu130-x86_64-linux/metadata.json", "{}");
  disk.add_file("/k/build/torch211-cxx11-cu130-x86_64-linux/_relu_cuda_x.abi3.so", "not elf");
  disk.add_file("/k/build/torch211-cxx11-cu130-x86_64-linux/__init__.py", "");
  disk.add_file("/k/build/torch-stable-abi210-cpu-x86_64-linux/metadata.json", "{}");
  disk.add_dir("/k/build/stray");
  auto r = check_abi_tree(disk, "/k", tables(), AbiOptions{});
  ASSERT_TRUE(r.ok()) << r.errors().list[0].message;
  ASSERT_EQ(r->size(), 2u);
  const VariantVerdict& stable = (*r)[0];
  EXPECT_EQ(stable.variant, "torch-stable-abi210-cpu-x86_64-linux");
  EXPECT_EQ(stable.options.torch_stable_abi, Version({2, 10}));
  EXPECT_FALSE(stable.ok());  // no library at all
  EXPECT_EQ(format_verdict_line(stable),
            "abi FAIL: torch-stable-abi210-cpu-x86_64-linux: no library (.so) found");
  const VariantVerdict& cuda = (*r)[1];
  ASSERT_EQ(cuda.libraries.size(), 1u);
  EXPECT_EQ(cuda.libraries[0].path, "_relu_cuda_x.abi3.so");
  ASSERT_TRUE(cuda.libraries[0].error.has_value());
  EXPECT_EQ(format_verdict_line(cuda),
            "abi FAIL: torch211-cxx11-cu130-x86_64-linux: 1 unreadable library; "
            "_relu_cuda_x.abi3.so: not an ELF file");
  // One variant directory given directly.
  auto one =
      check_abi_tree(disk, "/k/build/torch211-cxx11-cu130-x86_64-linux", tables(), AbiOptions{});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
  auto none = check_abi_tree(disk, "/k/build/stray", tables(), AbiOptions{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.errors().list[0].message, "no bundle found in /k/build/stray");
}

TEST(AbiVariant, VerdictLinesAndJson) {
  VariantVerdict v;
  v.variant = "torch211-cxx11-cu130-x86_64-linux";
  v.dir = "/k/build/" + v.variant;
  v.libraries = {{"_relu.abi3.so", {}, std::nullopt}};
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(format_verdict_line(v),
            "abi ok: torch211-cxx11-cu130-x86_64-linux (manylinux_2_28, abi3 3.9, 1 library)");
  v.libraries[0].violations = {
      {Kind::manylinux, "__libc_single_threaded", "GLIBC_2.32", "2.28", ""},
      {Kind::python_not_abi3, "PyFoo", "", "", ""}};
  EXPECT_EQ(format_verdict_line(v),
            "abi FAIL: torch211-cxx11-cu130-x86_64-linux: 2 violations; _relu.abi3.so: "
            "__libc_single_threaded@GLIBC_2.32: not allowed by manylinux_2_28 (GLIBC up to 2.28) "
            "(and 1 more)");
  EXPECT_NE(format_verdict_details(v).find("\n    PyFoo: not in the Python limited API (abi3)\n"),
            std::string::npos);
  auto j = nlohmann::json::parse(format_verdicts_json({v}));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["ok"], false);
  EXPECT_EQ(j[0]["torch_stable_abi"], nullptr);
  EXPECT_EQ(j[0]["libraries"][0]["violations"][0]["kind"], "manylinux");
  EXPECT_EQ(j[0]["libraries"][0]["violations"][0]["version"], "GLIBC_2.32");
  EXPECT_EQ(j[0]["libraries"][0]["violations"][1]["kind"], "python_not_abi3");
}

}  // namespace
}  // namespace kb
