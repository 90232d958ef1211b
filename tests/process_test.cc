// RealProcess and find_in_path against /bin/sh.

#include "kb/disk.h"
#include "kb/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <filesystem>
#include <fstream>

#include "kb/path.h"
#include "tests/fakes.h"

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
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->kb_signal, 0);
  EXPECT_EQ(r->status(), 7);
  std::ifstream in(dir.path() + "/where.txt");
  std::string where;
  std::getline(in, where);
  EXPECT_EQ(fs::canonical(where), fs::canonical(dir.path()));
}

TEST(RealProcess, RunAttachedMissingProgramIsAnError) {
  RealProcess p;
  EXPECT_FALSE(p.run_attached({"kb-no-such-program-xyz"}, basic_env(), "").ok());
  auto r = p.run_attached({"sh", "-c", "exit 0"}, basic_env(), "/nonexistent/kb-dir");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().list[0].hint.find("/nonexistent/kb-dir"), std::string::npos);
}

// The handler kb has for `sig` now, to check that run_attached put the old one back.
void (*handler_of(int sig))(int) {
  struct sigaction now {};
  ::sigaction(sig, nullptr, &now);
  return now.sa_handler;
}

// kill(kb) while the child runs: kb stays alive, passes the signal on, waits for the child
// and says it was signalled. The child here reports the signal it got in its exit code.
TEST(RealProcess, RunAttachedForwardsSigtermAndSigintToTheChild) {
  auto quit_before = handler_of(SIGQUIT);  // SIG_IGN when the suite runs in the background
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
    SCOPED_TRACE(signal_name(sig));
    auto before = handler_of(sig);
    RealProcess p;
    std::string name = sig == SIGTERM ? "TERM" : sig == SIGINT ? "INT" : "HUP";
    std::string script =
        "trap 'exit 40' TERM; trap 'exit 41' INT; trap 'exit 42' HUP; kill -" + name +
        " $PPID; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; exit 3";
    auto r = p.run_attached({"sh", "-c", script}, basic_env(), "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->kb_signal, sig);
    EXPECT_EQ(r->exit_code, sig == SIGTERM ? 40 : sig == SIGINT ? 41 : 42);
    EXPECT_EQ(r->status(), 128 + sig);
    EXPECT_EQ(handler_of(sig), before) << "the disposition is restored afterwards";
  }
  EXPECT_EQ(handler_of(SIGQUIT), quit_before);
}

TEST(RealProcess, RunAttachedChildGetsDefaultInterrupt) {
  RealProcess p;
  auto r = p.run_attached({"sh", "-c", "kill -INT $$; exit 0"}, basic_env(), "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 128 + SIGINT);
  EXPECT_EQ(r->kb_signal, 0);
}

TEST(RealProcess, RunAttachedChildGetsDefaultsEvenWhenKbIgnoresSignals) {
  // A kb started with SIGINT ignored (a background job of a non-interactive shell) must not
  // hand that on to ninja, or the interruption it forwards would be lost.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &old);
  RealProcess p;
  auto r = p.run_attached({"sh", "-c", "kill -INT $$; exit 0"}, basic_env(), "");
  ::sigaction(SIGINT, &old, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 128 + SIGINT);
}

TEST(RealProcess, CaptureWithinTheTimeLimit) {
  RealProcess p;
  auto r = p.capture({"sh", "-c", "echo fine"}, basic_env(), std::chrono::seconds(60));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->out, "fine\n");
}

// Whether process `pid` is gone (or a zombie), waiting for it at most 20 s.
bool ends_soon(pid_t pid) {
  for (int i = 0; i < 400; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return true;
    auto close = text.rfind(')');
    if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z')
      return true;
    ::usleep(50 * 1000);
  }
  return false;
}

TEST(RealProcess, CaptureTimeoutKillsTheProgramAndWhatItStarted) {
  RealProcess p;
  // The shell starts a background sleep, reports its pid, and waits for ever.
  auto r = p.capture({"sh", "-c", "sleep 300 & echo $!; wait"}, basic_env(),
                     std::chrono::milliseconds(500));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
  pid_t background = static_cast<pid_t>(std::stol(r->out));
  EXPECT_TRUE(ends_soon(background)) << "the probe's own child survived its timeout";
}

// Closing its output is not the end of a program: the wait for its exit is bounded too.
TEST(RealProcess, CaptureTimeoutAlsoCoversAProgramThatClosedItsOutput) {
  RealProcess p;
  auto r = p.capture({"sh", "-c", "echo bye; exec >/dev/null 2>&1; exec sleep 300"}, basic_env(),
                     std::chrono::milliseconds(500));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->out, "bye\n");
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
}

