// The pure half of C++ dependencies (kb/deps.h): pins, requirements from build.toml, --dep
// parsing, the version header, hashes, the cache manifest, and what the matrix and the
// planner make of a resolution.

#include "kb/deps.h"

#include <nlohmann/json.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kb/digest.h"
#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr const char* k_toml = R"(
[general]
name = "gemm"
version = 1
edition = 5
license = "Apache-2.0"
backends = ["cpu", "cuda"]

[torch]
src = ["torch-ext/torch_binding.cpp"]

[kernel.gemm_cuda]
backend = "cuda"
depends = ["torch", "cutlass_3_8"]
src = ["gemm/gemm.cu"]

[kernel.epilogue]
backend = "cuda"
depends = ["cutlass_3_8", "cutlass_4_0"]
src = ["gemm/epilogue.cu"]

[kernel.gemm_cpu]
backend = "cpu"
depends = ["torch"]
src = ["cpu/gemm.cpp"]
)";

Config gemm_config() {
  auto c = parse_config(k_toml, "build.toml");
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : format_error(c.errors().list.front()));
  return *c;
}

DepStatus resolved(const DepRequirement& r, std::string include) {
  DepStatus s{r};
  s.state = DepStatus::State::resolved;
  s.route = DepRoute::cache;
  s.include_dir = std::move(include);
  return s;
}

DepStatus missing(const DepRequirement& r, std::vector<std::string> reasons) {
  DepStatus s{r};
  s.state = DepStatus::State::missing;
  s.reasons = std::move(reasons);
  return s;
}

// A cuda variant compiling both cuda sections, and a cpu variant.
Matrix gemm_matrix(const Config& c) {
  Matrix m;
  m.variants.push_back(sample_variant(c, Backend::cpu, 0, std::nullopt));
  m.variants.push_back(sample_variant(c, Backend::cuda, 0, 0, {"8.0"}));
  m.variants[0].name = "torch211-cxx11-cpu-x86_64-linux";
  m.variants[1].name = "torch211-cxx11-cu130-x86_64-linux";
  return m;
}

TEST(DepsTest, PinsAreExactVersionsAndEveryConfigNameHasOne) {
  EXPECT_EQ(find_dep_pin("cutlass_2_10")->version, "2.10.0");
  EXPECT_EQ(find_dep_pin("cutlass_3_5")->version, "3.5.1");
  EXPECT_EQ(find_dep_pin("cutlass_3_6")->version, "3.6.0");
  EXPECT_EQ(find_dep_pin("cutlass_3_8")->version, "3.8.0");
  EXPECT_EQ(find_dep_pin("cutlass_3_9")->version, "3.9.2");
  EXPECT_EQ(find_dep_pin("cutlass_4_0")->version, "4.0.0");
  EXPECT_EQ(find_dep_pin("cutlass_4_4")->version, "4.4.2");
  EXPECT_EQ(find_dep_pin("cutlass_4_5")->version, "4.5.2");
  EXPECT_EQ(find_dep_pin("torch")->kind, DepKind::framework);
  EXPECT_FALSE(find_dep_pin("sycl_tla")->buildable);
  EXPECT_EQ(find_dep_pin("sycl_tla")->backend, Backend::xpu);
  EXPECT_FALSE(find_dep_pin("metal-cpp")->buildable);
  EXPECT_EQ(find_dep_pin("cutlass_3_7"), nullptr);
  // Every name parse_config accepts in depends has a pin (and nothing else does).
  for (const auto& pin : dep_pins()) {
    std::string toml = std::string(k_toml);
    toml.replace(toml.find("\"cutlass_4_0\""), 13, "\"" + pin.name + "\"");
    EXPECT_TRUE(parse_config(toml, "build.toml").ok()) << pin.name;
  }
}

TEST(DepsTest, ResolutionOrderIsExplicitThenCacheThenNetwork) {
  EXPECT_THAT(dep_resolution_order(), ElementsAre(DepRoute::option, DepRoute::environment,
                                                  DepRoute::cache, DepRoute::pypi, DepRoute::git));
  EXPECT_FALSE(is_fetch_route(DepRoute::cache));
  EXPECT_TRUE(is_fetch_route(DepRoute::pypi));
  EXPECT_TRUE(is_fetch_route(DepRoute::git));
}

