#pragma once
// compile_commands.json for IDEs and clang tools, from the build plan. Pure.

#include <string>

#include "kb/build_plan.h"

namespace kb {

// The text of compile_commands.json: one entry per compile of every variant, in plan order,
// each with "directory" (where ninja runs the command), "file", "arguments" (the plan's argv,
// without a launcher) and "output". A source built for several variants appears once per
// variant; tools take the first. Ends with a newline.
std::string render_compdb(const BuildPlan& plan, const std::string& directory);

}  // namespace kb
