// `kb test` and `kb develop` (kb/pipeline.h, docs/testing.md): build, then run the kernel's
// tests once per Torch install; or open a shell in the test environment.
#include <csignal>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kb/path.h"
#include "src/pipeline_parts.h"
#include "src/python_depends.h"
#include "src/test_env.h"
#include "toolchains/gpu_cache.h"

namespace kb::command {

namespace {

// Whether every python-depends key of `keys` imports with `python` in `env`; reports each
// one that does not (the kernel's tests would fail deep inside an import).
bool python_depends_import(const std::string& python, const std::vector<std::string>& keys,
                           const Environment& env, Io& io) {
  auto argv = python_depends_check_argv(python, keys);
  if (argv.empty()) return true;
  auto check = io.process.capture(argv, env);
  if (!check || check->exit_code != 0) {
    io.status.finding(Error{"cannot check the python-depends imports with " + python,
                            {},
                            check ? check->err : check.errors().list.front().message},
                      "error");
    return false;
  }
  auto missing = parse_python_depends_check(keys, check->out);
  for (const auto& m : missing)
    io.status.finding(
        Error{fmt::format("python-depends '{}' does not import with {} (import {}: {})",
                          m.depend.key, python, m.depend.module, m.error),
              {},
              fmt::format("it is a runtime requirement of the kernel: {} -m pip install {}", python,
                          m.depend.pip)},
        "error");
  if (missing.empty()) return true;
  io.status.progress("not running the tests with " + python);
  return false;
}

// The backend.archs of the bundle `variant` in `out` (metadata.json); empty when it has none
// or cannot be read (the loader then finds out).
std::vector<std::string> bundle_archs(const std::string& out, const std::string& variant,
                                      const Disk& disk) {
  std::vector<std::string> archs;
  auto text = disk.read_file(join_path(out, variant + "/metadata.json"));
  if (!text.ok()) return archs;
  auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("backend") || !doc["backend"].is_object()) return archs;
  const auto& list = doc["backend"].value("archs", nlohmann::json::array());
  if (list.is_array())
    for (const auto& a : list)
      if (a.is_string()) archs.push_back(a.get<std::string>());
  return archs;
}

// The GPU the tests run on (the first visible one) for CUDA or ROCm targets; nullopt when
// none is visible, or no target needs one.
struct TestGpus {
  std::optional<std::string> cuda;
  std::optional<std::string> rocm;
};

TestGpus test_gpus(const Request& request, const std::vector<TestTarget>& targets, Io& io) {
  TestGpus out;
  auto first = [&](toolchains::GpuKind kind) -> std::optional<std::string> {
    auto probe = command_parts::find_gpus(kind, request.query.use_cache, io);
    if (probe.archs.empty()) return std::nullopt;
    return probe.archs.front();
  };
  auto uses = [&](Backend b) {
    return std::any_of(targets.begin(), targets.end(),
                       [&](const TestTarget& t) { return t.variant && t.backend == b; });
  };
  if (uses(Backend::cuda)) out.cuda = first(toolchains::GpuKind::cuda);
  if (uses(Backend::rocm)) out.rocm = first(toolchains::GpuKind::rocm);
  return out;
}

// nullopt when target's bundle has code for the GPU the tests run on (or no GPU is known);
// else the sentence that says why its tests cannot run here.
std::optional<std::string> gpu_mismatch(const Request& request, const TestTarget& t,
                                        const TestGpus& gpus, const Disk& disk) {
  if (t.backend == Backend::cuda && gpus.cuda)
    return cuda_bundle_mismatch(*t.variant, *gpus.cuda,
                                bundle_archs(request.out_dir, *t.variant, disk));
  if (t.backend == Backend::rocm && gpus.rocm &&
      !rocm_bundle_runs_on(*gpus.rocm, bundle_archs(request.out_dir, *t.variant, disk)))
    return fmt::format("{} has no code for this GPU ({}) (rebuild with --rocm-archs=native)",
                       *t.variant, *gpus.rocm);
  return std::nullopt;
}

// Runs pytest with each target's Torch in turn; returns the first failure's exit code.
Result<Ok> run_tests(const Request& request, const Config& config, const std::string& tests,
                     const std::vector<TestTarget>& targets, Io& io, TestOutcome& outcome) {
  const std::string repo_id = test_repo_id(config);
  const TestGpus gpus = test_gpus(request, targets, io);
  for (const auto& t : targets) {
    if (!t.variant) {
      io.status.finding(Error{fmt::format("not testing with {} (torch {}): {}", t.python,
                                          t.torch_version, t.why_none),
                              {},
                              ""},
                        "note");
      continue;
    }
    if (auto mismatch = gpu_mismatch(request, t, gpus, io.disk)) {
      io.status.finding(Error{*mismatch, {}, ""}, "error");
      io.status.progress("not running the tests with " + t.python);
      ++outcome.ran;
      if (outcome.exit_code == 0) outcome.exit_code = 1;
      continue;
    }
    io.status.progress(fmt::format("testing {} with {} (torch {}): {}", repo_id, t.python,
                                   t.torch_version, *t.variant));
    KB_TRY(write_import_shim(request.out_dir, *t.variant, config.module_name(), io.disk));
    Environment env =
        kernel_test_environment(io.env, {repo_id, request.out_dir, t.variant, std::nullopt});
    if (!python_depends_import(t.python, config.python_depends_for(t.backend), env, io)) {
      ++outcome.ran;
      if (outcome.exit_code == 0) outcome.exit_code = 1;
      continue;
    }
    auto run = io.process.run_attached(pytest_argv(t.python, tests, request.passthrough), env,
                                       request.kernel_dir);
    if (!run) return run.take_errors();
    if (run->kb_signal != 0) {
      io.status.progress(fmt::format("interrupted ({}) while pytest ran with {}",
                                     signal_name(run->kb_signal), t.python));
      outcome.exit_code = run->status();
      return Ok{};
    }
    ++outcome.ran;
    if (run->exit_code != 0) {
      io.status.progress(fmt::format(
          "pytest with {} exited {}: {}{}", t.python, run->exit_code,
          pytest_exit_meaning(run->exit_code),
          run->exit_code == 5 ? " (are there test_*.py files in tests/, and does a -k/-m "
                                "filter after -- match any?)"
                              : ""));
      if (outcome.exit_code == 0) outcome.exit_code = run->exit_code;
    }
  }
  if (outcome.ran == 0 && outcome.exit_code == 0)
    return Error{"no built variant suits any Torch install found, so no test ran",
                 {},
                 "build for one of them (kb matrix lists what this machine builds), or "
                 "pass --torch for a Torch that a built variant suits"};
  return Ok{};
}

}  // namespace

