#include "kb/binding_scan.h"

#include <array>
#include <string>

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

// Whether the quote at `quote` opens a raw string literal: the identifier just before it is
// R, LR, uR, UR or u8R.
bool raw_string_prefix(std::string_view text, size_t quote) {
  size_t start = quote;
  while (start > 0 && ident_char(text[start - 1])) --start;
  std::string_view prefix = text.substr(start, quote - start);
  return prefix == "R" || prefix == "LR" || prefix == "uR" || prefix == "UR" || prefix == "u8R";
}

// Blanks the raw string literal whose opening quote is at `quote` (R"delim( ... )delim");
// returns the offset of its closing quote (or the end of the text when it is unterminated).
size_t blank_raw_string(std::string_view text, size_t quote, std::string& out) {
  size_t open = text.find('(', quote + 1);
  if (open == std::string_view::npos) return text.size();
  std::string closing = ")" + std::string(text.substr(quote + 1, open - quote - 1)) + "\"";
  size_t end = text.find(closing, open + 1);
  size_t stop = end == std::string_view::npos ? text.size() : end + closing.size() - 1;
  for (size_t j = quote + 1; j < stop; ++j)
    if (out[j] != '\n') out[j] = ' ';
  return stop;
}

// `text` with comments and the insides of string and character literals replaced by spaces
// (newlines kept), so that offsets, lines and columns stay those of the original.
std::string code_only(std::string_view text) {
  std::string out(text);
  enum class State { code, line_comment, block_comment, string, character } state = State::code;
  for (size_t i = 0; i < out.size(); ++i) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    switch (state) {
      case State::code:
        if (c == '/' && next == '/') {
          state = State::line_comment;
          out[i] = out[i + 1] = ' ';
          ++i;
        } else if (c == '/' && next == '*') {
          state = State::block_comment;
          out[i] = out[i + 1] = ' ';
          ++i;
        } else if (c == '"' && raw_string_prefix(text, i)) {
          i = blank_raw_string(text, i, out);  // R"delim( ... )delim"
        } else if (c == '"') {
          state = State::string;
        } else if (c == '\'' && !(i > 0 && ident_char(text[i - 1]))) {
          state = State::character;  // not a digit separator as in 1'000
        }
        break;
      case State::line_comment:
        if (c == '\n') state = State::code;
        else out[i] = ' ';
        break;
      case State::block_comment:
        if (c == '*' && next == '/') {
          out[i] = out[i + 1] = ' ';
          ++i;
          state = State::code;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
      case State::string:
      case State::character: {
        char close = state == State::string ? '"' : '\'';
        if (c == '\\' && i + 1 < out.size()) {
          out[i] = ' ';
          if (text[i + 1] != '\n') out[i + 1] = ' ';
          ++i;
        } else if (c == close) {
          state = State::code;
        } else if (c != '\n') {
          out[i] = ' ';
        }
        break;
      }
    }
  }
  return out;
}

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
