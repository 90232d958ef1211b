// src/toml.h: toml++'s failed checks become parse errors located at the offending character,
// in every build type. This file defines NDEBUG before including it, as a release build
// does: toml++ would then drop its checks (or make them optimizer assumptions), and the
// five one-character typos below would be undefined behaviour instead of errors. (The same
// inputs go through parse_config in tests/data/config/invalid/toml_abort_*.toml.)

#define NDEBUG 1
#include "src/toml.h"

#include <gtest/gtest.h>

#include <string>

namespace kb {
namespace {

struct Typo {
  std::string text;
  int line;
  int col;
  std::string description;
};

TEST(TomlGuard, FailedChecksAreParseErrorsEvenWithNdebug) {
  const Typo typos[] = {
      {"[.general]\n", 1, 2, "unexpected '.'"},
      {"backends = [\"cpu\", }\n", 1, 20, "unexpected '}'"},
      {"c=[\"\",}\n", 1, 7, "unexpected '}'"},
      {"n=1979-05-27 1\n", 1, 15, "unexpected end of line"},
      {"n=0990-05-27T:\n", 1, 14, "unexpected ':'"},
  };
  for (const auto& t : typos) {
    SCOPED_TRACE(t.text);
    try {
      (void)toml::parse(std::string_view(t.text), std::string_view("build.toml"));
      ADD_FAILURE() << "parsed without an error";
    } catch (const toml::parse_error& e) {
      EXPECT_EQ(std::string(e.description()), t.description);
      EXPECT_EQ(static_cast<int>(e.source().begin.line), t.line);
      EXPECT_EQ(static_cast<int>(e.source().begin.column), t.col);
    }
  }
}

// toml++'s generated Unicode tables reached __builtin_unreachable for most code points in
// U+00A0..U+0499 (found by tests/fuzz with U+0403 after a bare key): undefined behaviour.
TEST(TomlGuard, UnicodeClassTablesAnswerInsteadOfReachingUnreachable) {
  for (char32_t c : {U'\u00E9', U'\u0403', U'\u0498', U'\u1000', U'\u2010', U'\u3001', U'\uFEFE'})
    EXPECT_FALSE(toml::impl::is_non_ascii_horizontal_whitespace(c)) << static_cast<uint32_t>(c);
  for (char32_t c : {U'\u00A0', U'\u1680', U'\u180E', U'\u2000', U'\u200B', U'\u202F', U'\u205F',
                     U'\u2060', U'\u3000', U'\uFEFF'})
    EXPECT_TRUE(toml::impl::is_non_ascii_horizontal_whitespace(c)) << static_cast<uint32_t>(c);
  const Typo keys[] = {
      {"name\u0403 = \"relu\"\n", 1, 5,
       "Error while parsing key-value pair: expected '=', saw '\u0403'"},
      {"nam\u00e9 = 1\n", 1, 4, "Error while parsing key-value pair: expected '=', saw '\u00e9'"},
  };
  for (const auto& t : keys) {
    SCOPED_TRACE(t.text);
    try {
      (void)toml::parse(std::string_view(t.text), std::string_view("build.toml"));
      ADD_FAILURE() << "parsed without an error";
    } catch (const toml::parse_error& e) {
      EXPECT_EQ(std::string(e.description()), t.description);
      EXPECT_EQ(static_cast<int>(e.source().begin.line), t.line);
      EXPECT_EQ(static_cast<int>(e.source().begin.column), t.col);
    }
  }
}

TEST(TomlGuard, NdebugIsTheBuildsAgainAfterTheInclude) {
  // src/toml.h lifts NDEBUG only around toml++; this file's own setting is back.
#ifndef NDEBUG
  ADD_FAILURE() << "NDEBUG was not restored";
#endif
}

TEST(TomlGuard, GoodTomlStillParses) {
  auto t = toml::parse(std::string_view("a = [\"x\", 1]\n[b]\nc = 1979-05-27T07:32:00Z\n"),
                       std::string_view("build.toml"));
  EXPECT_EQ(t["a"].as_array()->size(), 2u);
  EXPECT_TRUE(t["b"]["c"].is_date_time());
}

}  // namespace
}  // namespace kb
