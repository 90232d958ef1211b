#pragma once
// How the CLI shows errors, warnings, notes and progress on stderr and results on stdout:
// "kb: file:line:col: error: ...".

#include <string>
#include <string_view>
#include <vector>

#include "kb/error.h"
#include "kb/status.h"

namespace kb {

// Prints every error of `errors`, one "kb: ..." line each (plus its hint line).
void print_errors(const Errors& errors);

// Prints each finding in the error format with `label` ("warning", "note") instead of "error".
void print_findings(const std::vector<Error>& findings, std::string_view label);

// Writes `text` to stdout, ending it with a newline when it has none.
void print_text(const std::string& text);

// The Status of the CLI: findings and progress as "kb: ..." lines on stderr, flushed at once
// (ninja and pytest write to the same terminal next).
class StderrStatus : public Status {
 public:
  void finding(const Error& finding, std::string_view label) override;
  void progress(std::string_view text) override;
  void detail(std::string_view text) override;
};

}  // namespace kb
