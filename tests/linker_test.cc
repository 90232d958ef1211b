// choose_linker: what each --linker value gives, and the errors for the others.

#include "kb/linker.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

HostCompiler gxx_with(std::vector<std::string> names) {
  HostCompiler cxx{"/usr/bin/g++", "12.2.0", {}};
  for (const auto& n : names) cxx.linkers.push_back({n, "/usr/bin/ld." + n, n + " 1.0"});
  return cxx;
}

TEST(ChooseLinker, AutoTakesTheFastestFound) {
  EXPECT_EQ(*choose_linker(gxx_with({"lld", "gold"}), "auto"), "lld");
  EXPECT_EQ(*choose_linker(gxx_with({"gold"}), "auto"), "gold");
  EXPECT_EQ(*choose_linker(gxx_with({}), "auto"), "");  // the compiler's default
}

TEST(ChooseLinker, DefaultAndBfdNeedNothingFound) {
  EXPECT_EQ(*choose_linker(gxx_with({"lld"}), "default"), "");
  EXPECT_EQ(*choose_linker(gxx_with({}), "bfd"), "bfd");
}

TEST(ChooseLinker, ANamedLinkerMustHaveBeenFound) {
  EXPECT_EQ(*choose_linker(gxx_with({"lld", "gold"}), "gold"), "gold");
  auto missing = choose_linker(gxx_with({"gold"}), "mold");
  ASSERT_FALSE(missing.ok());
  const Error& e = missing.errors().list[0];
  EXPECT_NE(e.message.find("/usr/bin/g++ cannot use mold"), std::string::npos) << e.message;
  EXPECT_NE(e.hint.find("usable here: bfd, gold"), std::string::npos) << e.hint;
}

TEST(ChooseLinker, AnUnknownNameSuggestsTheClosest) {
  auto r = choose_linker(gxx_with({"lld"}), "lld.");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "unknown linker 'lld.'");
  EXPECT_EQ(r.errors().list[0].hint, "did you mean 'lld'?");
}

}  // namespace
}  // namespace kb