TEST(DepsTest, RequirementsAreDistinctWithEveryLocatedUse) {
  auto reqs = dependency_requirements(gemm_config());
  ASSERT_THAT(reqs, SizeIs(3));
  EXPECT_EQ(reqs[0].pin.name, "torch");
  EXPECT_EQ(reqs[1].pin.name, "cutlass_3_8");
  ASSERT_THAT(reqs[1].uses, SizeIs(2));
  EXPECT_EQ(reqs[1].uses[0].section, "gemm_cuda");
  EXPECT_EQ(reqs[1].uses[0].loc.line, 14);
  EXPECT_EQ(reqs[1].uses[0].loc.col, 21);
  EXPECT_EQ(reqs[1].uses[1].section, "epilogue");
  EXPECT_EQ(reqs[1].uses[1].loc.line, 19);
  EXPECT_EQ(reqs[1].uses[1].loc.col, 12);
  EXPECT_EQ(reqs[2].pin.name, "cutlass_4_0");
  EXPECT_TRUE(has_header_dependencies(reqs));
  Config relu = gemm_config();
  for (auto& k : relu.kernels) k.depends = {"torch"};
  EXPECT_FALSE(has_header_dependencies(dependency_requirements(relu)));
}

TEST(DepsTest, DepOptionsParse) {
  auto ok =
      parse_dep_options({"cutlass_3_8=/src/cutlass", "cutlass_4_0=/x", "cutlass_3_8=/src/cutlass"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->at("cutlass_3_8"), "/src/cutlass");
  EXPECT_EQ(ok->at("cutlass_4_0"), "/x");

  auto bad = parse_dep_options({"cutlass_3_8", "=x", "cutlass_38=/x", "torch=/t", "sycl_tla=/s",
                                "cutlass_3_9=/a", "cutlass_3_9=/b"});
  ASSERT_FALSE(bad.ok());
  const auto& e = bad.errors().list;
  ASSERT_THAT(e, SizeIs(6));
  EXPECT_THAT(e[0].message, HasSubstr("is not NAME=PATH"));
  EXPECT_THAT(e[1].message, HasSubstr("is not NAME=PATH"));
  EXPECT_THAT(e[2].hint, HasSubstr("did you mean 'cutlass_3_8'?"));
  EXPECT_THAT(e[3].hint, HasSubstr("--torch"));
  EXPECT_THAT(e[4].message, HasSubstr("sycl_tla"));
  EXPECT_THAT(e[5].message, HasSubstr("given twice"));
}

TEST(DepsTest, CutlassVersionHeader) {
  EXPECT_EQ(parse_cutlass_version(
                "#pragma once\n#define CUTLASS_MAJOR 3\n#define CUTLASS_MINOR 8\n"
                "#define CUTLASS_PATCH 0\n#define CUTLASS_VERSION ((CUTLASS_MAJOR)*100)\n"),
            "3.8.0");
  EXPECT_EQ(parse_cutlass_version("  #  define CUTLASS_MAJOR\t2\n#define CUTLASS_MINOR 10\n"
                                  "#define CUTLASS_PATCH 0\r\n"),
            "2.10.0");
  // A longer name that starts with the same letters is not the define.
  EXPECT_EQ(parse_cutlass_version("#define CUTLASS_MAJORX 9\n#define CUTLASS_MAJOR 4\n"
                                  "#define CUTLASS_MINOR 5\n#define CUTLASS_PATCH 2\n"),
            "4.5.2");
  EXPECT_EQ(parse_cutlass_version("#define CUTLASS_MAJOR 3\n#define CUTLASS_MINOR 8\n"),
            std::nullopt);
  EXPECT_EQ(parse_cutlass_version("// #define CUTLASS_MAJOR 3\n"), std::nullopt);
}

TEST(DepsTest, ContentHashIsSha256sumOfTheSortedFileList) {
  std::string a = sha256_hex("a"), b = sha256_hex("b");
  std::string want = "sha256:" + sha256_hex(a + "  cute/x.hpp\n" + b + "  cutlass/y.h\n");
  EXPECT_EQ(tree_content_hash({{"cutlass/y.h", b}, {"cute/x.hpp", a}}), want);
  EXPECT_NE(tree_content_hash({{"cutlass/y.h", a}, {"cute/x.hpp", b}}), want);
  EXPECT_NE(tree_content_hash({{"cute/x.hpp", a}}), want);
  EXPECT_EQ(tree_stat_fingerprint({{"b", "1 2"}, {"a", "3 4"}}),
            "stat:" + sha256_hex("a 3 4\nb 1 2\n"));
}

TEST(DepsTest, ManifestRoundTripsAndRejectsDamage) {
  DepCacheManifest m;
  m.name = "cutlass_3_8";
  m.version = "3.8.0";
  m.route = DepRoute::git;
  m.origin = "file:///tmp/cutlass v3.8.0";
  m.content_hash = "sha256:ab";
  m.stat_fingerprint = "stat:cd";
  m.files = 731;
  auto back = parse_dep_manifest(render_dep_manifest(m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->route, DepRoute::git);
  EXPECT_EQ(back->origin, m.origin);
  EXPECT_EQ(back->files, 731);
  EXPECT_EQ(render_dep_manifest(*back), render_dep_manifest(m));

  EXPECT_FALSE(parse_dep_manifest("{").ok());
  EXPECT_FALSE(parse_dep_manifest("[]").ok());
  auto j = nlohmann::json::parse(render_dep_manifest(m));
  for (const char* key : {"name", "content_hash", "files", "format"}) {
    auto broken = j;
    broken.erase(key);
    EXPECT_FALSE(parse_dep_manifest(broken.dump()).ok()) << key;
  }
  auto other = j;
  other["format"] = 2;
  EXPECT_FALSE(parse_dep_manifest(other.dump()).ok());
  other = j;
  other["route"] = "ftp";
  EXPECT_FALSE(parse_dep_manifest(other.dump()).ok());
}

TEST(DepsTest, NamesOfTheFetchedThings) {
  const DepPin& pin = *find_dep_pin("cutlass_3_5");
  EXPECT_EQ(dep_cache_entry_name(pin), "cutlass-3.5.1");
  EXPECT_EQ(pypi_requirement(pin), "nvidia-cutlass==3.5.1.0");
  EXPECT_EQ(git_tag(pin), "v3.5.1");
}

TEST(DepsTest, VariantIncludesFollowItsSectionsAndBackend) {
  Config c = gemm_config();
  Matrix m = gemm_matrix(c);
  std::map<std::string, std::string> inc = {{"cutlass_3_8", "/cache/cutlass-3.8.0/include"},
                                            {"cutlass_4_0", "/cache/cutlass-4.0.0/include"}};
  auto cuda = dependency_includes_for(c, m.variants[1], inc);
  ASSERT_TRUE(cuda.ok());
  EXPECT_THAT(*cuda, ElementsAre("/cache/cutlass-3.8.0/include", "/cache/cutlass-4.0.0/include"));
  auto cpu = dependency_includes_for(c, m.variants[0], inc);
  ASSERT_TRUE(cpu.ok());
  EXPECT_THAT(*cpu, IsEmpty());
  // A CUTLASS dependency listed by a cpu section does not reach the cpu build (the
  // reference's CUTLASS snippet is active for CUDA only).
  c.kernels[2].depends = {"torch", "cutlass_3_8"};
  EXPECT_THAT(*dependency_includes_for(c, m.variants[0], inc), IsEmpty());
  // The planner is never handed a variant whose dependency was not resolved.
  inc.erase("cutlass_4_0");
  EXPECT_FALSE(dependency_includes_for(c, m.variants[1], inc).ok());
}

TEST(DepsTest, MissingDependencyRejectsOnlyTheVariantsThatNeedIt) {
  Config c = gemm_config();
  auto reqs = dependency_requirements(c);
  std::vector<DepStatus> deps = {
      DepStatus{reqs[0], DepStatus::State::framework},
      resolved(reqs[1], "/cache/cutlass-3.8.0/include"),
      missing(reqs[2], {"cache: no entry /cache/cutlass-4.0.0",
                        "git: git clone --depth 1 --branch v4.0.0 x failed (exit 128)"}),
  };
  Matrix m = gemm_matrix(c);
  reject_unresolved_dependencies(m, c, deps);
  ASSERT_THAT(m.variants, SizeIs(1));
  EXPECT_EQ(m.variants[0].name, "torch211-cxx11-cpu-x86_64-linux");
  ASSERT_THAT(m.rejected, SizeIs(1));
  EXPECT_EQ(m.rejected[0].name, "torch211-cxx11-cu130-x86_64-linux");
  EXPECT_THAT(m.rejected[0].reason, HasSubstr("cutlass_4_0 (CUTLASS 4.0.0)"));
  EXPECT_THAT(m.rejected[0].reason, HasSubstr("exit 128"));
  EXPECT_THAT(m.rejected[0].missing_dependencies, ElementsAre("cutlass_4_0"));

  // kb build of everything, or of the cuda variant, fails with the located error; of the
  // cpu variant alone it does not.
  for (const std::vector<std::string>& wanted :
       {std::vector<std::string>{},
        std::vector<std::string>{"torch211-cxx11-cu130-x86_64-linux"}}) {
    auto r = require_dependencies(m, deps, wanted);
    ASSERT_FALSE(r.ok());
    ASSERT_THAT(r.errors().list, SizeIs(1));
    const Error& e = r.errors().list[0];
    ASSERT_TRUE(e.loc.has_value());
    EXPECT_EQ(e.loc->line, 19);
    EXPECT_EQ(e.loc->col, 27);
    EXPECT_THAT(e.message, HasSubstr("cutlass_4_0 (CUTLASS 4.0.0) cannot be provided"));
    EXPECT_THAT(e.message, HasSubstr("cache: no entry"));
    EXPECT_THAT(e.hint, HasSubstr("--dep cutlass_4_0=PATH"));
    EXPECT_THAT(e.hint, HasSubstr("CUTLASS_SRC_DIR"));
    EXPECT_THAT(e.hint, HasSubstr("nvidia-cutlass==4.0.0.0"));
    EXPECT_THAT(e.hint, HasSubstr("tag v4.0.0"));
    EXPECT_THAT(e.hint, HasSubstr("KB_CUTLASS_GIT_URL"));
  }
  EXPECT_TRUE(require_dependencies(m, deps, {"torch211-cxx11-cpu-x86_64-linux"}).ok());
}

TEST(DepsTest, ResolvedDependenciesRejectNothing) {
  Config c = gemm_config();
  auto reqs = dependency_requirements(c);
  std::vector<DepStatus> deps = {DepStatus{reqs[0], DepStatus::State::framework},
                                 resolved(reqs[1], "/a"), resolved(reqs[2], "/b")};
  Matrix m = gemm_matrix(c);
  reject_unresolved_dependencies(m, c, deps);
  EXPECT_THAT(m.variants, SizeIs(2));
  EXPECT_THAT(m.rejected, IsEmpty());
  EXPECT_TRUE(require_dependencies(m, deps, {}).ok());
  auto inc = resolved_includes(deps);
  EXPECT_EQ(inc.size(), 2u);
  EXPECT_EQ(inc.at("cutlass_4_0"), "/b");
}

TEST(DepsTest, DepsJsonAndText) {
  Config c = gemm_config();
  auto reqs = dependency_requirements(c);
  auto r = resolved(reqs[1], "/cache/cutlass-3.8.0/include");
  r.origin = "nvidia-cutlass==3.8.0.0 (pypi)";
  r.content_hash = "sha256:00";
  std::vector<DepStatus> deps = {DepStatus{reqs[0], DepStatus::State::framework}, r,
                                 missing(reqs[2], {"cache: no entry /c"})};
  auto j = nlohmann::json::parse(deps_to_json(deps, "/k", "/cache", false));
  EXPECT_EQ(j["cache_dir"], "/cache");
  ASSERT_EQ(j["dependencies"].size(), 3u);
  EXPECT_EQ(j["dependencies"][0]["state"], "framework");
  EXPECT_TRUE(j["dependencies"][0]["version"].is_null());
  EXPECT_EQ(j["dependencies"][1]["route"], "cache");
  EXPECT_EQ(j["dependencies"][1]["include_dir"], "/cache/cutlass-3.8.0/include");
  EXPECT_EQ(j["dependencies"][1]["uses"][1]["line"], 19);
  EXPECT_EQ(j["dependencies"][2]["state"], "missing");
  EXPECT_TRUE(j["dependencies"][2]["route"].is_null());
  EXPECT_EQ(j["dependencies"][2]["reasons"][0], "cache: no entry /c");

  std::string text = deps_to_text(deps);
  EXPECT_THAT(text, HasSubstr("cutlass_3_8"));
  EXPECT_THAT(text, HasSubstr("resolved (cache)"));
  EXPECT_THAT(text, HasSubstr("include: /cache/cutlass-3.8.0/include"));
  EXPECT_THAT(text, HasSubstr("used by: [kernel.epilogue] (cuda) at build.toml:19:12"));
  EXPECT_THAT(text, HasSubstr("- cache: no entry /c"));
  EXPECT_EQ(deps_to_text({}), "(no dependencies)\n");
}

}  // namespace
}  // namespace kb
