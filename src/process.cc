// RealProcess: fork and exec with an explicit argv (never a shell string).
//
// argv[0] is resolved against the PATH of the Environment passed in, not against kb's own
// PATH: a probe run with a modified environment must find the same program the child would.
//
// fork rather than posix_spawn, because the child must do two things posix_spawn cannot:
// ask the kernel to signal it when kb dies (PR_SET_PDEATHSIG: a probe or a ninja must not
// outlive a kb killed with SIGKILL), and, for captures, lead a process group of its own (so
// that a timeout kills whatever the probe started too). Between fork and exec the child
// calls only async-signal-safe functions.

#include "kb/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "kb/disk.h"
#include "kb/shell.h"

namespace kb {

namespace {

// Owns the C arrays execve wants; the strings stay alive as long as this object.
class SpawnArgs {
 public:
  SpawnArgs(const std::string& program, const std::vector<std::string>& argv,
            const Environment& env)
      : m_program(program) {
    for (const auto& a : argv) m_argv.push_back(const_cast<char*>(a.c_str()));
    m_argv.push_back(nullptr);
    // A script without "#!" is run by /bin/sh, as execvp does.
    m_sh_argv = {const_cast<char*>(k_sh), m_program.data()};
    for (size_t i = 1; i < argv.size(); ++i)
      m_sh_argv.push_back(const_cast<char*>(argv[i].c_str()));
    m_sh_argv.push_back(nullptr);
    for (const auto& [k, v] : env.vars()) m_env_strings.push_back(k + "=" + v);
    for (auto& s : m_env_strings) m_envp.push_back(s.data());
    m_envp.push_back(nullptr);
  }
  const char* program() const { return m_program.c_str(); }
  char* const* argv() { return m_argv.data(); }
  char* const* sh_argv() { return m_sh_argv.data(); }
  char* const* envp() { return m_envp.data(); }
  static constexpr const char* k_sh = "/bin/sh";

 private:
  std::string m_program;
  std::vector<char*> m_argv;
  std::vector<char*> m_sh_argv;
  std::vector<std::string> m_env_strings;
  std::vector<char*> m_envp;
};

// Resolves argv[0] in env's PATH; fails with a message naming the program.
Result<std::string> resolve_program(const std::vector<std::string>& argv, const Environment& env) {
  if (argv.empty() || argv[0].empty()) return Error{"cannot run an empty command", {}, ""};
  auto found = find_in_path(argv[0], env, RealDisk());
  if (!found) {
    if (argv[0].find('/') != std::string::npos)
      return Error{"cannot run '" + argv[0] + "': no such executable file", {}, ""};
    return Error{"cannot run '" + argv[0] + "': not found in PATH",
                 {},
                 "install it or add its directory to PATH"};
  }
  return *found;
}

Error spawn_error(const std::vector<std::string>& argv, int err) {
  return Error{"cannot run '" + shell_join(argv) + "': " + std::strerror(err), {}, ""};
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return exit_code_of(status);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

using Clock = std::chrono::steady_clock;

// Reads both pipes until both reach end of file or `deadline` passes; returns false in the
// second case. poll() keeps a child that fills its stderr pipe from blocking while we wait
// on stdout (and the other way round).
bool drain(int out_fd, int err_fd, std::string& out, std::string& err, Clock::time_point deadline) {
  int fds[2] = {out_fd, err_fd};
  std::string* sinks[2] = {&out, &err};
  char buf[65536];
  bool in_time = true;
  while (fds[0] >= 0 || fds[1] >= 0) {
    pollfd pfd[2];
    int n = 0;
    int map[2];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0) continue;
      pfd[n] = pollfd{fds[i], POLLIN, 0};
      map[n++] = i;
    }
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      in_time = false;
      break;
    }
    int ready = ::poll(pfd, n, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < n; ++k) {
      if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int i = map[k];
      ssize_t got = ::read(fds[i], buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        close_fd(fds[i]);
      }
    }
  }
  close_fd(fds[0]);
  close_fd(fds[1]);
  return in_time;
}

// Waits for `pid` until `deadline`: its exit code, or nullopt while it still runs then. (A
// program may close its output and go on running; the pipes' end is not its end.)
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  useconds_t pause_us = 200;
  while (true) {
    int status = 0;
    pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == pid) return exit_code_of(status);
    if (got < 0 && errno != EINTR) return 127;
    if (Clock::now() >= deadline) return std::nullopt;
    ::usleep(pause_us);
    pause_us = std::min<useconds_t>(pause_us * 2, 20000);
  }
}

