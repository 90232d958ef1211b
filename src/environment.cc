#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

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

namespace {

bool is_executable_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  return ::access(path.c_str(), X_OK) == 0;
}

std::string make_absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  std::string cwd(4096, '\0');
  if (::getcwd(cwd.data(), cwd.size()) == nullptr) return path;
  cwd.resize(cwd.find('\0'));
  if (path == "." || path.empty()) return cwd;
  if (path.rfind("./", 0) == 0) return cwd + path.substr(1);
  return cwd + "/" + path;
}

}  // namespace

std::optional<std::string> find_in_path(const std::string& program, const Environment& env) {
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) {
    if (!is_executable_file(program)) return std::nullopt;
    return make_absolute(program);
  }
  // Without PATH, use the POSIX default that execvp falls back to.
  for (const auto& dir : split_colon_list(env.get("PATH").value_or("/bin:/usr/bin"))) {
    // An empty PATH entry means the current directory (POSIX).
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (is_executable_file(candidate)) return make_absolute(candidate);
  }
  return std::nullopt;
}

}  // namespace kb
