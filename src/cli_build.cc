#include "src/cli_build.h"

#include "src/cli_print.h"
#include "src/cli_deps.h"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "kb/discover.h"
#include "kb/linker.h"
#include "kb/native_backend.h"
#include "kb/shell.h"
#include "kb/nix_backend.h"

namespace kb {

namespace {

std::string absolute(const std::string& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  if (ec) return p;
  return abs.lexically_normal().string();
}

std::string strip_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// The kb binary's own absolute path (for the edges ninja runs back into kb).
std::string self_path(const char* argv0) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return absolute(argv0);
}

// MemAvailable from /proc/meminfo, or 8 GiB when it cannot be read.
int64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 8LL << 30;
}

Result<int> parse_int_option(const ParsedArgs& args, const std::string& name, int fallback) {
  if (!args.has(name)) return fallback;
  std::string v = args.get(name);
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 1 || n > 4096)
    return Error{fmt::format("--{} needs a positive whole number, got '{}'", name, v), {}, ""};
  return static_cast<int>(n);
}

// Locks `build_dir` for this process (native::lock_build_dir): with --wait, waits for
// another kb and says so; else fails naming it.
Result<std::unique_ptr<FileLock>> lock_build_dir(const std::string& build_dir,
                                                 const ParsedArgs& args, Io& io) {
  native::BuildLockOptions options;
  options.owner = std::to_string(::getpid());
  options.wait = args.has("wait");
  options.inherited_holder = io.env.get(native::k_lock_holder_env);
  options.on_wait = [&](const std::string& holder) {
    std::fprintf(stderr, "kb: waiting for the kb building in %s%s\n", build_dir.c_str(),
                 holder.empty() ? "" : (" (pid " + holder + ")").c_str());
  };
  return native::lock_build_dir(build_dir, io.disk, options);
}

int build_nix(const ParsedArgs& args, Io& io, const std::string& dir) {
  nix::NixBuildRequest req;
  req.kernel_dir = dir;
  req.variants = args.all("variant");
  if (args.has("kernel-builder")) req.kernel_builder = args.get("kernel-builder");
  req.build_dir = args.has("out") ? strip_slash(absolute(args.get("out"))) : dir + "/build";
  req.options.allow_unsandboxed = args.has("allow-unsandboxed");
  auto max_jobs = parse_int_option(args, "max-jobs", 0);
  auto cores = parse_int_option(args, "cores", 0);
  if (!max_jobs || !cores) {
    print_errors(!max_jobs ? max_jobs.errors() : cores.errors());
    return 2;
  }
  if (*max_jobs) req.options.max_jobs = *max_jobs;
  if (*cores) req.options.cores = *cores;
  // Options that shape kb's own Ninja build mean nothing to the flake's sealed build.
  std::string ignored;
  int n_ignored = 0;
  for (const char* opt : {"jobs", "unique-id", "launcher", "linker", "id-in-binding", "generate-only"})
    if (args.has(opt)) ignored += std::string(n_ignored++ ? ", " : "") + "--" + opt;
  if (n_ignored)
    std::fprintf(stderr,
                 "kb: note: %s only shape%s the native build; the Nix build ignores %s (use "
                 "--max-jobs and --cores for its parallelism)\n",
                 ignored.c_str(), n_ignored == 1 ? "s" : "", n_ignored == 1 ? "it" : "them");
  auto plan = nix::nix_prepare(req, io.disk, io.process, io.env);
  if (!plan) {
    print_errors(plan.errors());
    return 1;
  }
  print_findings(plan->notes, "note");
  if (args.has("dry-run")) {
    std::printf("%s\n", shell_join(plan->build_argv).c_str());
    return 0;
  }
  // Nix builds in its store; kb's part in the build dir (the result link, the copies) is
  // locked like a native build.
  auto lock = lock_build_dir(req.build_dir, args, io);
  if (!lock) {
    print_errors(lock.errors());
    return 1;
  }
  std::fprintf(stderr, "kb: nix build via %s route\n", std::string(nix::to_string(plan->route)).c_str());
  auto outcome = nix::nix_execute(*plan, io.disk, io.process, io.env);
  if (!outcome) {
    print_errors(outcome.errors());
    return 1;
  }
  for (const auto& v : outcome->variants)
    std::printf("%s/%s\n", plan->build_dir.c_str(), v.c_str());
  return 0;
}

}  // namespace

std::string absolute_dir(const std::string& path) { return strip_slash(absolute(path)); }

