#pragma once
// The process seam: running probes (captured) and builds (attached to the terminal),
// plus the Environment snapshot passed down instead of calling getenv.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kb/error.h"

namespace kb {

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
};

class Process {
 public:
  virtual ~Process() = default;
  // Runs argv (argv[0] looked up in PATH when it has no '/'), stdin closed, output captured.
  // Fails only when the program cannot be started; a non-zero exit is a value.
  virtual Result<Captured> capture(const std::vector<std::string>& argv,
                                   const Environment& env) = 0;
  // Runs argv with the terminal inherited, in `cwd`; returns its exit code.
  // Fails only when the program cannot be started.
  virtual Result<int> run_attached(const std::vector<std::string>& argv, const Environment& env,
                                   const std::string& cwd) = 0;
};

// The real implementation (posix_spawn).
class RealProcess : public Process {
 public:
  Result<Captured> capture(const std::vector<std::string>& argv, const Environment& env) override;
  Result<int> run_attached(const std::vector<std::string>& argv, const Environment& env,
                           const std::string& cwd) override;
};

// Looks `program` up in the PATH of `env`; returns the absolute path or nullopt.
std::optional<std::string> find_in_path(const std::string& program, const Environment& env);

}  // namespace kb
