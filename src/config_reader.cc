#include "config_reader.h"

#include "config_schema.h"

#include <fmt/format.h>

#include <algorithm>

namespace kb::config_detail {

std::string describe(const Section& s, std::string_view key) {
  return "'" + std::string(key) + "' in " + s.name;
}

std::string_view type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::vector<std::string> values(const std::vector<Located>& items) {
  std::vector<std::string> out;
  out.reserve(items.size());
  for (const auto& i : items) out.push_back(i.value);
  return out;
}

SourceLoc Reader::loc(const toml::source_region& r) const {
  return SourceLoc{m_path, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

void Reader::error(SourceLoc loc, std::string message, std::string hint) {
  m_errors.push_back(Error{std::move(message), std::move(loc), std::move(hint)});
}

std::vector<Error> Reader::take_errors() {
  // Readers visit tables in key order, not file order; sort so the user reads top-down.
  std::stable_sort(m_errors.begin(), m_errors.end(), [](const Error& a, const Error& b) {
    auto key = [](const Error& e) {
      return e.loc ? std::pair(e.loc->line, e.loc->col) : std::pair(0, 0);
    };
    return key(a) < key(b);
  });
  return std::move(m_errors);
}

void Reader::reject_unknown_keys(const Section& s, const std::vector<std::string>& allowed,
                                 const std::vector<std::string>& v5_only) {
  for (const auto& [key, node] : *s.table) {
    std::string k(key.str());
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    if (std::find(v5_only.begin(), v5_only.end(), k) != v5_only.end()) {
      error(loc(key), describe(s, k) + " needs edition 5",
            "a pre-edition (v4) file cannot use it; add `edition = 5` to [general] "
            "(the rest of a v4 file stays valid)");
      continue;
    }
    std::string hint = misplaced_key_hint(s.name, k);
    if (hint.empty()) {
      std::string near = closest_match(k, allowed);
      hint = near.empty() ? "allowed keys: " + join_or(allowed) : "did you mean '" + near + "'?";
    }
    error(loc(key), "unknown key " + describe(s, k), std::move(hint));
  }
}

const toml::node* Reader::find(const Section& s, std::string_view key, bool required,
                               std::string hint) {
  const toml::node* n = s.table->get(key);
  if (!n && required)
    error(loc(*s.table), "missing required key " + describe(s, key), std::move(hint));
  return n;
}

void Reader::type_error(const toml::node& n, const std::string& what, std::string_view expected,
                        std::string hint) {
  error(
      loc(n),
      "expected " + std::string(expected) + " for " + what + ", found " + std::string(type_name(n)),
      std::move(hint));
}

namespace {

// The name of the first control character in `text` ("a newline (U+000A)"), or "".
std::string first_control_character(std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) continue;
    std::string code = fmt::format("U+{:04X}", u);
    switch (c) {
      case '\n': return "a newline (" + code + ")";
      case '\r': return "a carriage return (" + code + ")";
      case '\t': return "a tab (" + code + ")";
      case '\0': return "a NUL character (" + code + ")";
      default: return "the control character " + code;
    }
  }
  return {};
}

}  // namespace

bool Reader::check_text(SourceLoc at, std::string_view text, const std::string& what) {
  std::string bad = first_control_character(text);
  if (bad.empty()) return true;
  error(std::move(at), bad + " in " + what,
        "build.toml strings become compiler arguments, file names and lines of build.ninja, "
        "where a control character would end the line and change what runs; remove it (each "
        "list entry is already one argument)");
  return false;
}

std::optional<std::string> Reader::as_string(const toml::node& n, const std::string& what) {
  if (n.is_string()) {
    const std::string& text = n.as_string()->get();
    if (!check_text(loc(n), text, what)) return std::nullopt;
    return text;
  }
  type_error(n, what, "a string", "write a quoted string, e.g. \"...\"");
  return std::nullopt;
}

std::optional<int64_t> Reader::as_integer(const toml::node& n, const std::string& what) {
  if (n.is_integer()) return n.as_integer()->get();
  type_error(n, what, "an integer", "write a whole number without quotes, e.g. 1");
  return std::nullopt;
}

std::optional<int64_t> Reader::as_count(const toml::node& n, const std::string& what) {
  auto v = as_integer(n, what);
  if (v && *v < 0) {
    error(loc(n), "expected a non-negative integer for " + what + ", found " + std::to_string(*v),
          "write 0 or a positive whole number");
    return std::nullopt;
  }
  return v;
}

std::optional<Version> Reader::as_version(const toml::node& n, const std::string& what) {
  if (!n.is_string()) {
    type_error(n, what, "a version string", "write the version as a quoted string, e.g. \"2.8\"");
    return std::nullopt;
  }
  const std::string& text = n.as_string()->get();
  auto v = Version::parse(text);
  if (!v.ok()) {
    const Error& e = v.errors().list.front();
    error(loc(n), "invalid version \"" + text + "\" for " + what, e.hint);
    return std::nullopt;
  }
  return *v;
}

const toml::table* Reader::as_table(const toml::node& n, const std::string& what) {
  if (const toml::table* t = n.as_table()) return t;
  type_error(n, what, "a table", "write a [table] header or an inline table { key = value }");
  return nullptr;
}

const toml::array* Reader::as_array(const toml::node& n, const std::string& what) {
  if (const toml::array* a = n.as_array()) return a;
  type_error(n, what, "an array", "write a list in brackets, e.g. [\"a\", \"b\"]");
  return nullptr;
}

std::optional<std::vector<Located>> Reader::as_strings(const toml::node& n,
                                                       const std::string& what) {
  if (!n.is_array()) {
    type_error(n, what, "an array of strings", "write a list in brackets, e.g. [\"a\", \"b\"]");
    return std::nullopt;
  }
  std::vector<Located> out;
  for (const toml::node& item : *n.as_array()) {
    if (!item.is_string()) {
      error(loc(item),
            "expected each entry of " + what + " to be a string, found " +
                std::string(type_name(item)),
            "quote the entry");
      continue;
    }
    if (!check_text(loc(item), item.as_string()->get(), what)) continue;
    out.push_back(Located{item.as_string()->get(), loc(item)});
  }
  return out;
}

std::optional<std::vector<Located>> Reader::file_names_at(const Section& s, std::string_view key) {
  auto names = strings_at(s, key);
  if (!names) return names;
  std::erase_if(*names, [&](const Located& name) {
    if (name.value.find('|') == std::string::npos) return false;
    error(name.loc, "'|' in the file name \"" + name.value + "\" in " + describe(s, key),
          "build.ninja cannot name a file that holds '|'; rename the file");
    return true;
  });
  return names;
}

std::optional<std::string> Reader::string_at(const Section& s, std::string_view key) {
  const toml::node* n = find(s, key);
  return n ? as_string(*n, describe(s, key)) : std::nullopt;
}

std::optional<Version> Reader::version_at(const Section& s, std::string_view key) {
  const toml::node* n = find(s, key);
  return n ? as_version(*n, describe(s, key)) : std::nullopt;
}

std::optional<std::vector<Located>> Reader::strings_at(const Section& s, std::string_view key) {
  const toml::node* n = find(s, key);
  return n ? as_strings(*n, describe(s, key)) : std::nullopt;
}

std::vector<std::string> Reader::string_list_at(const Section& s, std::string_view key) {
  auto v = strings_at(s, key);
  return v ? values(*v) : std::vector<std::string>{};
}

}  // namespace kb::config_detail
