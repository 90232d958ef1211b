// The CLI handlers of `kb build`, `kb clean` and `kb init-flake`.
#include <cstdio>
#include <string>

#include "kb/nix_backend.h"
#include "src/cli/commands.h"
#include "src/cli/print.h"
#include "src/cli/request_args.h"

namespace kb::cli {

void report_timings(const command::BuildOutcome& outcome) {
  if (!outcome.timings) return;
  if (!outcome.failed())
    std::fprintf(stderr, "kb: %s\n", timings_summary_line(*outcome.timings).c_str());
  for (const auto& f : outcome.timings_files) std::fprintf(stderr, "kb: timings: %s\n", f.c_str());
}

int report_build_failure(const command::BuildOutcome& outcome) {
  const native::NativeOutcome& run = outcome.run;
  if (run.interrupted_by != 0) {
    // Ninja has stopped (kb passed the signal on and waited): nothing of this build runs
    // any more, and each bundle is its previous version or its new one, whole.
    std::fprintf(stderr,
                 "kb: interrupted (%s): ninja stopped; bundles it had not finished were left as "
                 "they were\n",
                 signal_name(run.interrupted_by).c_str());
    return k_exit_signal_base + run.interrupted_by;
  }
  std::string failed;
  for (const auto& v : run.unfinished_variants) failed += "\n  " + v;
  std::fprintf(stderr, "kb: build failed (ninja exit %d); bundles not updated:%s\n", run.exit_code,
               failed.c_str());
  std::fprintf(stderr, "kb: previous bundles were left as they were. To see every command: %s\n",
               run.rerun_command.c_str());
  if (run.low_space) print_findings({*run.low_space}, "note");
  return run.exit_code == k_exit_interrupted ? k_exit_interrupted : k_exit_failure;
}

int run_build(const CliCall& call) {
  if (call.request.backend == BuildBackend::nix) {
    // Options that shape kb's own Ninja build mean nothing to the flake's sealed build.
    auto ignored = native_only_options(call.args);
    std::string list;
    for (const auto& opt : ignored) list += (list.empty() ? "" : ", ") + opt;
    if (!ignored.empty())
      std::fprintf(stderr,
                   "kb: note: %s only shape%s the native build; the Nix build ignores %s (use "
                   "--max-jobs and --cores for its parallelism)\n",
                   list.c_str(), ignored.size() == 1 ? "s" : "",
                   ignored.size() == 1 ? "it" : "them");
  }
  auto outcome = command::build(call.request, call.io);
  if (!outcome) {
    print_errors(outcome.errors());
    return k_exit_failure;
  }
  if (call.request.dry_run) {
    std::fwrite(outcome->dry_run_text.data(), 1, outcome->dry_run_text.size(), stdout);
    return k_exit_ok;
  }
  report_timings(*outcome);
  if (outcome->failed()) return report_build_failure(*outcome);
  for (const auto& v : outcome->abi)
    std::fprintf(stderr, "kb: %s\n", format_verdict_line(v).c_str());
  if (outcome->abi_failed) {
    std::fprintf(stderr,
                 "kb: --abi=error: the bundles above do not load everywhere the reference's do\n");
    return k_exit_failure;
  }
  for (const auto& b : outcome->bundles) std::printf("%s\n", b.c_str());
  return k_exit_ok;
}

int run_check_abi(const CliCall& call) {
  auto verdicts = command::check_abi(call.request, call.io);
  if (!verdicts) {
    print_errors(verdicts.errors());
    return k_exit_failure;
  }
  bool ok = true;
  for (const auto& v : *verdicts) ok = ok && v.ok();
  if (call.request.json) {
    std::fputs(format_verdicts_json(*verdicts).c_str(), stdout);
  } else {
    for (const auto& v : *verdicts)
      std::fputs(
          v.ok() ? (format_verdict_line(v) + "\n").c_str() : format_verdict_details(v).c_str(),
          stdout);
  }
  return ok ? k_exit_ok : k_exit_failure;
}

int run_check_builds(const CliCall& call) {
  auto checks = command::check_builds(call.request, call.io);
  if (!checks) {
    print_errors(checks.errors());
    return k_exit_failure;
  }
  bool complete = true;
  for (const auto& c : *checks) complete = complete && (c.foreign || c.complete());
  if (call.request.json) {
    std::fputs(format_bundle_checks_json(*checks).c_str(), stdout);
  } else {
    for (const auto& c : *checks) {
      std::printf("%s\n", format_bundle_line(c).c_str());
      for (size_t i = 1; i < c.problems.size(); ++i)
        std::printf("  %s%s\n",
                    c.problems[i].file.empty() ? "" : (c.problems[i].file + ": ").c_str(),
                    c.problems[i].message.c_str());
    }
  }
  return complete ? k_exit_ok : k_exit_failure;
}

int run_init_flake(const CliCall& call) {
  const Request& r = call.request;
  std::string ref = r.kernel_builder.value_or(std::string(nix::k_default_kernel_builder));
  auto written = nix::write_canonical_flake(r.kernel_dir, call.io.disk, ref, r.force);
  if (!written) {
    print_errors(written.errors());
    return k_exit_failure;
  }
  std::printf("%s/flake.nix\n", r.kernel_dir.c_str());
  return k_exit_ok;
}

int run_clean(const CliCall& call) {
  auto cleaned = command::clean(call.request, call.io);
  if (!cleaned) {
    print_errors(cleaned.errors());
    return k_exit_failure;
  }
  return k_exit_ok;
}

}  // namespace kb::cli
