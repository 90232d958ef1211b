#include "kb/include_scan.h"

#include <filesystem>
#include <set>

#include "kb/path.h"
#include "src/cpp_text.h"

namespace kb {

namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

std::string_view to_string(TorchIncludes t) {
  switch (t) {
    case TorchIncludes::none: return "none";
    case TorchIncludes::stable: return "stable";
    case TorchIncludes::full: return "full";
  }
  return "none";
}

std::vector<IncludeDirective> include_directives(std::string_view text) {
  std::string code = code_only(text, /*keep_strings=*/true);
  std::vector<IncludeDirective> out;
  for (std::string_view line : split_lines(code)) {
    size_t i = 0;
    while (i < line.size() && blank(line[i])) ++i;
    if (i >= line.size() || line[i] != '#') continue;
    ++i;
    while (i < line.size() && blank(line[i])) ++i;
    if (!line.substr(i).starts_with("include")) continue;
    i += 7;
    while (i < line.size() && blank(line[i])) ++i;
    if (i >= line.size() || (line[i] != '"' && line[i] != '<')) continue;
    char close = line[i] == '"' ? '"' : '>';
    size_t stop = line.find(close, i + 1);
    if (stop == std::string_view::npos) continue;
    out.push_back({std::string(line.substr(i + 1, stop - i - 1)), close == '>'});
  }
  return out;
}

TorchIncludes classify_torch_include(std::string_view path) {
  if (path.starts_with("torch/csrc/stable/") || path.starts_with("torch/headeronly/"))
    return TorchIncludes::stable;
  for (std::string_view p : {"torch/", "ATen/", "c10/", "caffe2/"})
    if (path.starts_with(p)) return TorchIncludes::full;
  return TorchIncludes::none;
}

TorchIncludes max(TorchIncludes a, TorchIncludes b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

TorchIncludes torch_includes_of(const std::string& kernel_dir, const std::string& rel,
                                const std::vector<std::string>& include_dirs, const Disk& disk) {
  namespace fs = std::filesystem;
  TorchIncludes level = TorchIncludes::none;
  std::set<std::string> seen;
  std::vector<std::string> todo{fs::path(join_path(kernel_dir, rel)).lexically_normal().string()};
  while (!todo.empty() && seen.size() < 256) {
    std::string path = std::move(todo.back());
    todo.pop_back();
    if (!seen.insert(path).second) continue;
    auto text = disk.read_file(path);
    if (!text) continue;
    for (const auto& inc : include_directives(*text)) {
      level = max(level, classify_torch_include(inc.path));
      if (level == TorchIncludes::full) return level;
      std::vector<std::string> candidates{
          join_path(fs::path(path).parent_path().string(), inc.path)};
      for (const auto& d : include_dirs)
        candidates.push_back(join_path(join_path(kernel_dir, d), inc.path));
      for (const auto& c : candidates) {
        std::string normal = fs::path(c).lexically_normal().string();
        if (disk.exists(normal)) {
          todo.push_back(normal);
          break;
        }
      }
    }
  }
  return level;
}

}  // namespace kb
