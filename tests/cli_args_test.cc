// kb's command line: help requests and unknown commands (src/cli/args.h).

#include "src/cli/args.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

std::optional<Result<std::string>> help(std::vector<std::string> args) {
  return help_request(args, command_table());
}

TEST(CliHelp, GeneralUsage) {
  for (const char* first : {"--help", "-h", "help"}) {
    auto h = help({first});
    ASSERT_TRUE(h.has_value()) << first;
    ASSERT_TRUE(h->ok()) << first;
    EXPECT_NE(h->value().find("usage: kb COMMAND"), std::string::npos);
  }
}

TEST(CliHelp, CommandUsageWithHelpAnywhereBeforeDoubleDash) {
  auto h = help({"build", "examples/relu", "--help"});
  ASSERT_TRUE(h && h->ok());
  EXPECT_EQ(h->value().rfind("usage: kb build [DIR]", 0), 0u) << h->value();
  EXPECT_NE(h->value().find("--variant"), std::string::npos);
  EXPECT_FALSE(help({"test", "--", "--help"}).has_value()) << "pytest's --help is not kb's";
  EXPECT_FALSE(help({"build", "examples/relu"}).has_value());
  EXPECT_FALSE(help({}).has_value());
}

TEST(CliHelp, UnknownCommandIsAnErrorWithTheClosestName) {
  // `kb biuld --help` used to print nothing and exit 0.
  auto h = help({"biuld", "--help"});
  ASSERT_TRUE(h.has_value());
  ASSERT_FALSE(h->ok());
  const Error& e = h->errors().list.front();
  EXPECT_EQ(e.message, "unknown command 'biuld'");
  EXPECT_EQ(e.hint, "did you mean 'kb build'?");
  auto far = help({"zzzzzzzz", "-h"});
  ASSERT_TRUE(far && !far->ok());
  EXPECT_EQ(far->errors().list.front().hint, "run 'kb --help' for the commands");
}

TEST(CliArgs, UnknownCommandAndOptionNameTheClosest) {
  auto r = parse_args({"matirx"}, command_table());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list.front().hint, "did you mean 'kb matrix'?");
  auto o = parse_args({"build", "--varaint", "x"}, command_table());
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.errors().list.front().hint, "did you mean '--variant'?");
}

TEST(CliArgs, HugeUnknownOptionGetsNoHintAndNoCost) {
  auto r = parse_args({"build", "--" + std::string(9 << 20, 'v')}, command_table());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list.front().hint, "run 'kb build --help'");
}

}  // namespace
}  // namespace kb
