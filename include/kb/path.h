#pragma once
// Joining paths as strings (kb passes paths around as text, as Ninja and the shell see them).

#include <string>
#include <string_view>

namespace kb {

// `rel` below `dir`: "dir/rel", without doubling a trailing '/'; just `rel` when `dir` is ""
// or ".". Pure: no normalisation, no disk access.
inline std::string join_path(std::string_view dir, std::string_view rel) {
  if (dir.empty() || dir == ".") return std::string(rel);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += rel;
  return out;
}

}  // namespace kb
