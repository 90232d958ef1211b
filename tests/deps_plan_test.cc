// The planner's side of dependencies: a resolved header tree is -isystem on every compile of
// the variants whose sections depend on it (first among the system includes), so a new path
// or version changes the command lines and ninja rebuilds.

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kb/build_plan.h"
#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::HasSubstr;

constexpr const char* k_tree = "/cache/kb/deps/cutlass-3.8.0/include";

class DepsPlanTest : public ::testing::Test {
 protected:
  Config config = [] {
    Config c = sample_config();
    for (auto& k : c.kernels)
      if (k.backend == Backend::cuda) k.depends = {"torch", "cutlass_3_8"};
    return c;
  }();
  Toolchains tc = sample_toolchains();
  BuildOptions options = [] {
    BuildOptions o;
    o.kernel_dir = "/src/relu";
    o.build_dir = "/src/relu/build";
    o.unique_id = "abc1234";
    o.late_bound_namespace = true;  // so the plan has a generated ops_id.c compile too
    o.dependency_includes = {{"cutlass_3_8", k_tree}};
    return o;
  }();

  Result<BuildPlan> plan(std::vector<Variant> variants) {
    Matrix m;
    m.variants = std::move(variants);
    return make_build_plan(config, tc, m, options, {"__init__.py"});
  }
};

// Where `-isystem dir` starts in argv; -1 when absent.
long isystem_at(const std::vector<std::string>& argv, const std::string& dir) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == "-isystem" && argv[i + 1] == dir) return static_cast<long>(i);
  return -1;
}

TEST_F(DepsPlanTest, EveryAuthorTuOfTheVariantGetsTheTreeFirst) {
  auto p = plan({sample_variant(config, Backend::cuda, 0, 0, {"8.0"})});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  const VariantBuild& vb = p->variants[0];
  int author_tus = 0;
  for (const auto& c : vb.compiles) {
    long at = isystem_at(c.argv, k_tree);
    if (c.generated) {  // kb's own C files include nothing of it
      EXPECT_EQ(at, -1);
      continue;
    }
    ++author_tus;
    ASSERT_GE(at, 0) << c.description;
    const std::string& torch_include = tc.torches[0].include_dirs.front();
    long torch_at = isystem_at(c.argv, torch_include);
    ASSERT_GE(torch_at, 0) << c.description;
    EXPECT_LT(at, torch_at) << c.description << ": the pinned tree must come before Torch's";
  }
  EXPECT_EQ(author_tus, 3);  // the binding, relu.cu (nvcc) and launch.cpp
}

TEST_F(DepsPlanTest, CpuVariantOfTheSameKernelDoesNotGetIt) {
  auto p = plan({sample_variant(config, Backend::cpu, 0, std::nullopt)});
  ASSERT_TRUE(p.ok()) << format_error(p.errors().list[0]);
  for (const auto& c : p->variants[0].compiles) EXPECT_EQ(isystem_at(c.argv, k_tree), -1);
}

TEST_F(DepsPlanTest, AnotherTreeChangesEveryCommandLine) {
  auto before = plan({sample_variant(config, Backend::cuda, 0, 0, {"8.0"})});
  options.dependency_includes["cutlass_3_8"] = "/src/cutlass-checkout/include";
  auto after = plan({sample_variant(config, Backend::cuda, 0, 0, {"8.0"})});
  ASSERT_TRUE(before.ok() && after.ok());
  const auto& b = before->variants[0].compiles;
  const auto& a = after->variants[0].compiles;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].generated) continue;
    EXPECT_NE(a[i].argv, b[i].argv) << a[i].description;
  }
}

TEST_F(DepsPlanTest, UnresolvedDependencyIsAPlanError) {
  options.dependency_includes.clear();
  auto p = plan({sample_variant(config, Backend::cuda, 0, 0, {"8.0"})});
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.errors().list[0].message, HasSubstr("cutlass_3_8 (CUTLASS 3.8.0)"));
}

}  // namespace
}  // namespace kb
