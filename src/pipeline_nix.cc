// The Nix backend's side of `kb build`, `kb matrix`, `kb test` and `kb develop`
// (kb/nix_backend.h): the flake builds, kb copies the results into the build dir.
#include <fmt/format.h>

#include "kb/nix_backend.h"
#include "kb/shell.h"
#include "src/pipeline_parts.h"
#include "src/test_env.h"

namespace kb::command_parts {

namespace {

// The Nix backend's view of `request`.
nix::NixBuildRequest nix_request(const Request& request) {
  nix::NixBuildRequest req;
  req.kernel_dir = request.kernel_dir;
  req.variants = request.variants;
  req.kernel_builder = request.kernel_builder;
  req.build_dir = request.out_dir;
  req.options.allow_unsandboxed = request.allow_unsandboxed;
  if (request.nix_max_jobs) req.options.max_jobs = request.nix_max_jobs;
  if (request.nix_cores) req.options.cores = request.nix_cores;
  return req;
}

}  // namespace

Result<command::BuildOutcome> build_with_nix(const Request& request, Io& io) {
  auto plan = nix::nix_prepare(nix_request(request), io.disk, io.process, io.env);
  if (!plan) return plan.take_errors();
  for (const auto& n : plan->notes) io.status.finding(n, "note");
  command::BuildOutcome outcome;
  if (request.dry_run) {
    outcome.dry_run_text = shell_join(plan->build_argv) + "\n";
    return outcome;
  }
  // Nix builds in its store; kb's part in the build dir (the result link, the copies) is
  // locked like a native build.
  auto lock = lock_build_dir(request, io);
  if (!lock) return lock.take_errors();
  io.status.progress(fmt::format("nix build via {} route", nix::to_string(plan->route)));
  auto built = nix::nix_execute(*plan, io.disk, io.process, io.env);
  if (!built) return built.take_errors();
  for (const auto& v : built->variants) outcome.bundles.push_back(plan->build_dir + "/" + v);
  return outcome;
}

Result<std::vector<std::string>> matrix_with_nix(const Request& request, Io& io) {
  nix::NixBuildRequest req;
  req.kernel_dir = request.kernel_dir;
  req.kernel_builder = request.kernel_builder;
  return nix::nix_variants(req, io.disk, io.process, io.env);
}

Result<int> shell_with_nix(const Request& request, Io& io, bool test) {
  nix::NixShellRequest req;
  req.test = test;
  req.command = request.passthrough;
  req.build = nix_request(request);
  req.build.options.max_jobs.reset();
  req.build.options.cores.reset();
  auto plan = nix::nix_prepare_shell(req, io.disk, io.process, io.env);
  if (!plan) return plan.take_errors();
  for (const auto& n : plan->plan.notes) io.status.finding(n, "note");
  if (plan->run_result)
    io.status.progress(fmt::format("nix: {}, then running {}", shell_join(plan->plan.build_argv),
                                   plan->plan.result_link));
  else
    io.status.progress("nix: " + shell_join(plan->argv));
  auto code = nix::nix_run_shell(*plan, io.disk, io.process, io.env);
  if (!code) return code.take_errors();
  if (test && *code != 0)
    io.status.progress(
        fmt::format("the flake's tests exited {}: {}", *code, pytest_exit_meaning(*code)));
  return *code;
}

}  // namespace kb::command_parts
