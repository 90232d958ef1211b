#pragma once
// State shared by the probes of one discovery run (private to toolchains/).

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kb/path.h"
#include "kb/disk.h"
#include "kb/process.h"
#include "kb/toolchain.h"

namespace kb::toolchains {

// Where a candidate came from; shown in reports so the user knows which setting to change.
struct Candidate {
  std::string path;    // what to probe (a program or a directory, depending on the probe)
  std::string origin;  // "--cuda", "CUDA_HOME", "PATH", "/usr/local/cuda*", ...
};

class ProbeContext {
 public:
  ProbeContext(Process& process, Disk& disk, const Environment& env, std::string system_root,
               Toolchains& out, std::chrono::milliseconds probe_timeout = k_probe_timeout)
      : process(process),
        disk(disk),
        env(env),
        out(out),
        probe_timeout(probe_timeout),
        m_system_root(std::move(system_root)) {
    while (!m_system_root.empty() && m_system_root.back() == '/') m_system_root.pop_back();
  }

  Process& process;
  Disk& disk;
  const Environment& env;
  Toolchains& out;
  const std::chrono::milliseconds probe_timeout;  // for each run_probe
  // Set when a probe timed out: the answer depends on the moment, so it is not cached.
  bool transient = false;

  // A fixed location ("/usr/local") below the configured system root.
  std::string system_path(std::string_view path) const { return m_system_root + std::string(path); }

  // Records a candidate that was looked at and not used.
  void reject(std::string kind, const Candidate& c, std::string reason) {
    std::string what = c.path;
    if (!c.origin.empty()) what += " (from " + c.origin + ")";
    out.rejected.push_back({std::move(kind), std::move(what), std::move(reason), c.origin});
  }

  // Records a file or directory whose change (or appearance) makes the result stale.
  void witness(const std::string& path) {
    if (!path.empty() && m_witness_set.insert(path).second) m_witnesses.push_back(path);
  }
  const std::vector<std::string>& witnesses() const { return m_witnesses; }

 private:
  std::string m_system_root;
  std::set<std::string> m_witness_set;
  std::vector<std::string> m_witnesses;
};

// Path helpers shared by the probes (lexical; no file system access).
inline std::string dir_name(std::string_view path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

inline std::string base_name(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// The first line of a tool's output, trimmed, for rejection reasons.
inline std::string first_line(std::string_view text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "";
  text = text.substr(start);
  size_t end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

inline std::string_view trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

// Parses the leading dotted number of `text` ("1.12.0.git" -> 1.12, "5.2.21153-0" ->
// 5.2.21153); fails when it does not start with a digit.
Result<Version> leading_version(std::string_view text);

// Runs argv for at most ctx.probe_timeout; on success returns the captured output, else a
// one-line reason naming the command (not started; killed at the time limit, which also sets
// ctx.transient; or a non-zero exit with the first line of its stderr).
Result<Captured> run_probe(ProbeContext& ctx, const std::vector<std::string>& argv);

}  // namespace kb::toolchains
