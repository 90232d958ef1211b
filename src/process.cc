// RealProcess: posix_spawn with an explicit argv (never a shell string).
//
// argv[0] is resolved against the PATH of the Environment passed in, not against kb's own
// PATH: posix_spawnp would search the parent's PATH, and a probe run with a modified
// environment must find the same program the child would.

#include "kb/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "kb/ninja_writer.h"

namespace kb {

namespace {

// Owns the C arrays posix_spawn wants; the strings stay alive as long as this object.
class SpawnArgs {
 public:
  SpawnArgs(const std::vector<std::string>& argv, const Environment& env) {
    for (const auto& a : argv) m_argv.push_back(const_cast<char*>(a.c_str()));
    m_argv.push_back(nullptr);
    for (const auto& [k, v] : env.vars()) m_env_strings.push_back(k + "=" + v);
    for (auto& s : m_env_strings) m_envp.push_back(s.data());
    m_envp.push_back(nullptr);
  }
  char* const* argv() { return m_argv.data(); }
  char* const* envp() { return m_envp.data(); }

 private:
  std::vector<char*> m_argv;
  std::vector<std::string> m_env_strings;
  std::vector<char*> m_envp;
};

// Resolves argv[0] in env's PATH; fails with a message naming the program.
Result<std::string> resolve_program(const std::vector<std::string>& argv, const Environment& env) {
  if (argv.empty() || argv[0].empty()) return Error{"cannot run an empty command", {}, ""};
  auto found = find_in_path(argv[0], env);
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

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Reads both pipes until both reach end of file. poll() keeps a child that fills its
// stderr pipe from blocking while we wait on stdout (and the other way round).
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  int fds[2] = {out_fd, err_fd};
  std::string* sinks[2] = {&out, &err};
  char buf[65536];
  while (fds[0] >= 0 || fds[1] >= 0) {
    pollfd pfd[2];
    int n = 0;
    int map[2];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0) continue;
      pfd[n] = pollfd{fds[i], POLLIN, 0};
      map[n++] = i;
    }
    if (::poll(pfd, n, -1) < 0) {
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
}

}  // namespace

Result<Captured> RealProcess::capture(const std::vector<std::string>& argv,
                                      const Environment& env) {
  auto program = resolve_program(argv, env);
  if (!program.ok()) return program.take_errors();

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return spawn_error(argv, errno);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return spawn_error(argv, e);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  SpawnArgs args(argv, env);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, program->c_str(), &actions, nullptr, args.argv(), args.envp());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return spawn_error(argv, rc);
  }

  Captured result;
  drain(out_pipe[0], err_pipe[0], result.out, result.err);
  result.exit_code = wait_for(pid);
  return result;
}

Result<int> RealProcess::run_attached(const std::vector<std::string>& argv, const Environment& env,
                                      const std::string& cwd) {
  auto program = resolve_program(argv, env);
  if (!program.ok()) return program.take_errors();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());

  // The child gets default SIGINT/SIGQUIT handling and an empty signal mask whatever kb
  // has set, so that Ctrl-C reaches it (it shares the terminal's process group).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGQUIT);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  // kb ignores the interrupt while the child runs: the child (ninja, nix) handles Ctrl-C,
  // stops its own jobs and exits, and kb must outlive it to report what happened. The
  // handlers are set before spawning so that no interrupt falls between spawn and wait.
  struct sigaction ignore = {};
  struct sigaction old_int = {};
  struct sigaction old_quit = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGQUIT, &ignore, &old_quit);

  SpawnArgs args(argv, env);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, program->c_str(), &actions, &attr, args.argv(), args.envp());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);

  int code = rc == 0 ? wait_for(pid) : 0;
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  if (rc != 0) {
    Error e = spawn_error(argv, rc);
    if (rc == ENOENT && !cwd.empty()) e.hint = "check that the directory '" + cwd + "' exists";
    return e;
  }
  return code;
}

}  // namespace kb
