#include "src/cli_test.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kb/kernel_test.h"
#include "kb/shell.h"
#include "kb/nix_backend.h"
#include "kb/path.h"
#include "kb/python_depends.h"
#include "src/cli_build.h"
#include "src/cli_print.h"

namespace kb {

namespace {

constexpr int k_exit_failure = 1;
constexpr int k_exit_usage = 2;

std::string kernel_dir(const ParsedArgs& args) {
  return absolute_dir(args.positional.empty() ? "." : args.positional[0]);
}

std::string build_dir(const ParsedArgs& args, const std::string& dir) {
  return args.has("out") ? absolute_dir(args.get("out")) : dir + "/build";
}

// The variant folders in the build dir (what the loader will look at), limited to
// --variant when given.
std::vector<std::string> built_variants(const std::string& out, const ParsedArgs& args,
                                        const Disk& disk) {
  std::vector<std::string> names;
  if (!disk.stat(out).is_dir) return names;
  auto entries = disk.list_dir(out);
  if (!entries.ok()) return names;
  const auto wanted = args.all("variant");
  for (const auto& e : *entries) {
    if (e.empty() || e[0] == '.' || !disk.stat(join_path(out, e)).is_dir) continue;
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), e) == wanted.end()) continue;
    names.push_back(e);
  }
  return names;
}

bool known_backend(const ParsedArgs& args) {
  std::string backend = args.get("backend", "native");
  if (backend == "native" || backend == "nix") return true;
  print_errors(Error{"unknown backend '" + backend + "'", {}, "use --backend=native or --backend=nix"});
  return false;
}

// kb test / kb develop --backend=nix: the flake's ci-test, test shell or dev shell.
int run_nix(const ParsedArgs& args, Io& io, const std::string& dir, bool test) {
  nix::NixShellRequest req;
  req.test = test;
  req.command = args.passthrough;
  req.build.kernel_dir = dir;
  req.build.variants = args.all("variant");
  if (args.has("kernel-builder")) req.build.kernel_builder = args.get("kernel-builder");
  req.build.build_dir = build_dir(args, dir);
  req.build.options.allow_unsandboxed = args.has("allow-unsandboxed");
  auto plan = nix::nix_prepare_shell(req, io.disk, io.process, io.env);
  if (!plan) {
    print_errors(plan.errors());
    return k_exit_failure;
  }
  print_findings(plan->plan.notes, "note");
  if (plan->run_result)
    std::fprintf(stderr, "kb: nix: %s, then running %s\n", shell_join(plan->plan.build_argv).c_str(),
                 plan->plan.result_link.c_str());
  else
    std::fprintf(stderr, "kb: nix: %s\n", shell_join(plan->argv).c_str());
  auto code = nix::nix_run_shell(*plan, io.disk, io.process, io.env);
  if (!code) {
    print_errors(code.errors());
    return k_exit_failure;
  }
  if (test && *code != 0)
    std::fprintf(stderr, "kb: the flake's tests exited %d: %s\n", *code,
                 pytest_exit_meaning(*code).c_str());
  return *code;
}

// Whether every python-depends key of `keys` imports with `python` in `env`; prints an error
// naming each one that does not (the kernel's tests would fail deep inside an import).
bool python_depends_import(const std::string& python, const std::vector<std::string>& keys,
                           const Environment& env, Io& io) {
  auto argv = python_depends_check_argv(python, keys);
  if (argv.empty()) return true;
  auto check = io.process.capture(argv, env);
  if (!check || check->exit_code != 0) {
    print_errors(Error{"cannot check the python-depends imports with " + python, {},
                       check ? check->err : check.errors().list.front().message});
    return false;
  }
  auto missing = parse_python_depends_check(keys, check->out);
  std::vector<Error> errors;
  for (const auto& m : missing)
    errors.push_back(Error{fmt::format("python-depends '{}' does not import with {} (import {}: {})",
                                       m.depend.key, python, m.depend.module, m.error),
                           {},
                           fmt::format("it is a runtime requirement of the kernel: {} -m pip install {}",
                                       python, m.depend.pip)});
  if (errors.empty()) return true;
  print_errors(Errors(std::move(errors)));
  std::fprintf(stderr, "kb: not running the tests with %s\n", python.c_str());
  return false;
}

}  // namespace

