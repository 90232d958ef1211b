#pragma once
// Ninja syntax only: escaping and a small writer for variable, pool, rule,
// build, subninja and default lines. It knows nothing about kb's plan (that is
// backends/native/ninja_file.cc). Pure: values in, text out.
//
// A command line goes through two layers: each argv element is quoted for /bin/sh
// (shell_quote, kb/shell.h), then the joined command is escaped for ninja (ninja_escape). Paths on
// build lines are escaped for ninja only (ninja_escape_path).
//
// Ninja's syntax cannot express a newline, carriage return or NUL inside a value or path, nor
// a '|' inside a path. The writer never writes such text: it writes a placeholder instead and
// records the problem (NinjaWriter::problems), and the caller must refuse the whole file.
// Otherwise a newline in a compiler flag would end the `cmd =` line and let the next line
// rebind the edge's command.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb {

// Returns a description of what makes `text` impossible to write as a Ninja variable value
// (a newline, carriage return or NUL), or an empty string when it can be written.
std::string ninja_value_problem(std::string_view text);

// As ninja_value_problem, for a path on a build, subninja, include or default line, where a
// '|' cannot be written either.
std::string ninja_path_problem(std::string_view path);

// Returns `text` with '$' doubled, for a ninja variable value (a command, a description).
std::string ninja_escape(std::string_view text);

// Returns `path` with '$', ' ' and ':' escaped, for a path on a build, subninja or default line.
std::string ninja_escape_path(std::string_view path);

// One `rule` block. Empty strings and false flags are left out of the text.
struct NinjaRule {
  std::string command{};
  std::string description{};
  std::string depfile{};
  std::string deps{};  // "gcc" or "msvc"
  std::string pool{};
  bool generator = false;
  bool restat = false;
};

// One `build` line and its indented variables. Paths are written escaped by the writer.
struct NinjaBuild {
  std::vector<std::string> outputs{};
  std::vector<std::string> implicit_outputs{};  // after '|'
  std::string rule{};
  std::vector<std::string> inputs{};
  std::vector<std::string> implicit{};                           // after '|'
  std::vector<std::string> order_only{};                         // after '||'
  std::vector<std::pair<std::string, std::string>> variables{};  // values written verbatim
};

// Accumulates ninja text. Paths are escaped by the writer; values (of variables, rule
// attributes and edge variables) are written verbatim, because only the caller knows whether
// a '$' there is a reference ($out) or literal text (then pass it through ninja_escape).
class NinjaWriter {
 public:
  // "# text", one comment line per line of text.
  void comment(std::string_view text);
  void newline();
  // "key = value" (value written verbatim), indented by `indent` levels of two spaces.
  void variable(std::string_view key, std::string_view value, int indent = 0);
  void pool(std::string_view name, int depth);
  void rule(std::string_view name, const NinjaRule& rule);
  void build(const NinjaBuild& edge);
  void subninja(std::string_view path);
  void include(std::string_view path);
  // "default a b c" (paths escaped); nothing when `targets` is empty.
  void default_targets(const std::vector<std::string>& targets);

  const std::string& text() const { return m_text; }
  std::string take() { return std::move(m_text); }

  // One line per value or path that Ninja cannot express ("variable 'cmd': a newline in
  // \"...\""), in the order met; empty when the text is faithful. A writer with problems
  // produced text that must not be written to disk.
  const std::vector<std::string>& problems() const { return m_problems; }

 private:
  // `value` when it can be written; otherwise records the problem and returns a placeholder.
  std::string_view checked_value(std::string_view where, std::string_view value);
  void append_paths(std::string& out, const std::vector<std::string>& paths);
  std::string checked_path(std::string_view path);

  std::string m_text;
  std::vector<std::string> m_problems;
};

}  // namespace kb