Result<TestOutcome> test_kernel(const Request& request, Io& io) {
  TestOutcome outcome;
  if (request.backend == BuildBackend::nix) {
    auto code = command_parts::shell_with_nix(request, io, /*test=*/true);
    if (!code) return code.take_errors();
    outcome.exit_code = *code;
    return outcome;
  }

  // No tests, no build: say so before spending minutes compiling.
  auto config = load_config(request.kernel_dir, io.disk);
  if (!config) return config.take_errors();
  auto tests = kernel_tests_dir(request.kernel_dir, *config, io.disk);
  if (!tests) return tests.take_errors();

  auto built = build(request, io);
  if (!built) return built.take_errors();
  outcome.build = std::move(*built);
  if (outcome.build.failed()) return outcome;

  // The bundles are fixed from here on: each Torch runs the tests with the one it loads.
  const auto& tc = outcome.build.prepared->report.toolchains;
  const auto targets = plan_test_targets(
      tc.torches, command_parts::built_variants(request.out_dir, request.variants, io.disk), tc.cpu,
      tc.os);
  KB_TRY(run_tests(request, *config, *tests, targets, io, outcome));
  return outcome;
}

Result<int> develop(const Request& request, Io& io) {
  if (request.backend == BuildBackend::nix)
    return command_parts::shell_with_nix(request, io, /*test=*/false);

  auto config = load_config(request.kernel_dir, io.disk);
  if (!config) return config.take_errors();
  ToolchainQuery query;
  query.torch = request.query.torch;
  query.use_cache = request.query.use_cache;
  auto tc = find_toolchains(query, io);
  if (!tc) return tc.take_errors();
  if (tc->torches.empty())
    return Error{
        "no Torch install found", {}, "pass --torch PATH (a venv or its python), or set KB_TORCH"};
  const TorchInstall& torch = tc->torches.front();
  if (tc->torches.size() > 1)
    io.status.finding(
        Error{fmt::format("using the first of {} Torch installs; pass --torch to choose",
                          tc->torches.size()),
              {},
              ""},
        "note");

  const std::string& out = request.out_dir;
  const auto folders = command_parts::built_variants(out, request.variants, io.disk);
  if (!request.variants.empty() && folders.empty()) {
    const std::string& v = request.variants.back();
    return Error{"variant '" + v + "' is not built in " + out,
                 {},
                 "build it first: kb build " + request.kernel_dir + " --variant " + v};
  }
  const TestTarget target = plan_test_targets({torch}, folders, tc->cpu, tc->os).front();
  const auto venv = venv_root(torch.python, io.disk);
  if (target.variant)
    KB_TRY(write_import_shim(out, *target.variant, config->module_name(), io.disk));
  Environment env =
      kernel_test_environment(io.env, {test_repo_id(*config), out, target.variant, venv});

  std::vector<std::string> argv = request.passthrough;
  if (argv.empty()) argv.push_back(io.env.get("SHELL").value_or("/bin/bash"));
  io.status.progress(fmt::format("develop: torch {} ({}), {}", torch.version_string, torch.python,
                                 target.variant
                                     ? "variant " + *target.variant
                                     : "no variant yet (" + target.why_none + "; run kb build)"));
  for (const char* var :
       {"LOCAL_KERNELS", "KB_KERNEL_BUILD", "KB_VARIANT", "PYTHONPATH", "VIRTUAL_ENV"})
    if (auto v = env.get(var); v && v != io.env.get(var))
      io.status.detail(fmt::format("  {}={}", var, *v));
  if (venv) io.status.detail(fmt::format("  PATH={}/bin:...", *venv));
  auto run = io.process.run_attached(argv, env, request.kernel_dir);
  if (!run) return run.take_errors();
  // An interactive shell handles Ctrl-C itself (kb sees it too): its own status is the answer.
  return run->kb_signal == SIGTERM || run->kb_signal == SIGHUP ? run->status() : run->exit_code;
}

}  // namespace kb::command