// What the child does between fork and exec, prepared by the parent: the child only
// copies values out of it.
struct ChildSetup {
  const char* program = nullptr;
  char* const* argv = nullptr;
  char* const* sh_argv = nullptr;  // /bin/sh program argv[1...], for a script without "#!"
  char* const* envp = nullptr;
  const char* cwd = nullptr;  // nullptr: kb's
  int stdin_fd = -1;          // -1: inherited
  int stdout_fd = -1;
  int stderr_fd = -1;
  bool own_group = false;      // lead a new process group
  int death_signal = SIGKILL;  // sent to the child when kb dies
  pid_t parent = 0;
  int report_fd = -1;  // close-on-exec pipe: the child writes why exec failed
};

// A ChildSetup that runs what `args` holds (program, argv, the sh fallback, environment);
// the rest as ChildSetup's defaults. `args` must outlive the child's start.
ChildSetup setup_for(SpawnArgs& args) {
  ChildSetup setup;
  setup.program = args.program();
  setup.argv = args.argv();
  setup.sh_argv = args.sh_argv();
  setup.envp = args.envp();
  return setup;
}

// Why the child could not run the program.
struct ChildFailure {
  int stage = 0;  // 1: chdir, 2: exec, 3: kb died before the child was set up
  int err = 0;
};

[[noreturn]] void child_fail(const ChildSetup& s, int stage, int err) {
  ChildFailure f{stage, err};
  ssize_t ignored = ::write(s.report_fd, &f, sizeof f);
  (void)ignored;
  ::_exit(127);
}

[[noreturn]] void child_exec(const ChildSetup& s) {
  // Signals kb ignores or handles are the child's to handle: default dispositions, nothing
  // blocked (a caught signal is reset by exec anyway; an ignored one would stay ignored).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE}) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (s.own_group) ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, s.death_signal);
  // kb may have died between fork and prctl; then nobody would signal this child.
  if (::getppid() != s.parent) child_fail(s, 3, ESRCH);
  if (s.cwd != nullptr && ::chdir(s.cwd) != 0) child_fail(s, 1, errno);
  if (s.stdin_fd >= 0 && ::dup2(s.stdin_fd, 0) < 0) child_fail(s, 2, errno);
  if (s.stdout_fd >= 0 && ::dup2(s.stdout_fd, 1) < 0) child_fail(s, 2, errno);
  if (s.stderr_fd >= 0 && ::dup2(s.stderr_fd, 2) < 0) child_fail(s, 2, errno);
  ::execve(s.program, s.argv, s.envp);
  if (errno == ENOEXEC) ::execve(s.sh_argv[0], s.sh_argv, s.envp);
  child_fail(s, 2, errno);
}

// Forks a child that runs `setup`; returns its pid, or the failure the child reported (the
// child is then reaped). `setup.report_fd` is filled in here.
Result<pid_t> start_child(ChildSetup setup, const std::vector<std::string>& argv,
                          const std::string& cwd) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return spawn_error(argv, errno);
  setup.report_fd = report[1];
  setup.parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) child_exec(setup);
  int fork_errno = errno;
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    return spawn_error(argv, fork_errno);
  }
  if (setup.own_group) ::setpgid(pid, pid);  // also here: kill(-pid) must work at once
  ChildFailure failure;
  ssize_t got;
  do {
    got = ::read(report[0], &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got != static_cast<ssize_t>(sizeof failure)) return pid;  // exec succeeded
  wait_for(pid);
  Error e = spawn_error(argv, failure.err);
  if (failure.stage == 1) {
    e.message =
        "cannot run '" + shell_join(argv) + "' in '" + cwd + "': " + std::strerror(failure.err);
    e.hint = "check that the directory '" + cwd + "' exists";
  }
  return e;
}

// The attached child, for the handler below; 0 when none runs.
volatile sig_atomic_t g_attached_child = 0;
// The first forwarded signal kb received while the child ran.
volatile sig_atomic_t g_received_signal = 0;

constexpr int k_forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void forward_to_child(int sig) {
  int saved_errno = errno;
  if (g_received_signal == 0) g_received_signal = sig;
  pid_t child = static_cast<pid_t>(g_attached_child);
  if (child > 0) ::kill(child, sig);
  errno = saved_errno;
}

}  // namespace

