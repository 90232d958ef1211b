#pragma once
// The CLI's command handlers and its exit codes, defined once. Each handler runs one pipeline
// command (kb/pipeline.h) for the parsed request and prints its outcome.

#include <string>

#include "kb/pipeline.h"
#include "src/cli/args.h"

namespace kb::cli {

inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;        // the command failed (errors printed)
inline constexpr int k_exit_usage = 2;          // the command line was wrong
inline constexpr int k_exit_interrupted = 130;  // ninja exited 130 (stopped by SIGINT)
// Killed by (or passing on) signal N: k_exit_signal_base + N, as shells report it.
inline constexpr int k_exit_signal_base = 128;

// What a handler gets: the parsed command line, the request made of it, and the seams.
struct CliCall {
  const ParsedArgs& args;
  const Request& request;
  Io& io;
};

// The handlers the command table names. Each returns the process exit code.
int run_check_config(const CliCall& call);
int run_toolchains(const CliCall& call);
int run_matrix(const CliCall& call);
int run_build(const CliCall& call);
int run_test(const CliCall& call);
int run_develop(const CliCall& call);
int run_deps(const CliCall& call);
int run_clean(const CliCall& call);
int run_check_abi(const CliCall& call);
int run_check_builds(const CliCall& call);
// `kb bundle merge DIR... --out DIR` (kb/bundle_merge.h).
int run_bundle(const CliCall& call);
int run_init_flake(const CliCall& call);
int run_completions(const CliCall& call);
// `kb internal-bundle MANIFEST` (run by ninja): assembles one bundle.
int run_internal_bundle(const CliCall& call);
// `kb internal-nvcc -- NVCC ARGS` (run by ninja): one nvcc compile, steps overlapped.
int run_internal_nvcc(const CliCall& call);
// `kb internal-hipify IN OUT` (run by ninja): translates one CUDA source or header to HIP
// with kb's table (kb/hipify.h), writing OUT only when its text changes (the ninja rule is
// restat). Names the table does not know are warnings.
int run_internal_hipify(const CliCall& call);

// Prints how a failed or interrupted ninja ended (`outcome.failed()`); returns the exit code
// `kb build` ends with then: 128 + the signal kb passed on, 130 for a ninja stopped by
// SIGINT, else 1.
int report_build_failure(const command::BuildOutcome& outcome);

// Prints the build's timings line (not after a failed build) and the timings reports written.
void report_timings(const command::BuildOutcome& outcome);

}  // namespace kb::cli
