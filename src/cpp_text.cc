#include "src/cpp_text.h"

namespace kb {

namespace {

bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Whether the quote at `quote` opens a raw string literal: the identifier just before it is
// R, LR, uR, UR or u8R.
bool raw_string_prefix(std::string_view text, size_t quote) {
  size_t start = quote;
  while (start > 0 && ident_char(text[start - 1])) --start;
  std::string_view prefix = text.substr(start, quote - start);
  return prefix == "R" || prefix == "LR" || prefix == "uR" || prefix == "UR" || prefix == "u8R";
}

// Skips the raw string literal whose opening quote is at `quote` (R"delim( ... )delim"),
// blanking its inside unless `keep`; returns the offset of its closing quote (or the end of
// the text when it is unterminated).
size_t blank_raw_string(std::string_view text, size_t quote, std::string& out, bool keep) {
  size_t open = text.find('(', quote + 1);
  if (open == std::string_view::npos) return text.size();
  std::string closing = ")" + std::string(text.substr(quote + 1, open - quote - 1)) + "\"";
  size_t end = text.find(closing, open + 1);
  size_t stop = end == std::string_view::npos ? text.size() : end + closing.size() - 1;
  if (!keep)
    for (size_t j = quote + 1; j < stop; ++j)
      if (out[j] != '\n') out[j] = ' ';
  return stop;
}

}  // namespace

std::string code_only(std::string_view text, bool keep_strings) {
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
          i = blank_raw_string(text, i, out, keep_strings);  // R"delim( ... )delim"
        } else if (c == '"') {
          state = State::string;
        } else if (c == '\'' && !(i > 0 && ident_char(text[i - 1]))) {
          state = State::character;  // not a digit separator as in 1'000
        }
        break;
      case State::line_comment:
        if (c == '\n')
          state = State::code;
        else
          out[i] = ' ';
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
          if (!keep_strings) {
            out[i] = ' ';
            if (text[i + 1] != '\n') out[i + 1] = ' ';
          }
          ++i;
        } else if (c == close) {
          state = State::code;
        } else if (c != '\n' && !keep_strings) {
          out[i] = ' ';
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace kb
