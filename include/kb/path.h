#pragma once
// Paths and lists as strings (kb passes paths around as text, as Ninja and the shell see them).

#include <string>
#include <string_view>
#include <vector>

namespace kb {

// `path` without trailing '/' characters; "/" stays "/". Pure.
std::string without_trailing_slash(std::string_view path);

// `path` made absolute against `cwd` (an absolute directory) when relative, lexically
// normalised ("a/./b/../c" -> "a/c"; symlinks are not resolved), without a trailing '/'.
// Pure: no disk access; "" gives `cwd`.
std::string absolute_path(std::string_view path, std::string_view cwd);

// `rel` below `dir`: "dir/rel", without doubling a trailing '/'; just `rel` when `dir` is ""
// or ".". Pure: no normalisation, no disk access.
inline std::string join_path(std::string_view dir, std::string_view rel) {
  if (dir.empty() || dir == ".") return std::string(rel);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += rel;
  return out;
}

// The entries of a colon-separated list (PATH, KB_TORCH, LOCAL_KERNELS), empty ones included
// ("a::b" gives "a", "", "b"; "" gives one empty entry). Pure.
inline std::vector<std::string> split_colon_list(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t colon = list.find(':', start);
    if (colon == std::string_view::npos) {
      out.emplace_back(list.substr(start));
      return out;
    }
    out.emplace_back(list.substr(start, colon - start));
    start = colon + 1;
  }
}

// The lines of `text` without their "\n" or "\r\n" terminators; a final line without a
// terminator counts, a trailing terminator adds no empty line ("a\nb\n" gives "a", "b").
// The views point into `text`. Pure.
inline std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace kb
