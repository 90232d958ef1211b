#include "kb/source_path.h"

#include <filesystem>

namespace kb {

std::optional<Error> source_path_problem(std::string_view rel, std::string_view what) {
  std::string in(what);
  std::string quoted = "'" + std::string(rel) + "'";
  if (rel.empty())
    return Error{"empty path in " + in,
                 {},
                 "remove the entry, or name a file relative to the kernel directory"};
  if (rel.front() == '/')
    return Error{quoted + " in " + in + " must be relative to the kernel directory",
                 {},
                 "write the path from the directory that holds build.toml, e.g. "
                 "\"csrc/kernel.cu\"; the reference builds from a copy of that directory"};
  std::filesystem::path normal = std::filesystem::path(rel).lexically_normal();
  auto first = normal.begin();
  if (first != normal.end() && *first == "..")
    return Error{quoted + " in " + in + " leaves the kernel directory",
                 {},
                 "move the file into the kernel directory: the reference builds in a sandbox "
                 "that holds only the files below the directory of build.toml"};
  std::string last = std::string(rel.substr(rel.find_last_of('/') + 1));
  if (normal.empty() || normal == "." || last.empty() || last == "." || last == "..")
    return Error{quoted + " in " + in + " names a directory, not a file",
                 {},
                 "list the files themselves, e.g. \"csrc/kernel.cu\""};
  return std::nullopt;
}

std::string object_stem(std::string_view rel) {
  std::filesystem::path p = std::filesystem::path(rel).lexically_normal();
  std::string out;
  for (const auto& part : p) {
    std::string s = part.string();
    if (s == "/" || s.empty()) continue;
    if (s == "..") s = "__";
    if (!out.empty()) out += '/';
    out += s;
  }
  return out;
}

}  // namespace kb
