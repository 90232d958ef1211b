// The CLI handler of `kb internal-nvcc -- NVCC ARGS...` (kb/nvcc_overlap.h).
#include <cstdio>

#include "kb/nvcc_overlap.h"
#include "src/cli/commands.h"
#include "src/cli/print.h"

namespace kb::cli {

int run_internal_nvcc(const CliCall& call) {
  const auto& argv = call.args.passthrough;
  if (argv.empty()) {
    std::fprintf(stderr, "kb: internal-nvcc needs an nvcc command line after --\n");
    return k_exit_usage;
  }
  auto run = run_nvcc_overlapped(argv, call.io.process, call.io.disk, call.io.env);
  if (!run.ok()) {
    print_errors(run.errors());
    return k_exit_failure;
  }
  std::fputs(run->output.c_str(), stderr);
  return run->exit_code;
}

}  // namespace kb::cli
