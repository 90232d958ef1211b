#pragma once
// Private to config*.cc: typed access to toml++ nodes. Every problem is recorded with its
// path:line:col and a hint, and reading goes on, so that one run reports a whole file.

#include "kb/config.h"
#include "kb/error.h"
#include "kb/version.h"

#include "src/toml.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::config_detail {

// A TOML table with the name messages use for it: "[general]", "[kernel.relu]".
struct Section {
  const toml::table* table = nullptr;
  std::string name;
};

// "'license' in [general]".
std::string describe(const Section& s, std::string_view key);
// "a string", "an integer", "an array", ...
std::string_view type_name(const toml::node& n);
// The values of located strings, without their locations.
std::vector<std::string> values(const std::vector<Located>& items);

class Reader {
 public:
  explicit Reader(std::string_view path) : m_path(path) {}

  const std::string& path() const { return m_path; }
  SourceLoc loc(const toml::source_region& r) const;
  SourceLoc loc(const toml::node& n) const { return loc(n.source()); }
  SourceLoc loc(const toml::key& k) const { return loc(k.source()); }
  // The start of the file, for problems that belong to no key.
  SourceLoc file_start() const { return SourceLoc{m_path, 1, 1}; }

  void error(SourceLoc loc, std::string message, std::string hint = {});
  bool has_errors() const { return !m_errors.empty(); }
  // All errors recorded so far, ordered by position in the file.
  std::vector<Error> take_errors();

  // Records an error for each key of `s` outside `allowed`, with a did-you-mean hint.
  // Keys in `v5_only` get a message saying they need edition 5 instead.
  void reject_unknown_keys(const Section& s, const std::vector<std::string>& allowed,
                           const std::vector<std::string>& v5_only = {});

  // The node at s.key, or nullptr. When `required` and the key is absent, records
  // "missing required key" at the table's header, with `hint`.
  const toml::node* find(const Section& s, std::string_view key, bool required = false,
                         std::string hint = {});

  // Conversions of one value; `what` names it in messages ("'license' in [general]").
  // Each records an error and returns nullopt (nullptr) when the value has the wrong type.
  std::optional<std::string> as_string(const toml::node& n, const std::string& what);
  std::optional<int64_t> as_integer(const toml::node& n, const std::string& what);
  std::optional<int64_t> as_count(const toml::node& n, const std::string& what);  // >= 0
  std::optional<Version> as_version(const toml::node& n, const std::string& what);
  const toml::table* as_table(const toml::node& n, const std::string& what);
  const toml::array* as_array(const toml::node& n, const std::string& what);
  // An array of strings, each with its location. Entries of another type are errors
  // and left out.
  std::optional<std::vector<Located>> as_strings(const toml::node& n, const std::string& what);

  // Shorthands: find(s, key) then convert; nullopt when absent or wrong.
  std::optional<std::string> string_at(const Section& s, std::string_view key);
  std::optional<Version> version_at(const Section& s, std::string_view key);
  std::optional<std::vector<Located>> strings_at(const Section& s, std::string_view key);
  std::vector<std::string> string_list_at(const Section& s, std::string_view key);
  // strings_at for a list of file names: entries holding '|' (which build.ninja cannot
  // name) are errors and left out.
  std::optional<std::vector<Located>> file_names_at(const Section& s, std::string_view key);

  // True when `text` (written at `at`, named `what`) holds no control character; otherwise
  // records an error there and returns false. Every string read from build.toml passes here,
  // since it may reach a command line or a line of build.ninja.
  bool check_text(SourceLoc at, std::string_view text, const std::string& what);

 private:
  void type_error(const toml::node& n, const std::string& what, std::string_view expected,
                  std::string hint);

  std::string m_path;
  std::vector<Error> m_errors;
};

}  // namespace kb::config_detail