std::string timeout_message(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) {
  std::string command;
  for (const auto& a : argv) {
    if (!command.empty()) command += ' ';
    command += a.find('\n') == std::string::npos ? a : "<script>";
  }
  char limit[32];
  if (timeout.count() % 1000 == 0)
    std::snprintf(limit, sizeof limit, "%lld s", static_cast<long long>(timeout.count() / 1000));
  else
    std::snprintf(limit, sizeof limit, "%.1f s", static_cast<double>(timeout.count()) / 1000.0);
  return "'" + command + "' did not finish within " + limit + " and was stopped";
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGKILL: return "SIGKILL";
    default: return "signal " + std::to_string(signal);
  }
}

Result<Captured> RealProcess::capture(const std::vector<std::string>& argv, const Environment& env,
                                      std::chrono::milliseconds timeout) {
  auto program = resolve_program(argv, env);
  if (!program.ok()) return program.take_errors();
  auto deadline = Clock::now() + timeout;

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return spawn_error(argv, errno);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return spawn_error(argv, e);
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  SpawnArgs args(*program, argv, env);
  ChildSetup setup = setup_for(args);
  setup.stdin_fd = null_fd;
  setup.stdout_fd = out_pipe[1];
  setup.stderr_fd = err_pipe[1];
  setup.own_group = true;
  setup.death_signal = SIGKILL;
  auto pid = start_child(setup, argv, "");
  if (null_fd >= 0) ::close(null_fd);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (!pid.ok()) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return pid.take_errors();
  }

  Captured result;
  std::optional<int> code;
  if (drain(out_pipe[0], err_pipe[0], result.out, result.err, deadline))
    code = wait_until(*pid, deadline);
  if (!code) {
    // The whole group: an interpreter's children would otherwise keep running (and keep
    // the pipes open). What the program wrote so far is kept for the message.
    ::kill(-*pid, SIGKILL);
    ::kill(*pid, SIGKILL);
    result.timed_out = true;
    code = wait_for(*pid);
  }
  result.exit_code = *code;
  return result;
}

Result<AttachedExit> RealProcess::run_attached(const std::vector<std::string>& argv,
                                               const Environment& env, const std::string& cwd) {
  auto program = resolve_program(argv, env);
  if (!program.ok()) return program.take_errors();

  // The handlers go in with the signals blocked, and the signals stay blocked until the
  // child's pid is known: a signal arriving in between is then forwarded, not lost.
  sigset_t forwarded, old_mask;
  sigemptyset(&forwarded);
  for (int sig : k_forwarded_signals) sigaddset(&forwarded, sig);
  ::sigprocmask(SIG_BLOCK, &forwarded, &old_mask);

  struct sigaction forward {};
  forward.sa_handler = forward_to_child;
  forward.sa_flags = SA_RESTART;
  sigfillset(&forward.sa_mask);
  struct sigaction old_actions[3] = {};
  for (size_t i = 0; i < 3; ++i) ::sigaction(k_forwarded_signals[i], &forward, &old_actions[i]);
  // SIGQUIT from the terminal reaches the child directly (it shares kb's process group);
  // kb stays alive to report what happened.
  struct sigaction ignore {};
  struct sigaction old_quit {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  g_received_signal = 0;
  g_attached_child = 0;

  // The child stays in kb's process group, the terminal's foreground group: Ctrl-C and
  // Ctrl-Z reach it directly, as they reach every process of a shell pipeline.
  SpawnArgs args(*program, argv, env);
  ChildSetup setup = setup_for(args);
  setup.cwd = cwd.empty() ? nullptr : cwd.c_str();
  setup.own_group = false;
  setup.death_signal = SIGTERM;
  auto started = std::chrono::steady_clock::now();
  auto pid = start_child(setup, argv, cwd);
  if (pid.ok()) g_attached_child = *pid;
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);

  AttachedExit result;
  if (pid.ok()) result.exit_code = wait_for(*pid);
  result.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count();
  g_attached_child = 0;
  for (size_t i = 0; i < 3; ++i) ::sigaction(k_forwarded_signals[i], &old_actions[i], nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  result.kb_signal = g_received_signal;
  if (!pid.ok()) return pid.take_errors();
  return result;
}

}  // namespace kb
