#include "kb/version.h"

#include <charconv>

namespace kb {

Version::Version(std::vector<int> parts) : m_parts(std::move(parts)) {
  while (!m_parts.empty() && m_parts.back() == 0) m_parts.pop_back();
}

Result<Version> Version::parse(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (text.empty()) return Error{"empty version", {}, "write a version such as \"12.8\""};
  std::vector<int> parts;
  std::string_view rest = text;
  while (true) {
    size_t dot = rest.find('.');
    std::string_view part = rest.substr(0, dot);
    int value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || value < 0)
      return Error{"invalid version \"" + std::string(text) + "\"",
                   {},
                   "a version is dot-separated non-negative integers, such as \"12.8\""};
    parts.push_back(value);
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  return Version(std::move(parts));
}

std::string Version::str() const {
  if (m_parts.empty()) return "0";
  std::string out;
  for (size_t i = 0; i < m_parts.size(); ++i) {
    if (i) out += '.';
    out += std::to_string(m_parts[i]);
  }
  return out;
}

std::string Version::major_minor() const {
  return std::to_string(major()) + "." + std::to_string(minor());
}

std::string Version::flat() const { return std::to_string(major()) + std::to_string(minor()); }

Version Version::truncated(size_t n) const {
  std::vector<int> p(m_parts.begin(), m_parts.begin() + std::min(n, m_parts.size()));
  return Version(std::move(p));
}

std::strong_ordering Version::operator<=>(const Version& o) const {
  size_t n = std::max(m_parts.size(), o.m_parts.size());
  for (size_t i = 0; i < n; ++i)
    if (auto c = at(i) <=> o.at(i); c != 0) return c;
  return std::strong_ordering::equal;
}

}  // namespace kb
