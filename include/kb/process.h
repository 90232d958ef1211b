#pragma once
// The process seam: running probes (captured) and builds (attached to the terminal),
// plus the Environment snapshot passed down instead of calling getenv.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kb/error.h"

namespace kb {

class Disk;

// A snapshot of environment variables, taken once in the CLI.
class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : m_vars(std::move(vars)) {}
  // Snapshot of the current process environment (called by the CLI only).
  static Environment from_process();
  // The variable's value, or nullopt when unset.
  std::optional<std::string> get(const std::string& name) const;
  void set(const std::string& name, std::string value) { m_vars[name] = std::move(value); }
  const std::map<std::string, std::string>& vars() const { return m_vars; }

 private:
  std::map<std::string, std::string> m_vars;
};

// What a captured process produced.
struct Captured {
  int exit_code = 0;  // 128+signal when killed by a signal
  std::string out;
  std::string err;
  // It ran past its time limit and was killed (SIGKILL to its process group); exit_code is
  // then 128+9 and out/err hold what it wrote until then.
  bool timed_out = false;
};

// How a process run by run_attached ended.
struct AttachedExit {
  int exit_code = 0;  // the child's exit status; 128+signal when a signal ended it
  // SIGINT, SIGTERM or SIGHUP when kb itself received one while the child ran (kb passed it
  // on to the child and waited for it to exit); 0 otherwise. The first one received counts.
  int kb_signal = 0;
  // How long the child ran, in ms (from start to exit); 0 when not measured (a fake).
  int64_t wall_ms = 0;
  // 128+kb_signal when kb was interrupted (the exit status a shell gives a process ended by
  // that signal), else exit_code.
  int status() const { return kb_signal != 0 ? 128 + kb_signal : exit_code; }
};

// The time limit of a probe: a --version, a git query, an interpreter answering a question.
inline constexpr std::chrono::milliseconds k_probe_timeout{60'000};

class Process {
 public:
  virtual ~Process() = default;
  // Runs argv (argv[0] looked up in PATH when it has no '/'), stdin closed, output captured,
  // for at most `timeout`; a process still running then is killed with its process group
  // and returned with timed_out set. Fails only when the program cannot be started; a
  // non-zero exit or a timeout is a value.
  virtual Result<Captured> capture(const std::vector<std::string>& argv, const Environment& env,
                                   std::chrono::milliseconds timeout) = 0;
  // capture() limited to k_probe_timeout.
  Result<Captured> capture(const std::vector<std::string>& argv, const Environment& env) {
    return capture(argv, env, k_probe_timeout);
  }
  // Runs argv with the terminal inherited, in `cwd`, and waits for it. While it runs, SIGINT,
  // SIGTERM and SIGHUP sent to kb are passed on to the child (and reported in kb_signal)
  // instead of ending kb; should kb die anyway (SIGKILL), the child gets SIGTERM. Fails only
  // when the program cannot be started.
  virtual Result<AttachedExit> run_attached(const std::vector<std::string>& argv,
                                            const Environment& env, const std::string& cwd) = 0;
};

// The real implementation (fork and exec).
class RealProcess : public Process {
 public:
  using Process::capture;
  Result<Captured> capture(const std::vector<std::string>& argv, const Environment& env,
                           std::chrono::milliseconds timeout) override;
  Result<AttachedExit> run_attached(const std::vector<std::string>& argv, const Environment& env,
                                    const std::string& cwd) override;
};

// "'<command>' did not finish within N s", the command abbreviated (a multi-line argument
// such as an inline script shows as <script>), for messages about a timed-out capture.
std::string timeout_message(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout);

// "SIGINT", "SIGTERM", "SIGHUP", else "signal N".
std::string signal_name(int signal);

// Looks `program` up in the PATH of `env` (an executable regular file, as `disk` sees it);
// returns its absolute path, or nullopt when there is none. A `program` with a '/' is not
// looked up, only checked.
std::optional<std::string> find_in_path(const std::string& program, const Environment& env,
                                        const Disk& disk);

}  // namespace kb
