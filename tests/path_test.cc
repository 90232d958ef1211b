#include "kb/path.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(WithoutTrailingSlash, StripsEverySlashButTheRoot) {
  EXPECT_EQ(without_trailing_slash("/a/b///"), "/a/b");
  EXPECT_EQ(without_trailing_slash("a"), "a");
  EXPECT_EQ(without_trailing_slash("/"), "/");
  EXPECT_EQ(without_trailing_slash("///"), "/");
  EXPECT_EQ(without_trailing_slash(""), "");
}

TEST(AbsolutePath, RelativeGoesBelowTheDirectoryGiven) {
  EXPECT_EQ(absolute_path("x/y", "/work"), "/work/x/y");
  EXPECT_EQ(absolute_path("./x/", "/work/"), "/work/x");
  EXPECT_EQ(absolute_path(".", "/work"), "/work");
  EXPECT_EQ(absolute_path("", "/work"), "/work");
  EXPECT_EQ(absolute_path("../x", "/work/kb"), "/work/x");
}

TEST(AbsolutePath, AbsoluteIsOnlyNormalised) {
  EXPECT_EQ(absolute_path("/a/./b/../c/", "/work"), "/a/c");
  EXPECT_EQ(absolute_path("//a//b", "/work"), "/a/b");
  EXPECT_EQ(absolute_path("/", "/work"), "/");
}

}  // namespace
}  // namespace kb
