#pragma once
// The one way kb includes toml++ (private to src/config*.cc).
//
// toml++ 3.3 checks its parser's assumptions with TOML_ASSERT. By default a failed check
// calls assert(), which aborts kb (exit 134) on one-character typos such as `[.general]` or
// `a = ["x", }`; with NDEBUG the checks become optimizer assumptions (undefined behaviour
// on the same inputs). Here a failed check throws toml::parse_error located at the
// character the parser was looking at, so parse_config reports it like any syntax error.
//
// Every translation unit that includes toml++ must see the same TOML_ASSERT (toml++ is used
// header-only: its functions are inline, and differing bodies would break the one-definition
// rule), so nothing may include <toml++/toml.h> directly; tests/e2e/reliability_core.sh
// checks that.

#if defined(TOMLPLUSPLUS_H)
#error "include toml++ only through src/toml.h, which makes its assertions report parse errors"
#endif

#include <cstddef>

namespace kb::toml_guard {

// Throws toml::parse_error for the failed check `expression`. `at` is whatever the name `cp`
// means where the check failed: inside toml++'s parser, the current code point (a pointer
// with a source position, null at the end of the input); elsewhere, the null fallback below,
// and the error then has no position (line 0), which parse_config replaces by the end of the
// file.
template <class At>
[[noreturn]] void assertion_failed(const char* expression, const At& at);

// What `cp` names in toml++ code outside the parser, so that TOML_ASSERT compiles there.
namespace fallback {
inline constexpr std::nullptr_t cp = nullptr;
}  // namespace fallback

}  // namespace kb::toml_guard

using kb::toml_guard::fallback::cp;

#define TOML_ASSERT(expr) \
  ((expr) ? static_cast<void>(0) : ::kb::toml_guard::assertion_failed(#expr, cp))

// toml++ replaces TOML_ASSERT by nothing under NDEBUG and turns TOML_ASSERT_ASSUME into an
// optimizer assumption; the checks must stay in release builds too.
#pragma push_macro("NDEBUG")
#undef NDEBUG
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")
// <cassert> follows NDEBUG each time it is included: restore assert() as the build wants it.
#include <cassert>

#include <string>
#include <type_traits>

namespace kb::toml_guard {

template <class At>
[[noreturn]] void assertion_failed([[maybe_unused]] const char* expression, const At& at) {
  using Codepoint = const toml::impl::utf8_codepoint*;
  if constexpr (std::is_convertible_v<At, Codepoint>) {
    Codepoint c = at;
    if (c == nullptr) throw toml::parse_error("unexpected end of file", toml::source_position{});
    std::string what = "'" + std::string(c->bytes, c->count) + "'";
    if (c->value == U'\n' || c->value == U'\r') what = "end of line";
    else if (c->value < 0x20 || c->value == 0x7f) what = "control character";
    throw toml::parse_error(("unexpected " + what).c_str(), c->position);
  } else {
    // Not reached from the parser itself: a check of toml++'s own data structures.
    std::string message = std::string("toml++ cannot read this file (its check `") + expression + "` failed)";
    throw toml::parse_error(message.c_str(), toml::source_position{});
  }
}

}  // namespace kb::toml_guard