TEST(RealProcess, TimeoutMessageNamesTheCommandAndTheLimit) {
  EXPECT_EQ(
      timeout_message({"/venv/bin/python", "-c", "import x\nprint(1)\n"}, std::chrono::seconds(60)),
      "'/venv/bin/python -c <script>' did not finish within 60 s and was stopped");
  EXPECT_EQ(timeout_message({"nvcc", "--version"}, std::chrono::milliseconds(1500)),
            "'nvcc --version' did not finish within 1.5 s and was stopped");
}

// A process forked by the test plays kb: it starts a child (attached or captured) that
// writes its pid and sleeps, then is killed with SIGKILL. The child must not outlive it.
pid_t child_of_killed_kb(bool attached) {
  TempDir dir;
  std::string pid_file = dir.path() + "/child.pid";
  pid_t kb = ::fork();
  if (kb == 0) {
    RealProcess p;
    std::vector<std::string> argv = {
        "sh", "-c",
        "echo $$ > " + pid_file + ".tmp; mv " + pid_file + ".tmp " + pid_file + "; exec sleep 300"};
    if (attached)
      (void)p.run_attached(argv, basic_env(), "");
    else
      (void)p.capture(argv, basic_env(), std::chrono::seconds(600));
    ::_exit(0);
  }
  pid_t child = 0;
  for (int i = 0; i < 400 && child == 0; ++i) {
    std::ifstream in(pid_file);
    if (!(in >> child)) ::usleep(50 * 1000);
  }
  ::kill(kb, SIGKILL);
  ::waitpid(kb, nullptr, 0);
  return child;
}

TEST(RealProcess, AttachedChildDiesWithKb) {
  pid_t child = child_of_killed_kb(/*attached=*/true);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(ends_soon(child)) << "ninja would go on building after kb was killed";
}

TEST(RealProcess, CapturedChildDiesWithKb) {
  pid_t child = child_of_killed_kb(/*attached=*/false);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(ends_soon(child)) << "a probe would go on running after kb was killed";
}

TEST(RealProcess, ScriptWithoutInterpreterLineRunsWithSh) {
  TempDir dir;
  std::string tool = dir.path() + "/kb-no-shebang";
  std::ofstream(tool) << "echo plain script\n";
  ::chmod(tool.c_str(), 0755);
  RealProcess p;
  auto r = p.capture({tool}, basic_env());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "plain script\n");
}

TEST(FindInPath, FindsExecutablesAndSkipsOthers) {
  TempDir dir;
  std::string plain = dir.path() + "/kb-plain";
  std::ofstream(plain) << "x";
  ::chmod(plain.c_str(), 0644);
  fs::create_directory(dir.path() + "/kb-dir");
  Environment env;
  env.set("PATH", dir.path() + ":/usr/bin:/bin");
  EXPECT_FALSE(find_in_path("kb-plain", env, RealDisk()));  // not executable
  EXPECT_FALSE(find_in_path("kb-dir", env, RealDisk()));    // a directory
  auto sh = find_in_path("sh", env, RealDisk());
  ASSERT_TRUE(sh);
  EXPECT_EQ(sh->front(), '/');
  EXPECT_EQ(find_in_path("/bin/sh", env, RealDisk()), "/bin/sh");
  EXPECT_FALSE(find_in_path("", env, RealDisk()));
}

TEST(FindInPath, AsksTheDiskAndMakesRelativeFindsAbsolute) {
  FakeDisk disk;
  disk.cwd = "/home/u";
  disk.add_file("/opt/bin/tool", "", /*executable=*/true);
  disk.add_file("/usr/bin/tool", "", true);
  disk.add_file("/usr/bin/plain", "");
  disk.add_file("/home/u/bin/mine", "", true);
  disk.add_symlink("/usr/bin/linked", "/opt/bin/tool");
  Environment env;
  env.set("PATH", "/opt/bin:/usr/bin:bin");
  EXPECT_EQ(find_in_path("tool", env, disk), "/opt/bin/tool");      // the first PATH entry wins
  EXPECT_FALSE(find_in_path("plain", env, disk));                   // not executable
  EXPECT_EQ(find_in_path("linked", env, disk), "/usr/bin/linked");  // the link, not its target
  EXPECT_EQ(find_in_path("mine", env, disk), "/home/u/bin/mine");
  EXPECT_EQ(find_in_path("./bin/mine", env, disk), "/home/u/bin/mine");
  EXPECT_FALSE(find_in_path("/usr/bin/plain", env, disk));
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
