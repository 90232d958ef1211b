// The CLI handler of `kb deps` (docs/dependencies.md).
#include <cstdio>

#include "kb/deps_resolve.h"
#include "src/cli/commands.h"
#include "src/cli/print.h"

namespace kb::cli {

int run_deps(const CliCall& call) {
  const Request& r = call.request;
  auto outcome = command::deps(r, call.io);
  if (!outcome) {
    print_errors(outcome.errors());
    return k_exit_failure;
  }
  std::string text =
      r.json ? deps_to_json(outcome->deps, r.kernel_dir, dep_cache_dir(call.io.env), r.fetch)
             : deps_to_text(outcome->deps);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (outcome->missing.empty()) return k_exit_ok;
  print_errors(Errors(std::move(outcome->missing)));
  return k_exit_failure;
}

}  // namespace kb::cli
