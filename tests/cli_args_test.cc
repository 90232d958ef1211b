// kb's command line: help requests, options, errors (src/cli/args.h), and the Request made
// of them (src/cli/request_args.h).

#include "src/cli/args.h"
#include "src/cli/request_args.h"

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

Result<ParsedArgs> parse(std::vector<std::string> args) {
  return parse_args(args, command_table());
}

TEST(CliArgs, LongOptionWithEqualsAndWithSeparateValue) {
  auto r = parse({"build", "k", "--variant=a", "--variant", "b", "--out=/o", "--linker", "mold"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->command, "build");
  EXPECT_EQ(r->positional, std::vector<std::string>{"k"});
  EXPECT_EQ(r->all("variant"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->get("out"), "/o");
  EXPECT_EQ(r->get("linker"), "mold");
  // An empty value after '=' is a value: --launcher= clears nothing but is given.
  auto e = parse({"build", "--launcher="});
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->has("launcher"));
}

TEST(CliArgs, ShortOptionGluedOrSeparate) {
  auto glued = parse({"build", "-j4"});
  ASSERT_TRUE(glued.ok());
  EXPECT_EQ(glued->get("jobs"), "4");
  auto separate = parse({"build", "-j", "7", "-n", "-v"});
  ASSERT_TRUE(separate.ok());
  EXPECT_EQ(separate->get("jobs"), "7");
  EXPECT_TRUE(separate->has("dry-run"));
  EXPECT_TRUE(separate->has("verbose"));
  // A non-repeatable option keeps its last value.
  auto twice = parse({"build", "-j2", "--jobs=3"});
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->all("jobs"), std::vector<std::string>{"3"});
}

TEST(CliArgs, DoubleDashPassesTheRestThrough) {
  auto r = parse({"test", "k", "--", "-k", "relu", "--variant", "x", "--"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->positional, std::vector<std::string>{"k"});
  EXPECT_FALSE(r->has("variant"));
  EXPECT_EQ(r->passthrough, (std::vector<std::string>{"-k", "relu", "--variant", "x", "--"}));
}

TEST(CliArgs, ErrorsSayWhatIsWrong) {
  auto missing = parse({"build", "--out"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.errors().list.front().message, "option '--out' needs a value");
  auto flag_value = parse({"build", "--dry-run=yes"});
  ASSERT_FALSE(flag_value.ok());
  EXPECT_EQ(flag_value.errors().list.front().message, "option '--dry-run' takes no value");
  auto short_unknown = parse({"build", "-x"});
  ASSERT_FALSE(short_unknown.ok());
  EXPECT_EQ(short_unknown.errors().list.front().message, "unknown option '-x' for 'kb build'");
  EXPECT_EQ(short_unknown.errors().list.front().hint, "run 'kb build --help'");
  auto extra = parse({"build", "a", "b"});
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.errors().list.front().message, "unexpected argument 'b' for 'kb build'");
  EXPECT_EQ(extra.errors().list.front().hint, "usage: kb build [DIR]");
  auto none = parse({});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.errors().list.front().message, "no command given");
  // An option of another command is unknown here, with the closest of this command's.
  auto other = parse({"clean", "--al"});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.errors().list.front().message, "unknown option '--al' for 'kb clean'");
}

TEST(CliArgs, EveryCommandHasAHandler) {
  for (const auto& c : command_table()) EXPECT_NE(c.handler, nullptr) << c.name;
}

// request_from_args: the usage errors that stop a command before it starts.
Result<Request> request(std::vector<std::string> args) {
  auto parsed = parse(std::move(args));
  if (!parsed) return parsed.take_errors();
  MachineFacts facts{.cores = 3, .mem_available_bytes = 1 << 30, .self_exe = "/bin/kb", .pid = "1"};
  return cli::request_from_args(*parsed, facts, "/w");
}

