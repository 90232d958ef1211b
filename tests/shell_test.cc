#include "kb/shell.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TEST(ShellQuote, BareWhenSafe) {
  EXPECT_EQ(shell_quote("-DFOO=1"), "-DFOO=1");
  EXPECT_EQ(shell_quote("/usr/bin/g++"), "/usr/bin/g++");
  EXPECT_EQ(shell_quote("-Wl,--as-needed"), "-Wl,--as-needed");
  EXPECT_EQ(shell_quote("arch=compute_90,code=sm_90"), "arch=compute_90,code=sm_90");
  EXPECT_EQ(shell_quote("x@y%z+w:v"), "x@y%z+w:v");
}

TEST(ShellQuote, QuotesEverythingElse) {
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("my file.cu"), "'my file.cu'");
  EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(shell_quote("~/x"), "'~/x'");
  EXPECT_EQ(shell_quote("#x"), "'#x'");
  EXPECT_EQ(shell_quote("*.cu"), "'*.cu'");
  EXPECT_EQ(shell_quote("a;b"), "'a;b'");
  EXPECT_EQ(shell_quote("-DNAME=\"x\""), "'-DNAME=\"x\"'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("'"), "''\\'''");
}

TEST(ShellJoin, QuotesEachArgumentAndAnAssignmentLikeProgram) {
  EXPECT_EQ(shell_join({"g++", "-c", "a b.cc", "-o", "a.o"}), "g++ -c 'a b.cc' -o a.o");
  EXPECT_EQ(shell_join({"A=b", "A=b"}), "'A=b' A=b");
  EXPECT_EQ(shell_join({}), "");
}

}  // namespace
}  // namespace kb
