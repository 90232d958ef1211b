// unknown_variants (kb/unknown_variants.h): the one "unknown variant, did you mean" check.

#include "kb/unknown_variants.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

const std::vector<std::string> k_known = {"torch211-cxx11-cpu-x86_64-linux",
                                          "torch212-cxx11-cu130-x86_64-linux"};

TEST(UnknownVariants, KnownNamesPass) {
  EXPECT_TRUE(unknown_variants({}, k_known).empty());
  EXPECT_TRUE(unknown_variants(k_known, k_known).empty());
}

TEST(UnknownVariants, EachUnknownNameKeepsItsOrderAndClosestName) {
  auto u = unknown_variants(
      {"torch211-cxx11-cpu-x86_64-linu", "torch211-cxx11-cpu-x86_64-linux", "zzz"}, k_known);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0],
            (UnknownVariant{"torch211-cxx11-cpu-x86_64-linu", "torch211-cxx11-cpu-x86_64-linux"}));
  EXPECT_EQ(u[1], (UnknownVariant{"zzz", ""}));
  EXPECT_EQ(unknown_variants({"a"}, {}), (std::vector<UnknownVariant>{{"a", ""}}));
}

}  // namespace
}  // namespace kb
