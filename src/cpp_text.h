#pragma once
// Reading C and C++ source text without a preprocessor: the little that kb's source scans
// (kb/binding_scan.h, kb/include_scan.h) need. Pure.

#include <string>
#include <string_view>

namespace kb {

// `text` with comments replaced by spaces and, unless `keep_strings`, the insides of string
// and character literals too (raw strings included); newlines are kept, so offsets, lines
// and columns stay those of the original.
std::string code_only(std::string_view text, bool keep_strings = false);

}  // namespace kb