TEST(CliRequest, BadNumbersAndBackendsAreUsageErrors) {
  auto jobs = request({"build", "-j", "0"});
  ASSERT_FALSE(jobs.ok());
  EXPECT_EQ(jobs.errors().list.front().message, "--jobs needs a positive whole number, got '0'");
  EXPECT_FALSE(request({"build", "--max-jobs", "x"}).ok());
  EXPECT_FALSE(request({"build", "--cores", "5000"}).ok());
  auto backend = request({"matrix", "--backend=foo"});
  ASSERT_FALSE(backend.ok()) << "kb matrix --backend=foo used to run the native matrix";
  EXPECT_EQ(backend.errors().list.front().message, "unknown backend 'foo'");
  auto deps = request({"deps", "fetch", "a", "b"});
  ASSERT_FALSE(deps.ok());
  EXPECT_EQ(deps.errors().list.front().message, "unexpected argument 'b' for 'kb deps'");
}

TEST(CliRequest, TimingsTakesAnOptionalFormat) {
  EXPECT_EQ(request({"build"})->timings, "");
  EXPECT_EQ(request({"build", "--timings"})->timings, "html");
  EXPECT_EQ(request({"build", "--timings=trace"})->timings, "trace");
  EXPECT_EQ(request({"test", "--timings=json"})->timings, "json");
  // The value goes after '=' only: a following word stays the kernel dir.
  auto dir = request({"build", "--timings", "k"});
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(dir->timings, "html");
  EXPECT_EQ(dir->kernel_dir, "/w/k");
  auto bad = request({"build", "--timings=svg"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.errors().list.front().message, "unknown --timings format 'svg'");
  EXPECT_FALSE(parse({"build", "--dry-run=yes"}).ok()) << "other flags still take no value";
}

TEST(CliRequest, PathsAreAbsoluteAndDefaultsComeFromTheMachine) {
  auto r = request({"build", "k/", "--out", "o", "--dep", "cutlass=../c/", "--torch", "venv"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kernel_dir_given, "k/");
  EXPECT_EQ(r->kernel_dir, "/w/k");
  EXPECT_EQ(r->out_dir, "/w/o");
  EXPECT_EQ(r->query.deps, std::vector<std::string>{"cutlass=/c"});
  EXPECT_EQ(r->query.torch, std::vector<std::string>{"venv"}) << "discovery resolves --torch";
  EXPECT_EQ(r->jobs, 3);
  EXPECT_EQ(r->memory_budget_bytes, 1 << 30);
  EXPECT_EQ(r->kb_path, "/bin/kb");
  auto fetch = request({"deps", "fetch"});
  ASSERT_TRUE(fetch.ok());
  EXPECT_TRUE(fetch->fetch);
  EXPECT_EQ(fetch->kernel_dir, "/w");
  auto nix = request({"build", "--backend", "nix", "--max-jobs", "2"});
  ASSERT_TRUE(nix.ok());
  EXPECT_EQ(nix->backend, BuildBackend::nix);
  EXPECT_EQ(nix->nix_max_jobs, 2);
}

TEST(CliRequest, BundleMergeTakesDirsAndNeedsOut) {
  auto r = request({"bundle", "merge", "parts/a", "/x/b/", "--out", "build"});
  ASSERT_TRUE(r.ok()) << r.errors().list.front().message;
  EXPECT_EQ(r->bundle_inputs, (std::vector<std::string>{"/w/parts/a", "/x/b"}));
  EXPECT_EQ(r->out_dir, "/w/build");
  EXPECT_EQ(request({"bundle", "merge", "a"}).errors().list.front().message,
            "kb bundle merge needs --out: the build directory to merge into");
  EXPECT_EQ(request({"bundle", "merge", "--out", "o"}).errors().list.front().message,
            "kb bundle merge needs at least one DIR");
  EXPECT_EQ(request({"bundle", "split", "a", "--out", "o"}).errors().list.front().message,
            "unknown subcommand 'kb bundle split'");
  EXPECT_EQ(request({"bundle"}).errors().list.front().message, "kb bundle needs a subcommand");
}

}  // namespace
}  // namespace kb
