#pragma once
// Quoting for POSIX sh. Pure: values in, text out.

#include <string>
#include <string_view>
#include <vector>

namespace kb {

// Returns `arg` quoted for POSIX sh: bare when it holds only characters sh never
// interprets (letters, digits and _@%+=:,./-), '' when empty, otherwise in single quotes
// with each ' written as '\''.
std::string shell_quote(std::string_view arg);

// Returns the argv elements shell-quoted and joined by single spaces. A first element
// containing '=' is always quoted, so sh does not take it for a variable assignment.
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace kb
