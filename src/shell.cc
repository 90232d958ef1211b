// Quoting argv for POSIX sh: used for Ninja commands, messages that show a command to rerun,
// and the dry-run listing.

#include "kb/shell.h"

namespace kb {

namespace {

// Characters that no POSIX shell gives a meaning to, anywhere in a word. '~' (tilde
// expansion at the start), '#' (comment at the start), glob characters, quotes,
// redirections and '^' (a pipe in the old Bourne shell) are all left out.
bool is_shell_safe(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_':
    case '@':
    case '%':
    case '+':
    case '=':
    case ':':
    case ',':
    case '.':
    case '/':
    case '-': return true;
    default: return false;
  }
}

// Wraps `arg` in single quotes. Inside them sh takes every character literally except the
// closing quote, so a quote is written by closing, adding an escaped quote, and reopening.
std::string single_quote(std::string_view arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace

std::string shell_quote(std::string_view arg) {
  if (arg.empty()) return "''";
  bool safe = true;
  for (char c : arg) safe = safe && is_shell_safe(c);
  return safe ? std::string(arg) : single_quote(arg);
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) out += ' ';
    bool assignment_like = i == 0 && argv[0].find('=') != std::string::npos;
    out += assignment_like ? single_quote(argv[0]) : shell_quote(argv[i]);
  }
  return out;
}

}  // namespace kb