int cmd_test(const ParsedArgs& args, Io& io, const char* argv0) {
  if (!known_backend(args)) return k_exit_usage;
  const std::string dir = kernel_dir(args);
  if (args.get("backend", "native") == "nix") return run_nix(args, io, dir, true);

  // No tests, no build: say so before spending minutes compiling.
  auto config = load_config(dir, io.disk);
  if (!config) {
    print_errors(config.errors());
    return k_exit_failure;
  }
  auto tests = kernel_tests_dir(dir, *config, io.disk);
  if (!tests) {
    print_errors(tests.errors());
    return k_exit_failure;
  }

  PreparedBuild built;
  if (int rc = build_native(args, io, argv0, dir, /*print_bundles=*/false, &built); rc != 0)
    return rc;

  const std::string out = build_dir(args, dir);
  const auto& tc = built.report.toolchains;
  const auto targets = plan_test_targets(tc.torches, built_variants(out, args, io.disk), tc.cpu, tc.os);
  const std::string repo_id = test_repo_id(*config);
  int first_failure = 0;
  int ran = 0;
  for (const auto& t : targets) {
    if (!t.variant) {
      std::fprintf(stderr, "kb: note: not testing with %s (torch %s): %s\n", t.python.c_str(),
                   t.torch_version.c_str(), t.why_none.c_str());
      continue;
    }
    std::fprintf(stderr, "kb: testing %s with %s (torch %s): %s\n", repo_id.c_str(),
                 t.python.c_str(), t.torch_version.c_str(), t.variant->c_str());
    std::fflush(stderr);
    if (auto shim = write_import_shim(out, *t.variant, config->module_name(), io.disk); !shim) {
      print_errors(shim.errors());
      return k_exit_failure;
    }
    Environment env = kernel_test_environment(io.env, {repo_id, out, t.variant, std::nullopt});
    if (!python_depends_import(t.python, config->python_depends_for(t.backend), env, io)) {
      ++ran;
      if (first_failure == 0) first_failure = k_exit_failure;
      continue;
    }
    auto run = io.process.run_attached(pytest_argv(t.python, *tests, args.passthrough), env, dir);
    if (!run) {
      print_errors(run.errors());
      return k_exit_failure;
    }
    if (run->kb_signal != 0) {
      std::fprintf(stderr, "kb: interrupted (%s) while pytest ran with %s\n",
                   signal_name(run->kb_signal).c_str(), t.python.c_str());
      return run->status();
    }
    const int code = run->exit_code;
    ++ran;
    if (code != 0) {
      std::fprintf(stderr, "kb: pytest with %s exited %d: %s%s\n", t.python.c_str(), code,
                   pytest_exit_meaning(code).c_str(),
                   code == 5 ? " (are there test_*.py files in tests/, and does a -k/-m "
                                "filter after -- match any?)"
                              : "");
      if (first_failure == 0) first_failure = code;
    }
  }
  if (ran == 0) {
    print_errors(Error{"no built variant suits any Torch install found, so no test ran", {},
                       "build for one of them (kb matrix lists what this machine builds), or "
                       "pass --torch for a Torch that a built variant suits"});
    return k_exit_failure;
  }
  if (first_failure == 0)
    std::fprintf(stderr, "kb: tests passed with %d Torch install(s)\n", ran);
  return first_failure;
}

int cmd_develop(const ParsedArgs& args, Io& io) {
  if (!known_backend(args)) return k_exit_usage;
  const std::string dir = kernel_dir(args);
  if (args.get("backend", "native") == "nix") return run_nix(args, io, dir, false);

  auto config = load_config(dir, io.disk);
  if (!config) {
    print_errors(config.errors());
    return k_exit_failure;
  }
  ToolchainQuery query;
  query.torch = args.all("torch");
  query.use_cache = !args.has("no-cache");
  auto tc = find_toolchains(query, io);
  if (!tc) {
    print_errors(tc.errors());
    return k_exit_failure;
  }
  if (tc->torches.empty()) {
    print_errors(Error{"no Torch install found", {},
                       "pass --torch PATH (a venv or its python), or set KB_TORCH"});
    return k_exit_failure;
  }
  const TorchInstall& torch = tc->torches.front();
  if (tc->torches.size() > 1)
    std::fprintf(stderr, "kb: note: using the first of %zu Torch installs; pass --torch to choose\n",
                 tc->torches.size());

  const std::string out = build_dir(args, dir);
  const auto folders = built_variants(out, args, io.disk);
  if (args.has("variant") && folders.empty()) {
    print_errors(Error{"variant '" + args.get("variant") + "' is not built in " + out, {},
                       "build it first: kb build " + dir + " --variant " + args.get("variant")});
    return k_exit_failure;
  }
  const TestTarget target = plan_test_targets({torch}, folders, tc->cpu, tc->os).front();
  const auto venv = venv_root(torch.python, io.disk);
  const std::string repo_id = test_repo_id(*config);
  if (target.variant) {
    if (auto shim = write_import_shim(out, *target.variant, config->module_name(), io.disk); !shim) {
      print_errors(shim.errors());
      return k_exit_failure;
    }
  }
  Environment env = kernel_test_environment(io.env, {repo_id, out, target.variant, venv});

  std::vector<std::string> argv = args.passthrough;
  if (argv.empty()) argv.push_back(io.env.get("SHELL").value_or("/bin/bash"));
  std::fprintf(stderr, "kb: develop: torch %s (%s), %s\n", torch.version_string.c_str(),
               torch.python.c_str(),
               target.variant ? ("variant " + *target.variant).c_str()
                              : ("no variant yet (" + target.why_none + "; run kb build)").c_str());
  for (const char* var : {"LOCAL_KERNELS", "KB_KERNEL_BUILD", "KB_VARIANT", "PYTHONPATH", "VIRTUAL_ENV"})
    if (auto v = env.get(var); v && v != io.env.get(var))
      std::fprintf(stderr, "  %s=%s\n", var, v->c_str());
  if (venv) std::fprintf(stderr, "  PATH=%s/bin:...\n", venv->c_str());
  std::fflush(stderr);
  auto run = io.process.run_attached(argv, env, dir);
  if (!run) {
    print_errors(run.errors());
    return k_exit_failure;
  }
  // An interactive shell handles Ctrl-C itself (kb sees it too): its own status is the answer.
  return run->kb_signal == SIGTERM || run->kb_signal == SIGHUP ? run->status() : run->exit_code;
}

}  // namespace kb
