// The path helpers of kb/path.h that are not inline.

#include "kb/path.h"

#include <filesystem>

namespace kb {

std::string without_trailing_slash(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

std::string absolute_path(std::string_view path, std::string_view cwd) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(cwd) / p;
  return without_trailing_slash(p.lexically_normal().string());
}

}  // namespace kb
