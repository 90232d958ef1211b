#pragma once
// The CLI handler of `kb deps` and the --dep option shared by the commands that plan.

#include <string>
#include <vector>

#include "kb/pipeline.h"
#include "src/cli_args.h"

namespace kb {

// `kb deps [DIR] [--json]`: where each dependency of the kernel resolves (nothing is
// fetched, every tree's content is hashed); `kb deps fetch [DIR]`: fetches what is missing
// into kb's cache. Returns the exit code: 1 when `fetch` leaves a dependency missing.
int cmd_deps(const ParsedArgs& args, Io& io);

// The --dep NAME=PATH values of `args`, PATH made absolute (the text is left as given
// when it has no '=': parse_dep_options reports it).
std::vector<std::string> dep_options(const ParsedArgs& args);

}  // namespace kb
