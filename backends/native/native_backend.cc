#include "kb/native_backend.h"

#include <cstdio>
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "backends/native/ninja_file.h"
#include "kb/compdb.h"
#include "kb/nvcc_slots.h"
#include "kb/shell.h"
#include "kb/path.h"
#include "kb/unknown_variants.h"

namespace kb::native {

namespace {

// Only placeholders every ninja knows: Debian 12's ninja 1.11 exits on %W, %E, %w and %P.
constexpr const char* k_ninja_status = "[%f/%t %es] ";
// The same, with the expected duration (docs/timings.md, "Time left").
constexpr const char* k_ninja_status_estimate = "[%f/%t %es of ~{}s] ";
constexpr const char* k_variants_record = "variants.txt";
constexpr const char* k_compdb = "compile_commands.json";

NinjaOptions ninja_options(const NativeRunOptions& o) {
  return {.build_dir = o.build_dir,
          .kernel_dir = o.kernel_dir,
          .kb_path = o.kb_path,
          .build_toml = o.build_toml,
          .regen_inputs = o.regen_inputs,
          .regen_args = o.regen_args,
          .launcher = o.launcher,
          .overlap_nvcc = o.overlap_nvcc};
}

// The variants a run covers: those named in `targets`, or all. Fails on an unknown name.
Result<std::vector<const VariantBuild*>> selected_variants(
    const BuildPlan& plan, const std::vector<std::string>& targets) {
  std::vector<const VariantBuild*> out;
  if (targets.empty()) {
    for (const auto& vb : plan.variants) out.push_back(&vb);
    return out;
  }
  std::vector<std::string> names;
  for (const auto& vb : plan.variants) names.push_back(vb.variant.name);
  Errors errors;
  for (const auto& u : unknown_variants(targets, names))
    errors.list.push_back(
        {"no planned variant is named '" + u.name + "'",
         {},
         u.closest.empty() ? "`kb plan` lists the variants" : "did you mean '" + u.closest + "'?"});
  if (!errors.list.empty()) return errors;
  for (const auto& t : targets)
    out.push_back(&*std::find_if(plan.variants.begin(), plan.variants.end(),
                                 [&](const VariantBuild& vb) { return vb.variant.name == t; }));
  return out;
}

// Names in a variants.txt record; lines starting with '#' and blank lines are skipped.
std::vector<std::string> parse_variants_record(const std::string& text) {
  std::vector<std::string> names;
  for (std::string_view line : split_lines(text)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (!line.empty() && line[0] != '#') names.emplace_back(line);
  }
  return names;
}

// A recorded name is removed only if it is one plain directory name: a damaged or edited
// record must not make `kb clean` reach outside the build dir or into .kb's siblings.
bool is_plain_name(const std::string& name) {
  return !name.empty() && name[0] != '.' && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// The record of every variant ever built here, old entries kept so that a build of one
// variant does not make `kb clean` forget the others.
std::string variants_record(const BuildPlan& plan, const std::string& previous) {
  std::set<std::string> names;
  for (const auto& n : parse_variants_record(previous)) names.insert(n);
  for (const auto& vb : plan.variants) names.insert(vb.variant.name);
  std::string text = "# Bundles kb built in this directory; `kb clean` removes these and .kb.\n";
  for (const auto& n : names) text += n + "\n";
  return text;
}

struct Writer {
  Disk& disk;
  std::vector<std::string>& written;
  Result<Ok> put(const std::string& path, const std::string& content) {
    auto changed = disk.write_if_changed(path, content);
    if (!changed) return changed.take_errors();
    if (*changed) written.push_back(path);
    return Ok{};
  }
};

Result<Ok> write_files(const BuildPlan& plan, const NativeRunOptions& options, Disk& disk,
                       std::vector<std::string>& written) {
  std::string dir = ninja_dir(options.build_dir);
  NinjaOptions nopts = ninja_options(options);
  if (auto log = join_path(dir, ".ninja_log"); disk.exists(log)) {
    // A log kb cannot read only costs the ordering; the build itself does not need it.
    if (auto text = disk.read_file(log); text.ok()) nopts.durations_ms = parse_ninja_log(*text);
  }
  // Rendered before anything is written: a plan Ninja cannot express writes nothing.
  KB_TRY_ASSIGN(const NinjaFiles files, render_ninja(plan, nopts));
  KB_TRY(disk.make_dirs(dir));
  Writer w{disk, written};
  for (const auto& vb : plan.variants) {
    // The manifest is among them: make_build_plan writes vb.manifest's text there.
    for (const auto& [path, content] : vb.work_files) KB_TRY(w.put(path, content));
  }
  for (const auto& f : files.variants) KB_TRY(w.put(f.path, f.text));
  KB_TRY(w.put(join_path(options.build_dir, k_compdb), render_compdb(plan, dir)));
  std::string record_path = join_path(dir, k_variants_record);
  std::string previous;
  if (disk.exists(record_path)) {
    KB_TRY_ASSIGN(previous, disk.read_file(record_path));
  }
  KB_TRY(w.put(record_path, variants_record(plan, previous)));
  // Last, so that an earlier failure leaves the previous build.ninja with its inputs.
  KB_TRY(w.put(files.top.path, files.top.text));
  return Ok{};
}

// Whether ninja runs some .cu compile through `kb internal-nvcc` (not through a launcher).
bool uses_internal_nvcc(const BuildPlan& plan, const NativeRunOptions& options) {
  return options.overlap_nvcc && !(options.launcher && !options.launcher->empty()) &&
         plan.cuda_sources > 0;
}

// After a failure, asks ninja (dry run) which requested variants still have work left.
std::vector<std::string> unfinished(const std::vector<const VariantBuild*>& variants,
                                    const std::string& ninja, const std::string& dir,
                                    Process& process, const Environment& env) {
  std::vector<std::string> out;
  for (const auto* vb : variants) {
    auto r = process.capture({ninja, "-C", dir, "-n", vb->variant.name}, env);
    if (!r.ok()) break;
    if (r->exit_code != 0 || r->out.find("no work to do") == std::string::npos) {
      out.push_back(vb->variant.name);
    }
  }
  return out;
}

// The text of <dir>/.ninja_log, or "" when there is none or it cannot be read.
std::string read_ninja_log(const std::string& dir, Disk& disk) {
  std::string log = join_path(dir, ".ninja_log");
  if (!disk.exists(log)) return "";
  auto text = disk.read_file(log);
  return text.ok() ? std::move(*text) : "";
}

// Each edge's description -> its output, for the edges kb writes.
std::map<std::string, std::string> outputs_by_description(const BuildPlan& plan) {
  std::map<std::string, std::string> out;
  for (const auto& vb : plan.variants) {
    for (const auto& h : vb.hipify) out[h.description] = h.output;
    for (const auto& c : vb.compiles) out[c.description] = c.object;
    if (vb.link) out[vb.link->description] = vb.link->output;
    out["BUNDLE " + vb.variant.name] = vb.bundle_stamp;
  }
  return out;
}

// What a dry run of `argv` (ninja, without -n) says: the expected duration from the
// durations in `log` (each edge's description mapped to its output and looked up; -1 when
// any edge is unknown or has no history), and whether ninja has nothing to do at all (then
// the real run is skipped: a no-op build starts ninja once, not twice). Without history no
// dry run is made.
struct DryRun {
  int64_t estimate_ms = -1;
  bool nothing_to_do = false;
};

DryRun dry_run_from_history(const BuildPlan& plan, const std::string& log,
                            std::vector<std::string> argv, int jobs, Process& process,
                            const Environment& env) {
  DryRun out;
  auto history = parse_ninja_log(log);
  if (history.empty()) return out;
  argv.insert(argv.begin() + 1, "-n");
  Environment quiet = env;
  quiet.set("NINJA_STATUS", "");
  auto dry = process.capture(argv, quiet);
  if (!dry.ok() || dry->exit_code != 0) return out;
  auto known = outputs_by_description(plan);
  std::vector<std::string> outputs;
  bool unknown = false, regenerates = false, no_work = false;
  for (std::string_view line : split_lines(dry->out)) {
    if (line == "ninja: no work to do.") no_work = true;
    // ninja's own lines, and the regeneration of build.ninja (kb's few ms) are not jobs.
    if (line.empty() || line.rfind("ninja: ", 0) == 0) continue;
    if (line.rfind("KB regenerating", 0) == 0) {
      regenerates = true;
      continue;
    }
    auto it = known.find(std::string(line));
    if (it == known.end())
      unknown = true;
    else
      outputs.push_back(it->second);
  }
  out.nothing_to_do = no_work && outputs.empty() && !unknown && !regenerates;
  if (!unknown && !outputs.empty()) out.estimate_ms = estimate_build_ms(outputs, history, jobs);
  return out;
}

}  // namespace

std::string dry_run_text(const BuildPlan& plan, const NativeRunOptions& options) {
  std::set<std::string> wanted(options.targets.begin(), options.targets.end());
  std::string text;
  for (const auto& vb : plan.variants) {
    if (!wanted.empty() && !wanted.contains(vb.variant.name)) continue;
    if (!text.empty()) text += "\n";
    text += "# " + vb.variant.name + "\n";
    for (const auto& h : vb.hipify) text += shell_join(h.argv) + "\n";  // ROCm: CUDA -> HIP
    for (const auto& c : vb.compiles)
      text += shell_join(compile_command(c, ninja_options(options))) + "\n";
    if (vb.link) text += shell_join(vb.link->argv) + "\n";
    text += shell_join(bundle_command(options.kb_path, vb.bundle_manifest)) + "\n";
  }
  return text;
}

Result<NativeOutcome> run_native_build(const BuildPlan& plan, const NativeRunOptions& options,
                                       Disk& disk, Process& process, const Environment& env) {
  auto selected = selected_variants(plan, options.targets);
  if (!selected) return selected.take_errors();
  NativeOutcome outcome;
  outcome.ninja_dir = ninja_dir(options.build_dir);
  if (options.dry_run) {
    outcome.dry_run_text = dry_run_text(plan, options);
    return outcome;
  }
  std::string ninja = options.ninja;
  if (ninja.empty()) {
    auto found = find_in_path("ninja", env, disk);
    if (!found && !options.generate_only) {
      return Error{"ninja not found in PATH",
                   {},
                   "install it (Debian: apt install ninja-build) or put it on PATH"};
    }
    ninja = found.value_or("ninja");
  }
  KB_TRY(write_files(plan, options, disk, outcome.written));
  if (options.generate_only) return outcome;

  // The wanted variants by name: ninja's default target is every variant build.ninja
  // names, and that file may hold more than this run planned.
  std::vector<std::string> targets;
  for (const auto* vb : *selected) targets.push_back(vb->variant.name);
  std::vector<std::string> argv = {ninja, "-C", outcome.ninja_dir};
  int jobs = options.jobs > 0 ? options.jobs : plan.jobs;
  if (jobs > 0) argv.insert(argv.end(), {"-j", std::to_string(jobs)});
  argv.insert(argv.end(), options.ninja_args.begin(), options.ninja_args.end());
  argv.insert(argv.end(), targets.begin(), targets.end());
  outcome.jobs = jobs;
  Environment child_env = env;
  if (!options.lock_holder.empty()) child_env.set(k_lock_holder_env, options.lock_holder);
  if (uses_internal_nvcc(plan, options)) {
    // The compiles' steps share one pool: a compile takes the cores its ended siblings free.
    int slots = std::min(plan.nvcc_slots, jobs > 0 ? jobs : plan.jobs);
    KB_TRY_ASSIGN(
        std::string pool,
        make_nvcc_slots(disk, join_path(outcome.ninja_dir, "nvcc-slots"), std::max(slots, 1)));
    child_env.set(k_nvcc_slots_env, pool);
  }
  std::string log_before = read_ninja_log(outcome.ninja_dir, disk);
  if (!env.get("NINJA_STATUS")) {
    const DryRun dry = dry_run_from_history(plan, log_before, argv, jobs, process, child_env);
    if (dry.nothing_to_do) {
      // Up to date: ninja is not started a second time (the end-of-build line says so).
      outcome.ran_ninja = true;
      outcome.up_to_date = true;
      return outcome;
    }
    outcome.estimate_ms = dry.estimate_ms;
    child_env.set(
        "NINJA_STATUS",
        outcome.estimate_ms < 0
            ? std::string(k_ninja_status)
            : fmt::format(fmt::runtime(k_ninja_status_estimate),
                          fmt::format("{:.0f}", std::max(outcome.estimate_ms / 1000.0, 1.0))));
  }

  auto code = process.run_attached(argv, child_env, outcome.ninja_dir);
  if (!code) return code.take_errors();
  outcome.ran_ninja = true;
  outcome.ninja_wall_ms = code->wall_ms;
  outcome.log_entries = new_log_entries(log_before, read_ninja_log(outcome.ninja_dir, disk));
  outcome.exit_code = code->exit_code;
  outcome.interrupted_by = code->kb_signal;
  if (outcome.exit_code != 0 || outcome.interrupted_by != 0) {
    std::vector<std::string> rerun = {ninja, "-C", outcome.ninja_dir, "-v"};
    rerun.insert(rerun.end(), targets.begin(), targets.end());
    outcome.rerun_command = shell_join(rerun);
    if (auto free = disk.available_bytes(options.build_dir); free && *free < k_low_space_bytes)
      outcome.low_space =
          Error{fmt::format("the file system of {} has only {} KiB available; a full disk makes "
                            "compilers and linkers fail (lld with SIGBUS and a stack dump)",
                            options.build_dir, *free / 1024),
                {},
                "free some space, or build elsewhere with --out, then run kb build again"};
    // An interrupted user wants their prompt back, not more ninja runs.
    if (outcome.interrupted_by == 0 && outcome.exit_code != 130) {
      outcome.unfinished_variants = unfinished(*selected, ninja, outcome.ninja_dir, process, env);
    }
  }
  return outcome;
}

std::string build_lock_path(std::string_view build_dir) {
  return join_path(ninja_dir(build_dir), "lock");
}

Result<std::unique_ptr<FileLock>> lock_build_dir(const std::string& build_dir, Disk& disk,
                                                 const BuildLockOptions& options) {
  std::string path = build_lock_path(build_dir);
  auto attempt = disk.lock_file(path, options.owner, /*wait=*/false);
  if (!attempt) return attempt.take_errors();
  if (attempt->lock) return std::move(attempt->lock);
  const std::string& holder = attempt->holder;
  if (options.inherited_holder && !holder.empty() && holder == *options.inherited_holder)
    return std::unique_ptr<FileLock>();
  if (!options.wait) {
    std::string who = holder.empty() ? "" : " (pid " + holder + ")";
    return Error{"another kb is building here" + who,
                 {},
                 "let it finish, or pass --wait to wait for it (the lock of " + build_dir + " is " +
                     path + ")"};
  }
  if (options.on_wait) options.on_wait(holder);
  auto waited = disk.lock_file(path, options.owner, /*wait=*/true);
  if (!waited) return waited.take_errors();
  if (!waited->lock) return Error{"cannot lock '" + path + "'", {}, ""};
  return std::move(waited->lock);
}

Result<Ok> clean_build(const std::string& build_dir, Disk& disk) {
  if (build_dir.empty()) return Error{"kb clean needs a build directory", {}, ""};
  std::string dir = ninja_dir(build_dir);
  if (!disk.stat(dir).is_dir) return Ok{};
  std::string record = join_path(dir, k_variants_record);
  if (disk.exists(record)) {
    KB_TRY_ASSIGN(auto text, disk.read_file(record));
    for (const auto& name : parse_variants_record(text)) {
      if (is_plain_name(name)) KB_TRY(disk.remove_all(join_path(build_dir, name)));
    }
  }
  // Written by every build beside the bundles (where clangd looks for it).
  KB_TRY(disk.remove_all(join_path(build_dir, k_compdb)));
  return disk.remove_all(dir);
}

}  // namespace kb::native
