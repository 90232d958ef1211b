#pragma once
// Private to config*.cc: the checks on the src lists of a parsed build.toml that need no
// disk (the files' existence is checked by kb::check_source_files).

#include <vector>

#include "kb/config.h"
#include "kb/error.h"

namespace kb::config_detail {

// One located error for every src entry that cannot name a file inside the kernel directory
// (empty, absolute, leaving the directory, naming a directory; kb/source_path.h), and for
// every compiled source that one variant would compile into the same object as an earlier
// one (the same file listed twice, "a/x.cpp" and "a//x.cpp", ...), naming both places.
// Empty when the lists are fine.
std::vector<Error> check_src_paths(const Config& config);

}  // namespace kb::config_detail
