// python-depends at test time (src/python_depends.h): the curated keys, the import check's
// argv and the reading of its output.

#include "src/python_depends.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kb {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(PythonDependsTest, CuratedKeysMapToTheirImports) {
  EXPECT_EQ(find_python_depend("nvidia-cutlass-dsl")->module, "cutlass");
  EXPECT_EQ(find_python_depend("tvm-ffi")->module, "tvm_ffi");
  EXPECT_EQ(find_python_depend("tvm-ffi")->pip, "apache-tvm-ffi");
  EXPECT_EQ(find_python_depend("einops")->module, "einops");
  EXPECT_EQ(find_python_depend("onednn")->module, "");  // the loader checks no import
  EXPECT_FALSE(find_python_depend("torch").has_value());
}

TEST(PythonDependsTest, CheckArgvNamesEachModuleOnce) {
  auto argv = python_depends_check_argv("/v/bin/python",
                                        {"einops", "onednn", "nvidia-cutlass-dsl", "einops"});
  ASSERT_THAT(argv, SizeIs(5));
  EXPECT_EQ(argv[0], "/v/bin/python");
  EXPECT_EQ(argv[1], "-c");
  EXPECT_EQ(argv[3], "einops");
  EXPECT_EQ(argv[4], "cutlass");
  EXPECT_THAT(python_depends_check_argv("/v/bin/python", {"onednn"}), IsEmpty());
  EXPECT_THAT(python_depends_check_argv("/v/bin/python", {}), IsEmpty());
}

TEST(PythonDependsTest, OutputNamesTheMissingOnes) {
  auto missing = parse_python_depends_check(
      {"einops", "nvidia-cutlass-dsl", "helion"},
      "cutlass\tModuleNotFoundError: No module named 'cutlass'\neinopsx\tnot this one\n");
  ASSERT_THAT(missing, SizeIs(1));
  EXPECT_EQ(missing[0].depend.key, "nvidia-cutlass-dsl");
  EXPECT_EQ(missing[0].depend.pip, "nvidia-cutlass-dsl");
  EXPECT_EQ(missing[0].error, "ModuleNotFoundError: No module named 'cutlass'");
  EXPECT_THAT(parse_python_depends_check({"einops"}, ""), IsEmpty());
}

}  // namespace
}  // namespace kb
