// The CLI handlers of `kb test` and `kb develop` (docs/testing.md).
#include <cstdio>

#include "src/cli/commands.h"
#include "src/cli/print.h"

namespace kb::cli {

int run_test(const CliCall& call) {
  auto outcome = command::test_kernel(call.request, call.io);
  if (!outcome) {
    print_errors(outcome.errors());
    return k_exit_failure;
  }
  report_timings(outcome->build);
  if (outcome->build.failed()) return report_build_failure(outcome->build);
  if (call.request.backend == BuildBackend::native && outcome->exit_code == 0)
    std::fprintf(stderr, "kb: tests passed with %d Torch install(s)\n", outcome->ran);
  return outcome->exit_code;
}

int run_develop(const CliCall& call) {
  auto code = command::develop(call.request, call.io);
  if (!code) {
    print_errors(code.errors());
    return k_exit_failure;
  }
  return *code;
}

}  // namespace kb::cli
