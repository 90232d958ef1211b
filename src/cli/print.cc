#include "src/cli/print.h"

#include <cstdio>
#include <string>

namespace kb {

void print_errors(const Errors& errors) {
  for (const auto& e : errors.list) std::fprintf(stderr, "kb: %s\n", format_error(e).c_str());
}

void print_findings(const std::vector<Error>& findings, std::string_view label) {
  for (const auto& f : findings) std::fprintf(stderr, "kb: %s\n", format_error(f, label).c_str());
}

void print_text(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
}

void StderrStatus::finding(const Error& finding, std::string_view label) {
  std::fprintf(stderr, "kb: %s\n", format_error(finding, label).c_str());
  std::fflush(stderr);
}

void StderrStatus::progress(std::string_view text) {
  std::fprintf(stderr, "kb: %.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(stderr);
}

void StderrStatus::detail(std::string_view text) {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(stderr);
}

}  // namespace kb
