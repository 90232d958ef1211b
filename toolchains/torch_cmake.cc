// Torch's CMake package as data. Torch's package adds compile definitions and options to
// every target that links `torch`: the definitions are written by CMake's export step into
// Caffe2Targets.cmake as one quoted property per imported target, and TORCH_CXX_FLAGS (older
// wheels: -D_GLIBCXX_USE_CXX11_ABI) as one set() in TorchConfig.cmake. Both are read here
// instead of being kept in a table, so a Torch build with other options is followed as it is;
// what the package computes with CMake logic (its nvcc flags) is a table in src/flags.cc.

#include "toolchains/torch_cmake.h"

#include <cctype>
#include <string>
#include <vector>

#include "kb/path.h"
#include "toolchains/probe_context.h"

namespace kb::toolchains {

namespace {

// The pieces of `text` between `sep` characters, empty ones included.
std::vector<std::string> split_on(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at = text.find(sep); at != std::string_view::npos; at = text.find(sep, start)) {
    out.emplace_back(text.substr(start, at - start));
    start = at + 1;
  }
  out.emplace_back(text.substr(start));
  return out;
}

// The text between the double quotes that start at or after `from` in `text`, with CMake's
// backslash escapes undone; npos-safe: "" when there is no closed quote.
std::string quoted_after(std::string_view text, size_t from) {
  size_t open = text.find('"', from);
  if (open == std::string_view::npos) return "";
  std::string out;
  for (size_t i = open + 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      out += text[++i];
      continue;
    }
    if (c == '"') return out;
    out += c;
  }
  return "";
}

// The body of `set_target_properties(<target> PROPERTIES ...)`, up to its closing ')'
// (property values are quoted, so a ')' inside them is skipped); "" when absent.
std::string_view target_properties(std::string_view text, std::string_view target) {
  std::string head = "set_target_properties(" + std::string(target);
  for (size_t at = text.find(head); at != std::string_view::npos; at = text.find(head, at + 1)) {
    size_t after = at + head.size();
    if (after < text.size() && !std::isspace(static_cast<unsigned char>(text[after]))) continue;
    bool quoted = false;
    for (size_t i = after; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '"') {
        quoted = !quoted;
      } else if (text[i] == ')' && !quoted) {
        return text.substr(after, i - after);
      }
    }
    return text.substr(after);
  }
  return {};
}

std::vector<std::string> definitions_of(std::string_view targets, std::string_view target) {
  std::string_view body = target_properties(targets, target);
  constexpr std::string_view k_key = "INTERFACE_COMPILE_DEFINITIONS";
  size_t key = body.find(k_key);
  if (key == std::string_view::npos) return {};
  std::vector<std::string> out;
  for (const auto& item : split_on(quoted_after(body, key + k_key.size()), ';')) {
    std::string d(trim(item));
    if (d.rfind("-D", 0) == 0) d = d.substr(2);
    if (d.empty() || d.find("$<") != std::string::npos) continue;
    out.push_back(d);
  }
  return out;
}

std::vector<std::string> cxx_flags_of(std::string_view config) {
  for (std::string_view line : split_lines(config)) {
    std::string_view l = trim(line);
    constexpr std::string_view k_set = "set(TORCH_CXX_FLAGS";
    if (l.substr(0, k_set.size()) != k_set) continue;
    std::vector<std::string> out;
    for (const auto& flag : split_on(quoted_after(l, k_set.size()), ' '))
      if (!trim(flag).empty()) out.emplace_back(trim(flag));
    return out;
  }
  return {};
}

}  // namespace

TorchCmakeUsage parse_torch_cmake(std::string_view torch_config, std::string_view caffe2_targets) {
  TorchCmakeUsage u;
  u.found = !caffe2_targets.empty();
  u.cxx_flags = cxx_flags_of(torch_config);
  u.cpu_definitions = definitions_of(caffe2_targets, "torch_cpu");
  u.cuda_definitions = definitions_of(caffe2_targets, "torch_cuda");
  u.hip_definitions = definitions_of(caffe2_targets, "torch_hip");
  return u;
}

}  // namespace kb::toolchains