int cmd_matrix_nix(const ParsedArgs& args, Io& io) {
  nix::NixBuildRequest req;
  req.kernel_dir = strip_slash(absolute(args.positional.empty() ? "." : args.positional[0]));
  if (args.has("kernel-builder")) req.kernel_builder = args.get("kernel-builder");
  auto names = nix::nix_variants(req, io.disk, io.process, io.env);
  if (!names) {
    print_errors(names.errors());
    return 1;
  }
  for (const auto& n : *names) std::printf("%s\n", n.c_str());
  return 0;
}

int cmd_build(const ParsedArgs& args, Io& io, const char* argv0) {
  std::string dir = strip_slash(absolute(args.positional.empty() ? "." : args.positional[0]));
  std::string backend = args.get("backend", "native");
  if (backend == "nix") return build_nix(args, io, dir);
  if (backend != "native") {
    std::fprintf(stderr, "kb: error: unknown backend '%s'\n  hint: use --backend=native or --backend=nix\n",
                 backend.c_str());
    return 2;
  }
  return build_native(args, io, argv0, dir, /*print_bundles=*/true, nullptr);
}

int build_native(const ParsedArgs& args, Io& io, const char* argv0, const std::string& dir,
                 bool print_bundles, PreparedBuild* built) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto jobs = parse_int_option(args, "jobs", static_cast<int>(cores));
  if (!jobs) {
    print_errors(jobs.errors());
    return 2;
  }

  BuildRequest req;
  req.kernel_dir = dir;
  req.out_dir = args.has("out") ? strip_slash(absolute(args.get("out"))) : dir + "/build";
  req.variants = args.all("variant");
  req.jobs = *jobs;
  req.memory_budget_bytes = available_memory();
  if (args.has("unique-id")) req.unique_id = args.get("unique-id");
  if (args.has("launcher")) req.launcher = args.get("launcher");
  req.linker = args.get("linker", std::string(k_linker_auto));
  req.id_in_binding = args.has("id-in-binding");
  req.kb_path = self_path(argv0);
  req.query.torch = args.all("torch");
  req.query.cuda = args.all("cuda");
  req.query.rocm = args.all("rocm");
  req.query.use_cache = !args.has("no-cache");
  req.query.deps = dep_options(args);

  // The build dir is locked from planning to the end of ninja. A kernel dir whose
  // build.toml does not even parse gets its errors without a build dir being made for it.
  std::unique_ptr<FileLock> lock;
  if (!args.has("dry-run")) {
    if (auto config = load_config(dir, io.disk); !config) {
      print_errors(config.errors());
      return 1;
    }
    auto locked = lock_build_dir(req.out_dir, args, io);
    if (!locked) {
      print_errors(locked.errors());
      return 1;
    }
    lock = std::move(*locked);
  }
  auto prepared = prepare_build(req, io);
  if (!prepared) {
    print_errors(prepared.errors());
    return 1;
  }
  print_findings(prepared->report.config.warnings, "warning");
  print_findings(unusable_named_toolchains(prepared->report.toolchains), "warning");
  print_findings(prepared->notes, "note");
  // Archs dropped by the intersections, and sections skipped, are never silent.
  for (const auto& vb : prepared->plan.variants) {
    for (const auto& section : vb.variant.sections)
      for (const auto& note : section.notes)
        std::fprintf(stderr, "kb: note: %s: [kernel.%s] %s\n", vb.variant.name.c_str(),
                     section.section.c_str(), note.c_str());
    for (const auto& skipped : vb.variant.skipped_sections)
      std::fprintf(stderr, "kb: note: %s: skipped %s\n", vb.variant.name.c_str(), skipped.c_str());
  }

  native::NativeRunOptions run;
  run.build_dir = req.out_dir;
  run.kernel_dir = dir;
  run.kb_path = req.kb_path;
  run.build_toml = dir + "/build.toml";
  for (const auto& t : req.query.torch) run.regen_args.insert(run.regen_args.end(), {"--torch", absolute(t)});
  for (const auto& c : req.query.cuda) run.regen_args.insert(run.regen_args.end(), {"--cuda", absolute(c)});
  for (const auto& r : req.query.rocm) run.regen_args.insert(run.regen_args.end(), {"--rocm", absolute(r)});
  for (const auto& d : req.query.deps) run.regen_args.insert(run.regen_args.end(), {"--dep", d});
  if (req.unique_id) run.regen_args.insert(run.regen_args.end(), {"--unique-id", *req.unique_id});
  for (const auto& v : req.variants) run.regen_args.insert(run.regen_args.end(), {"--variant", v});
  if (req.launcher) run.regen_args.insert(run.regen_args.end(), {"--launcher", *req.launcher});
  run.regen_args.insert(run.regen_args.end(), {"--linker", req.linker});
  if (req.id_in_binding) run.regen_args.push_back("--id-in-binding");
  run.regen_args.insert(run.regen_args.end(), {"-j", std::to_string(req.jobs)});
  // Adding or removing a Python file changes this directory's mtime: replan then.
  run.regen_inputs.push_back(dir + "/torch-ext/" + prepared->report.config.module_name());
  run.launcher = req.launcher;
  if (prepared->report.toolchains.ninja) run.ninja = prepared->report.toolchains.ninja->path;
  run.jobs = req.jobs;
  if (args.has("verbose")) run.ninja_args.push_back("-v");
  run.generate_only = args.has("generate-only");
  run.dry_run = args.has("dry-run");
  // The regeneration edge's kb (under this ninja) must not wait for this kb's lock.
  run.lock_holder = lock ? std::to_string(::getpid())
                         : io.env.get(native::k_lock_holder_env).value_or("");

  if (run.dry_run) {
    std::string text = native::dry_run_text(prepared->plan, run);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (!run.generate_only) {
    std::string names;
    for (const auto& v : prepared->plan.variants) names += "\n  " + v.variant.name;
    const std::string& linker = prepared->options.linker;
    std::fprintf(stderr,
                 "kb: building %zu variant(s) of %s (unique id %s, -j%d, nvcc pool %d, linker %s):%s\n",
                 prepared->plan.variants.size(), prepared->report.config.name.c_str(),
                 prepared->options.unique_id.c_str(), req.jobs, prepared->plan.nvcc_pool_depth,
                 linker.empty() ? "default" : linker.c_str(), names.c_str());
  }
  auto outcome = native::run_native_build(prepared->plan, run, io.disk, io.process, io.env);
  if (!outcome) {
    print_errors(outcome.errors());
    return 1;
  }
  if (outcome->interrupted_by != 0) {
    // Ninja has stopped (kb passed the signal on and waited): nothing of this build runs
    // any more, and each bundle is its previous version or its new one, whole.
    std::fprintf(stderr,
                 "kb: interrupted (%s): ninja stopped; bundles it had not finished were left as "
                 "they were\n",
                 signal_name(outcome->interrupted_by).c_str());
    return 128 + outcome->interrupted_by;
  }
  if (outcome->exit_code != 0) {
    std::string failed;
    for (const auto& v : outcome->unfinished_variants) failed += "\n  " + v;
    std::fprintf(stderr, "kb: build failed (ninja exit %d); bundles not updated:%s\n", outcome->exit_code,
                 failed.c_str());
    std::fprintf(stderr, "kb: previous bundles were left as they were. To see every command: %s\n",
                 outcome->rerun_command.c_str());
    if (outcome->low_space) print_findings({*outcome->low_space}, "note");
    return outcome->exit_code == 130 ? 130 : 1;
  }
  if (!run.generate_only && print_bundles)
    for (const auto& v : prepared->plan.variants) std::printf("%s\n", v.bundle_dir.c_str());
  if (built) *built = std::move(*prepared);
  return 0;
}

int cmd_init_flake(const ParsedArgs& args, Io& io) {
  std::string dir = strip_slash(absolute(args.positional.empty() ? "." : args.positional[0]));
  std::string ref = args.get("kernel-builder", std::string(nix::k_default_kernel_builder));
  auto r = nix::write_canonical_flake(dir, io.disk, ref, args.has("force"));
  if (!r) {
    print_errors(r.errors());
    return 1;
  }
  std::printf("%s/flake.nix\n", dir.c_str());
  return 0;
}

int cmd_clean(const ParsedArgs& args, Io& io) {
  std::string dir = strip_slash(absolute(args.positional.empty() ? "." : args.positional[0]));
  std::string out = args.has("out") ? strip_slash(absolute(args.get("out"))) : dir + "/build";
  // Nothing of kb's here: nothing to remove, and no lock file to make.
  if (!io.disk.stat(std::filesystem::path(native::build_lock_path(out)).parent_path()).is_dir)
    return 0;
  auto lock = lock_build_dir(out, args, io);
  if (!lock) {
    print_errors(lock.errors());
    return 1;
  }
  auto r = native::clean_build(out, io.disk);
  if (!r) {
    print_errors(r.errors());
    return 1;
  }
  return 0;
}

}  // namespace kb
