#pragma once
// What the fuzz target (kb_fuzz.cc) does with one input, shared with the unit test that
// replays every crasher ever found (tests/fuzz_regression_test.cc) through the same code.

#include <set>
#include <string>
#include <string_view>

namespace kb::fuzz {

// Runs `text` as a build.toml through parse_config, check_source_files (every path a file),
// make_matrix and make_build_plan against fake toolchains (tests/fakes.h: two Torch
// installs, two CUDA toolkits, a ROCm Torch and toolkit, g++ with lld), render_ninja and the
// JSON outputs. Returns "" when every stage either reported errors (each with a message
// and, for parse errors, a file:line:col) or produced output that keeps kb's promises:
// every object, depfile and bundle below the build dir, Ninja text that render_ninja does
// not refuse (what Ninja cannot express is a parse error), and no Ninja line, binding, rule
// or output that the planner did not write (a value that smuggled a newline into
// build.ninja). Otherwise
// returns which promise was broken. Crashes (sanitizer reports, aborts) are the caller's
// to catch.
std::string run_pipeline(std::string_view text);

// "" when every line of the Ninja text `text` (of file `file`) is a statement kb's writer
// makes (rule, build, pool, subninja, include, default, ninja_required_version), every
// indented "key = value" line is a binding its block may have, every build line names one
// of kb's rules and no path on it holds a '|', and (when `outputs` is given) every output of
// a build line is one of `outputs`. Otherwise returns what is wrong, naming `file`.
std::string check_ninja_text(std::string_view text, const std::string& file,
                             const std::set<std::string>* outputs = nullptr);

}  // namespace kb::fuzz
