#include "kb/version.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(Version, DropsTrailingZerosAndTrims) {
  auto v = Version::parse(" 13.0 ");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str(), "13");
  EXPECT_EQ(v->major_minor(), "13.0");
  EXPECT_EQ(v->flat(), "130");
}

TEST(Version, ComparesComponentWise) {
  EXPECT_LT(*Version::parse("2.9"), *Version::parse("2.10"));
  EXPECT_EQ(*Version::parse("12.0"), *Version::parse("12"));
  EXPECT_GT(*Version::parse("12.8.1"), *Version::parse("12.8"));
}

TEST(Version, RejectsBadText) {
  EXPECT_FALSE(Version::parse("").ok());
  EXPECT_FALSE(Version::parse("12.x").ok());
  EXPECT_FALSE(Version::parse("1..2").ok());
  EXPECT_FALSE(Version::parse("-1").ok());
}

TEST(Version, FlatPadsMinor) {
  EXPECT_EQ(Version::parse("2.12")->flat(), "212");
  EXPECT_EQ(Version::parse("2.8")->flat(), "28");
  EXPECT_EQ(Version::parse("2")->flat(), "20");
}

}  // namespace
}  // namespace kb
