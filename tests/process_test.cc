// RealProcess and find_in_path against /bin/sh.

#include "kb/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "kb/path.h"

namespace kb {
namespace {

namespace fs = std::filesystem;

Environment basic_env() {
  Environment env;
  env.set("PATH", "/usr/bin:/bin");
  return env;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kb-process-test-XXXXXX").string();
    m_path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

TEST(SplitColonList, KeepsEmptyEntries) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_colon_list("/a:/b"), (V{"/a", "/b"}));
  EXPECT_EQ(split_colon_list("a::b:"), (V{"a", "", "b", ""}));
  EXPECT_EQ(split_colon_list(""), (V{""}));
  EXPECT_EQ(split_colon_list("org/x=/build"), (V{"org/x=/build"}));
}

TEST(SplitLines, DropsTerminatorsNotEmptyLines) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(split_lines("a\nb\n"), (V{"a", "b"}));
  EXPECT_EQ(split_lines("a\r\n\nb"), (V{"a", "", "b"}));
  EXPECT_EQ(split_lines(""), V{});
}

TEST(RealProcess, CapturesStdoutStderrAndExitCode) {
  RealProcess p;
  auto r = p.capture({"sh", "-c", "echo out; echo err >&2; exit 3"}, basic_env());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 3);
}

TEST(RealProcess, PassesArgumentsVerbatim) {
  RealProcess p;
  auto r = p.capture({"sh", "-c", "printf '%s|' \"$@\"", "sh", "a b", "$HOME", "'q'"}, basic_env());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "a b|$HOME|'q'|");
}

TEST(RealProcess, LargeOutputOnBothPipesDoesNotDeadlock) {
  RealProcess p;
  // 1 MiB to each stream, interleaved, well past a pipe buffer.
  auto r = p.capture({"sh", "-c",
                      "i=0; while [ $i -lt 16 ]; do head -c 65536 /dev/zero; "
                      "head -c 65536 /dev/zero >&2; i=$((i+1)); done"},
                     basic_env());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), 1u << 20);
  EXPECT_EQ(r->err.size(), 1u << 20);
  EXPECT_EQ(r->exit_code, 0);
}

TEST(RealProcess, StdinIsClosed) {
  RealProcess p;
  auto r = p.capture({"cat"}, basic_env());  // would hang if stdin were inherited
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "");
  EXPECT_EQ(r->exit_code, 0);
}

TEST(RealProcess, PassesTheGivenEnvironmentOnly) {
  RealProcess p;
  Environment env = basic_env();
  env.set("KB_TEST_VALUE", "42");
  auto r = p.capture({"sh", "-c", "echo \"$KB_TEST_VALUE\"; echo \"${HOME-unset}\""}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "42\nunset\n");
}

TEST(RealProcess, SignalDeathIs128PlusSignal) {
  RealProcess p;
  auto r = p.capture({"sh", "-c", "kill -KILL $$"}, basic_env());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
}

TEST(RealProcess, MissingProgramIsAnError) {
  RealProcess p;
  auto r = p.capture({"kb-no-such-program-xyz"}, basic_env());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().list[0].message.find("not found in PATH"), std::string::npos);
  auto abs = p.capture({"/nonexistent/dir/tool", "--version"}, basic_env());
  ASSERT_FALSE(abs.ok());
  EXPECT_NE(abs.errors().list[0].message.find("/nonexistent/dir/tool"), std::string::npos);
  EXPECT_FALSE(p.capture({}, basic_env()).ok());
}

TEST(RealProcess, ResolvesProgramInTheGivenPath) {
  TempDir dir;
  std::string tool = dir.path() + "/kb-test-tool";
  std::ofstream(tool) << "#!/bin/sh\necho from-tool\n";
  ::chmod(tool.c_str(), 0755);
  Environment env = basic_env();
  env.set("PATH", dir.path() + ":/usr/bin:/bin");
  RealProcess p;
  auto r = p.capture({"kb-test-tool"}, env);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "from-tool\n");
  EXPECT_FALSE(p.capture({"kb-test-tool"}, basic_env()).ok());
}

TEST(RealProcess, RunAttachedReturnsExitCodeAndUsesCwd) {
  TempDir dir;
  RealProcess p;
  auto r = p.run_attached({"sh", "-c", "pwd > where.txt; exit 7"}, basic_env(), dir.path());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 7);
  std::ifstream in(dir.path() + "/where.txt");
  std::string where;
  std::getline(in, where);
  EXPECT_EQ(fs::canonical(where), fs::canonical(dir.path()));
}

TEST(RealProcess, RunAttachedMissingProgramIsAnError) {
  RealProcess p;
  EXPECT_FALSE(p.run_attached({"kb-no-such-program-xyz"}, basic_env(), "").ok());
}

// While a build runs, Ctrl-C goes to the child; kb must survive it and get the exit code.
TEST(RealProcess, RunAttachedIgnoresInterruptWhileWaiting) {
  RealProcess p;
  auto r = p.run_attached({"sh", "-c", "kill -INT $PPID; sleep 0.1; exit 5"}, basic_env(), "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
  // The disposition is restored afterwards.
  struct sigaction now {};
  ::sigaction(SIGINT, nullptr, &now);
  EXPECT_NE(now.sa_handler, SIG_IGN);
}

TEST(RealProcess, RunAttachedChildGetsDefaultInterrupt) {
  RealProcess p;
  auto r = p.run_attached({"sh", "-c", "kill -INT $$; exit 0"}, basic_env(), "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 128 + SIGINT);
}

TEST(FindInPath, FindsExecutablesAndSkipsOthers) {
  TempDir dir;
  std::string plain = dir.path() + "/kb-plain";
  std::ofstream(plain) << "x";
  ::chmod(plain.c_str(), 0644);
  fs::create_directory(dir.path() + "/kb-dir");
  Environment env;
  env.set("PATH", dir.path() + ":/usr/bin:/bin");
  EXPECT_FALSE(find_in_path("kb-plain", env));  // not executable
  EXPECT_FALSE(find_in_path("kb-dir", env));    // a directory
  auto sh = find_in_path("sh", env);
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->front(), '/');
  EXPECT_EQ(find_in_path("/bin/sh", env), "/bin/sh");
  EXPECT_FALSE(find_in_path("", env));
}

TEST(Environment, SnapshotOfTheProcess) {
  ::setenv("KB_ENV_SNAPSHOT_TEST", "a=b", 1);
  Environment env = Environment::from_process();
  EXPECT_EQ(env.get("KB_ENV_SNAPSHOT_TEST"), "a=b");
  EXPECT_FALSE(env.get("KB_ENV_DEFINITELY_UNSET_123"));
  ::unsetenv("KB_ENV_SNAPSHOT_TEST");
}

}  // namespace
}  // namespace kb
