#include "kb/ninja_writer.h"
#include "kb/shell.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace kb {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(NinjaEscape, DoublesDollarOnly) {
  EXPECT_EQ(ninja_escape("a b:c"), "a b:c");
  EXPECT_EQ(ninja_escape("$HOME/$x"), "$$HOME/$$x");
  EXPECT_EQ(ninja_escape(""), "");
}

TEST(NinjaEscapePath, EscapesDollarSpaceColon) {
  EXPECT_EQ(ninja_escape_path("/a/b.o"), "/a/b.o");
  EXPECT_EQ(ninja_escape_path("/my dir/a$b:c.o"), "/my$ dir/a$$b$:c.o");
  EXPECT_EQ(ninja_escape_path("C:"), "C$:");
}

TEST(ShellJoin, TwoLayersForAPathWithSpaceAndDollar) {
  // sh sees '/x/my $dir/a.cu'; ninja must see the '$' doubled.
  std::string cmd = ninja_escape(shell_join({"nvcc", "-c", "/x/my $dir/a.cu"}));
  EXPECT_EQ(cmd, "nvcc -c '/x/my $$dir/a.cu'");
}

TEST(NinjaWriter, GoldenText) {
  NinjaWriter w;
  w.comment("Generated.\n\nSecond line.");
  w.variable("ninja_required_version", "1.10");
  w.newline();
  w.pool("nvcc", 3);
  w.rule("cc", {.command = "$cmd",
                .description = "$desc",
                .depfile = "$out.d",
                .deps = "gcc",
                .pool = "nvcc",
                .generator = true,
                .restat = true});
  w.build({.outputs = {"out 1.o"},
           .implicit_outputs = {"out.d"},
           .rule = "cc",
           .inputs = {"a:b.c"},
           .implicit = {"gen.h"},
           .order_only = {"dir$"},
           .variables = {{"cmd", "cc -c $in"}}});
  w.build({.outputs = {"all"}, .rule = "phony"});
  w.subninja("/x y/variant.ninja");
  w.include("rules.ninja");
  w.default_targets({"all", "b c"});
  w.default_targets({});
  EXPECT_EQ(w.text(),
            "# Generated.\n"
            "#\n"
            "# Second line.\n"
            "ninja_required_version = 1.10\n"
            "\n"
            "pool nvcc\n"
            "  depth = 3\n"
            "rule cc\n"
            "  command = $cmd\n"
            "  description = $desc\n"
            "  depfile = $out.d\n"
            "  deps = gcc\n"
            "  pool = nvcc\n"
            "  generator = 1\n"
            "  restat = 1\n"
            "build out$ 1.o | out.d: cc a$:b.c | gen.h || dir$$\n"
            "  cmd = cc -c $in\n"
            "build all: phony\n"
            "subninja /x$ y/variant.ninja\n"
            "include rules.ninja\n"
            "default all b$ c\n");
}

TEST(NinjaWriter, RuleLeavesOutEmptyAttributes) {
  NinjaWriter w;
  w.rule("link", {.command = "$cmd"});
  EXPECT_EQ(w.take(), "rule link\n  command = $cmd\n");
}

// A newline in a value would end the line, and an indented line after it would rebind the
// edge's command: the writer must never write it, and must say so.
TEST(NinjaWriter, RefusesANewlineInAValueInsteadOfWritingIt) {
  NinjaWriter w;
  w.build({.outputs = {"a.o"},
           .rule = "cxx",
           .inputs = {"a.cpp"},
           .variables = {{"cmd", "g++ -DA=1\n  command = touch PWNED #"}}});
  ASSERT_EQ(w.problems().size(), 1u);
  EXPECT_THAT(w.problems()[0], HasSubstr("variable 'cmd': a newline in"));
  EXPECT_THAT(w.text(), Not(HasSubstr("PWNED")));
  EXPECT_EQ(std::count(w.text().begin(), w.text().end(), '\n'), 2);
}

TEST(NinjaWriter, RefusesPathsNinjaCannotName) {
  NinjaWriter w;
  w.build({.outputs = {"a|b.o"}, .rule = "cxx", .inputs = {"x\ry.cpp"}});
  w.subninja("sub\nbuild evil: phony");
  w.default_targets({"ok", std::string("no\0pe", 5)});
  ASSERT_EQ(w.problems().size(), 4u);
  EXPECT_THAT(w.problems()[0], HasSubstr("a '|' in \"a|b.o\""));
  EXPECT_THAT(w.problems()[1], HasSubstr("a carriage return in \"x\\ry.cpp\""));
  EXPECT_THAT(w.problems()[2], HasSubstr("a newline in \"sub\\nbuild evil: phony\""));
  EXPECT_THAT(w.problems()[3], HasSubstr("a NUL character"));
  EXPECT_THAT(w.text(), Not(HasSubstr("evil")));
}

TEST(NinjaWriter, FaithfulTextHasNoProblems) {
  NinjaWriter w;
  w.build({.outputs = {"a b:c$.o"},
           .rule = "cxx",
           .inputs = {"a.cpp"},
           .variables = {{"cmd", "g++ 'a|b' \t-c"}}});
  EXPECT_TRUE(w.problems().empty());
}

TEST(NinjaProblem, ValuesAndPaths) {
  EXPECT_EQ(ninja_value_problem("g++ -c a.cpp | tee log"), "");
  EXPECT_EQ(ninja_path_problem("dir with space/$x:y.o"), "");
  EXPECT_THAT(ninja_path_problem("a|b"), HasSubstr("'|'"));
  EXPECT_THAT(ninja_value_problem("a\nb"), HasSubstr("newline"));
  EXPECT_THAT(ninja_value_problem(std::string_view("a\0b", 3)), HasSubstr("NUL"));
}

}  // namespace
}  // namespace kb
