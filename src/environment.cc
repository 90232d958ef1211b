#include <string_view>

#include "kb/disk.h"
#include "kb/path.h"
#include "kb/process.h"

extern char** environ;

namespace kb {

Environment Environment::from_process() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    // The first definition wins, as getenv does when a name appears twice.
    vars.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return Environment(std::move(vars));
}

std::optional<std::string> Environment::get(const std::string& name) const {
  auto it = m_vars.find(name);
  if (it == m_vars.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> find_in_path(const std::string& program, const Environment& env,
                                        const Disk& disk) {
  if (program.empty()) return std::nullopt;
  std::string cwd = disk.current_dir();
  auto executable = [&](const std::string& path) -> std::optional<std::string> {
    std::string absolute = absolute_path(path, cwd);
    if (!disk.stat(absolute).is_executable) return std::nullopt;
    return absolute;
  };
  if (program.find('/') != std::string::npos) return executable(program);
  // Without PATH, use the POSIX default that execvp falls back to.
  for (const auto& dir : split_colon_list(env.get("PATH").value_or("/bin:/usr/bin"))) {
    // An empty PATH entry means the current directory (POSIX).
    if (auto found = executable(join_path(dir.empty() ? "." : dir, program))) return found;
  }
  return std::nullopt;
}

}  // namespace kb
