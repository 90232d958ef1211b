#pragma once
// The parsed command line as a Request (kb/request.h): the one place options become values.

#include <string>
#include <vector>

#include "kb/request.h"
#include "src/cli/args.h"

namespace kb::cli {

// The Request `args` asks for, starting from default_request(DIR, facts), every path made
// absolute against `cwd` (--torch, --cuda and --rocm are kept as given: discovery resolves
// them, and to_argv makes them absolute). Fails, as a usage error, on an unknown --backend,
// a -j, --max-jobs or --cores that is no whole number from 1 to 4096, and a second DIR of
// `kb deps` (after an optional "fetch").
Result<Request> request_from_args(const ParsedArgs& args, const MachineFacts& facts,
                                  const std::string& cwd);

// The --dep NAME=PATH values of `args`, PATH made absolute against `cwd` (the text is left
// as given when it has no '=': parse_dep_options reports it).
std::vector<std::string> dep_options(const ParsedArgs& args, const std::string& cwd);

// The options of `args` that shape only the native build (--jobs, --unique-id, ...), as
// "--name", in a fixed order: what the Nix backend says it ignores.
std::vector<std::string> native_only_options(const ParsedArgs& args);

}  // namespace kb::cli
