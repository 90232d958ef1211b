#include "kb/binding_scan.h"

#include <array>
#include <string>

#include "src/cpp_text.h"

namespace kb {

namespace {

constexpr std::string_view k_name = "TORCH_EXTENSION_NAME";

// The macros of registration.h whose first argument may be TORCH_EXTENSION_NAME.
constexpr std::array<std::string_view, 5> k_registration_macros = {
    "TORCH_LIBRARY_EXPAND", "TORCH_LIBRARY_IMPL_EXPAND", "STABLE_TORCH_LIBRARY_EXPAND",
    "STABLE_TORCH_LIBRARY_IMPL_EXPAND", "REGISTER_EXTENSION"};

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Whether the use of the name at `pos` is `MACRO ( NAME` for one of the registration macros.
bool is_registration_argument(std::string_view code, size_t pos) {
  size_t i = pos;
  while (i > 0 && blank(code[i - 1])) --i;
  if (i == 0 || code[i - 1] != '(') return false;
  --i;
  while (i > 0 && blank(code[i - 1])) --i;
  size_t end = i;
  while (i > 0 && ident_char(code[i - 1])) --i;
  std::string_view macro = code.substr(i, end - i);
  for (auto m : k_registration_macros)
    if (macro == m) return true;
  return false;
}

}  // namespace

std::optional<SourceLoc> other_extension_name_use(std::string_view text) {
  std::string code = code_only(text);
  std::string_view view = code;
  for (size_t pos = view.find(k_name); pos != std::string_view::npos;
       pos = view.find(k_name, pos + 1)) {
    bool starts = pos == 0 || !ident_char(view[pos - 1]);
    bool ends = pos + k_name.size() >= view.size() || !ident_char(view[pos + k_name.size()]);
    if (!starts || !ends || is_registration_argument(view, pos)) continue;
    SourceLoc loc;
    loc.line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos; ++i)
      if (view[i] == '\n') {
        ++loc.line;
        line_start = i + 1;
      }
    loc.col = static_cast<int>(pos - line_start) + 1;
    return loc;
  }
  return std::nullopt;
}

}  // namespace kb
