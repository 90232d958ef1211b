#include "src/cli_print.h"

#include <cstdio>
#include <string>

namespace kb {

void print_errors(const Errors& errors) {
  for (const auto& e : errors.list) std::fprintf(stderr, "kb: %s\n", format_error(e).c_str());
}

void print_findings(const std::vector<Error>& findings, std::string_view label) {
  for (const auto& f : findings) {
    std::string text = format_error(f);
    // format_error writes "error:"; a finding keeps the shape with its own label.
    if (auto pos = text.find("error:"); pos != std::string::npos) text.replace(pos, 5, label);
    std::fprintf(stderr, "kb: %s\n", text.c_str());
  }
}

}  // namespace kb
