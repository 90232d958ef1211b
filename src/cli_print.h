#pragma once
// How the CLI shows errors, warnings and notes on stderr: "kb: file:line:col: error: ...".

#include <string_view>
#include <vector>

#include "kb/error.h"

namespace kb {

// Prints every error of `errors`, one "kb: ..." line each (plus its hint line).
void print_errors(const Errors& errors);

// Prints each finding in the error format with `label` ("warning", "note") instead of "error".
void print_findings(const std::vector<Error>& findings, std::string_view label);

}  // namespace kb
