#pragma once
// Errors as values: every fallible function below the CLI returns Result<T>.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace kb {

// A position in a user's file; line and col are 1-based, 0 when unknown.
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
};

// One problem: what is wrong, where, and what to do about it.
struct Error {
  std::string message;
  std::optional<SourceLoc> loc;
  std::string hint;  // "did you mean ...?" or the fix to apply; may be empty
};

// One or more errors; a failed Result carries all problems found, not only the first.
struct Errors {
  std::vector<Error> list;
  Errors() = default;
  Errors(Error e) { list.push_back(std::move(e)); }     // NOLINT: implicit by design
  Errors(std::vector<Error> v) : list(std::move(v)) {}  // NOLINT
};

// Either a value or Errors. Small on purpose: std::expected needs C++23.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Result(Error e) : m_v(std::in_place_index<1>, Errors(std::move(e))) {}  // NOLINT
  Result(Errors e) : m_v(std::in_place_index<1>, std::move(e)) {}         // NOLINT

  bool ok() const { return m_v.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T&& value() && { return std::get<0>(std::move(m_v)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Errors& errors() const { return std::get<1>(m_v); }
  Errors&& take_errors() { return std::get<1>(std::move(m_v)); }

 private:
  std::variant<T, Errors> m_v;
};

// The value-less success marker for Result<Ok>.
struct Ok {};

// The message of the first error, for reasons that fit on one line; "" when there is none.
inline std::string first_message(const Errors& errors) {
  return errors.list.empty() ? std::string() : errors.list.front().message;
}

// Formats one error the way the CLI prints it:
// "build.toml:14:1: error: unknown key 'x' in [kernel.a]\n  hint: did you mean 'y'?"
std::string format_error(const Error& e);

// format_error with `label` ("warning", "note") in place of "error", for findings that do
// not stop a command.
std::string format_error(const Error& e, std::string_view label);

// Returns the candidate closest to `word` by edit distance, or "" if none is close enough
// (at most 3 edits, and a third of the word's length). A word longer than 256 characters
// gets "" without being compared, so a huge key costs no time or memory.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace kb

// Propagates the errors of a failed Result<...> expression out of the current function.
#define KB_TRY(expr)                                     \
  do {                                                   \
    auto kb_try_r_ = (expr);                             \
    if (!kb_try_r_.ok()) return kb_try_r_.take_errors(); \
  } while (0)

#define KB_TRY_CONCAT_INNER_(a, b) a##b
#define KB_TRY_CONCAT_(a, b) KB_TRY_CONCAT_INNER_(a, b)

// Evaluates a Result<T> expression; on failure returns its errors from the current
// function, else moves the value into `var`, which may be a declaration:
//   KB_TRY_ASSIGN(auto text, disk.read_file(path));
//   KB_TRY_ASSIGN(existing, parse(text));
// Expands to several statements: do not use it as the body of an unbraced if or loop.
#define KB_TRY_ASSIGN(var, expr) \
  KB_TRY_ASSIGN_IMPL_(var, expr, KB_TRY_CONCAT_(kb_try_assign_r_, __LINE__))
#define KB_TRY_ASSIGN_IMPL_(var, expr, tmp) \
  auto tmp = (expr);                        \
  if (!tmp.ok()) return tmp.take_errors();  \
  var = std::move(tmp).value()
