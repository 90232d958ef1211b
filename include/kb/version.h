#pragma once
// Dotted versions exactly as build.toml defines them: trailing zeros dropped, compared
// component-wise.

#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "kb/error.h"

namespace kb {

class Version {
 public:
  Version() = default;
  explicit Version(std::vector<int> parts);

  // Parses "12.8", " 13.0 " (-> 13), "2.11.0". Fails on empty text or non-numeric parts.
  static Result<Version> parse(std::string_view text);

  // Components without trailing zeros ("13.0" -> {13}).
  const std::vector<int>& parts() const { return m_parts; }
  // Component i, 0 when absent.
  int at(size_t i) const { return i < m_parts.size() ? m_parts[i] : 0; }
  int major() const { return at(0); }
  int minor() const { return at(1); }
  // "13" for 13.0, "12.8" for 12.8: the canonical text.
  std::string str() const;
  // "13.0", "12.8": major.minor padded to two components.
  std::string major_minor() const;
  // "130", "128", "212": major.minor with the dot removed (variant names).
  std::string flat() const;
  // This version cut to major.minor.
  Version truncated(size_t n = 2) const;
  bool empty() const { return m_parts.empty(); }

  std::strong_ordering operator<=>(const Version& o) const;
  bool operator==(const Version& o) const { return (*this <=> o) == 0; }

 private:
  std::vector<int> m_parts;
};

}  // namespace kb
