// `kb build --backend=nix`: check first, run one attached `nix build`, copy the result.
//
// Every check that can run before Nix does, because Nix's own messages for these problems
// arrive late and point at store paths ("getting status of /nix/store/...-source/x.cu: No
// such file or directory"). The build itself is Nix's: kb adds no steps to it.

#include "kb/nix_backend.h"

#include <algorithm>

#include "flake.h"
#include "kb/config.h"
#include "kb/config_load.h"
#include "kb/shell.h"
#include "kb/path.h"
#include "kb/unique_id.h"
#include "kb/unknown_variants.h"
#include "preflight.h"
#include "tracked.h"

namespace kb::nix {

namespace {

// The last non-empty lines of a process's stderr, for error messages.
std::string tail_lines(const std::string& text, size_t max_lines = 8) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(start, nl - start);
    if (line.find_first_not_of(" \r\t") != std::string::npos) lines.push_back(line);
    start = nl + 1;
  }
  std::string out;
  for (size_t i = lines.size() > max_lines ? lines.size() - max_lines : 0; i < lines.size(); ++i)
    out += (out.empty() ? "" : "\n") + lines[i];
  return out;
}

void append(std::vector<Error>& to, std::vector<Error> from) {
  for (auto& e : from) to.push_back(std::move(e));
}

// What git says about the kernel directory.
struct GitView {
  KernelSource source;
  std::optional<GitState> state;     // nullopt outside git
  std::vector<std::string> tracked;  // relative to the kernel directory
};

Result<GitView> look_at_git(const std::string& dir, Process& process, const Environment& env) {
  GitView view;
  view.source.dir = dir;
  auto where =
      process.capture({"git", "-C", dir, "rev-parse", "--show-toplevel", "--show-prefix"}, env);
  if (!where.ok() || where->exit_code != 0) return view;  // no git, or not a checkout
  std::string out = where->out;
  size_t nl = out.find('\n');
  view.source.git_top = out.substr(0, nl);
  if (nl != std::string::npos) {
    std::string prefix = out.substr(nl + 1);
    while (!prefix.empty() && (prefix.back() == '\n' || prefix.back() == '\r')) prefix.pop_back();
    view.source.git_prefix = prefix;
  }
  auto state = detect_git_state(dir, process, env);
  if (!state.ok()) return state.take_errors();
  if (!*state)
    return Error{"the kernel is in a git repository (" + *view.source.git_top +
                     ") that has no commit yet, so Nix has no revision to build",
                 {},
                 "commit the sources: git add -A && git commit -m 'initial kernel'"};
  view.state = **state;
  auto files = process.capture({"git", "-C", dir, "ls-files", "-z"}, env);
  if (!files.ok()) return files.take_errors();
  if (files->exit_code != 0)
    return Error{"`git ls-files` failed in " + dir + ": " + tail_lines(files->err), {}, ""};
  view.tracked = parse_nul_separated(files->out);
  return view;
}

// Files below `sub` of the kernel directory, relative to the kernel directory; none when
// `sub` does not exist.
std::vector<std::string> files_below(const Disk& disk, const std::string& dir,
                                     const std::string& sub) {
  std::vector<std::string> out;
  std::string root = join_path(dir, sub);
  if (!disk.stat(root).is_dir) return out;
  auto files = disk.list_files_recursive(root);
  if (!files.ok()) return out;
  for (const auto& f : *files) out.push_back(sub + "/" + f);
  return out;
}

// The id outside git: a hash of the files the build reads (the native backend's rule).
Result<std::string> content_id(const Config& config, const std::vector<std::string>& ext_files,
                               const Disk& disk, const std::string& dir) {
  const std::string pkg = std::string(package_root(config)) + "/" + config.module_name() + "/";
  std::vector<std::string> python;
  for (const auto& f : ext_files)
    if (f.starts_with(pkg)) python.push_back(f.substr(pkg.size()));
  return content_unique_id_of(config, dir, python, disk);
}

// What the checks found: errors stop the build, notes are shown before it.
struct Findings {
  std::vector<Error> errors;
  std::vector<Error> notes;
};

// The checks on flake.nix (or its absence) for `route`.
void check_flake_file(const std::string& dir, NixRoute route, bool in_git,
                      const std::optional<std::string>& builder_ref, const Disk& disk,
                      Findings& found) {
  if (route == NixRoute::expression) {
    found.notes.push_back(Error{
        "no flake.nix: building with " +
            builder_ref.value_or(std::string(k_default_kernel_builder)) +
            " through an impure expression (kernel-builder's newest revision, not a pinned one)",
        {},
        "for sealed release builds, write the canonical flake.nix (kb init-flake), run "
        "`nix flake lock`, and commit both"});
    return;
  }
  const std::string flake_path = join_path(dir, "flake.nix");
  auto text = disk.read_file(flake_path);
  if (!text.ok()) {
    append(found.errors, text.take_errors().list);
    return;
  }
  FlakeCheck check = check_flake_nix(*text, flake_path, builder_ref);
  append(found.errors, std::move(check.errors));
  append(found.notes, std::move(check.warnings));
  if (route != NixRoute::flake) return;
  if (!in_git && check.calls_gen_kernel)
    found.errors.push_back(Error{
        "the kernel has a flake.nix but is not in a git checkout: Nix gives such a flake no "
        "revision, and genKernelFlakeOutputs stops with 'Kernel is not in a git repository'",
        {},
        "commit it (git init && git add -A && git commit -m 'kernel'), or pass --kernel-builder " +
            std::string(k_default_kernel_builder) +
            " to build through kb's expression, which names the build by a hash of its sources"});
  if (!disk.exists(join_path(dir, "flake.lock")))
    found.notes.push_back(
        Error{"flake.lock is missing: Nix resolves kernel-builder's newest revision and writes "
              "flake.lock into the kernel directory",
              {},
              "run `nix flake lock` and commit flake.lock, so that builds use one pinned builder"});
}

// The checks on a git checkout: files Nix would not see, and uncommitted changes.
void check_checkout(const Config& config, const std::vector<std::string>& ext_files,
                    const GitView& git, NixRoute route, const Disk& disk, Findings& found) {
  const std::string& dir = git.source.dir;
  const bool has_flake = route != NixRoute::expression;
  std::vector<std::string> optional = files_below(disk, dir, "benchmarks");
  if (has_flake && disk.exists(join_path(dir, "flake.lock"))) optional.push_back("flake.lock");
  if (disk.exists(join_path(dir, "CARD.md"))) optional.push_back("CARD.md");
  TrackingReport report =
      check_tracked(needed_files(config, ext_files, has_flake, optional), git.tracked);
  append(found.errors, std::move(report.errors));
  append(found.notes, std::move(report.warnings));
  if (!git.state->dirty) return;
  found.notes.push_back(
      route == NixRoute::flake
          ? Error{"the git tree has uncommitted changes: Nix builds them, and kernel-builder marks "
                  "the bundle dirty where Nix gives the flake a dirtyRev; older Nix (2.8 among "
                  "them) gives it no revision and kernel-builder stops with 'Kernel is not in a "
                  "git repository'",
                  {},
                  "commit (or stash) the changes for a release build"}
          : Error{"the git tree has uncommitted changes: they are built, and the bundle id is "
                  "marked dirty (" +
                      git.state->commit.substr(0, 7) + "_dirty)",
                  {},
                  "commit (or stash) the changes for a release build"});
}

// Everything but the variant check and the build command line.
Result<NixPlan> plan_without_variants(const NixBuildRequest& request, Disk& disk, Process& process,
                                      const Environment& env) {
  const std::string dir = request.kernel_dir;
  if (dir.empty() || dir[0] != '/')
    return Error{"kernel directory '" + dir + "' is not an absolute path",
                 {},
                 "kb's Nix backend names the directory to Nix; pass an absolute path"};
  NixPlan plan;
  Findings found;
  auto nix = nix_preflight(process, env, request.options);
  if (nix.ok()) {
    plan.nix = std::move(*nix);
    found.notes = plan.nix.notes;
  } else {
    append(found.errors, nix.take_errors().list);
  }
  auto config = load_config(dir, disk);
  if (!config.ok()) {
    append(found.errors, config.take_errors().list);
    return Errors(std::move(found.errors));
  }
  auto git = look_at_git(dir, process, env);
  if (!git.ok()) {
    append(found.errors, git.take_errors().list);
    return Errors(std::move(found.errors));
  }
  const bool in_git = git->state.has_value();

  std::optional<std::string> builder_ref;
  if (request.kernel_builder) {
    auto ref = kernel_builder_ref(*request.kernel_builder);
    if (ref.ok())
      builder_ref = *ref;
    else
      append(found.errors, ref.take_errors().list);
  }
  plan.route = !disk.exists(join_path(dir, "flake.nix")) ? NixRoute::expression
               : request.kernel_builder                  ? NixRoute::flake_with_builder
                                                         : NixRoute::flake;
  check_flake_file(dir, plan.route, in_git, builder_ref, disk, found);
  const std::vector<std::string> ext_files =
      files_below(disk, dir, std::string(package_root(*config)));
  if (in_git) check_checkout(*config, ext_files, *git, plan.route, disk, found);
  if (!found.errors.empty()) return Errors(std::move(found.errors));

  plan.notes = std::move(found.notes);
  plan.build_dir = request.build_dir.empty() ? join_path(dir, "build") : request.build_dir;
  plan.result_link = join_path(plan.build_dir, ".kb/nix-result");
  if (plan.route == NixRoute::flake) {
    auto ref = flake_ref(git->source, plan.nix.version);
    if (!ref.ok()) return ref.take_errors();
    plan.flake_ref = *ref;
    return plan;
  }
  SelfRevision revision;
  if (in_git) {
    revision.rev = git->state->commit;
    revision.short_rev = revision.rev.substr(0, 7);
    revision.dirty = git->state->dirty;
  } else {
    auto id = content_id(*config, ext_files, disk, dir);
    if (!id.ok()) return id.take_errors();
    revision.short_rev = *id;
  }
  const std::string builder = builder_ref.value_or(std::string(k_default_kernel_builder));
  const bool use_flake = plan.route == NixRoute::flake_with_builder;
  plan.expression = build_expression(git->source, revision, builder, use_flake);
  plan.shell_expression = build_expression(git->source, revision, builder, use_flake, "devShells");
  return plan;
}

// `nix <sub> ...` for the plan's route: installables on the flake, or the expression (the
// package set, or with `shells` the devShells set).
std::vector<std::string> nix_command(const NixPlan& plan, std::vector<std::string> sub,
                                     const std::vector<std::string>& attributes,
                                     bool shells = false) {
  auto argv = nix_argv(plan.nix.program, sub);
  if (plan.route == NixRoute::flake) {
    for (const auto& a : attributes) argv.push_back(plan.flake_ref + "#" + a);
  } else {
    argv.insert(argv.end(),
                {"--impure", "--expr", shells ? plan.shell_expression : plan.expression});
    argv.insert(argv.end(), attributes.begin(), attributes.end());
  }
  return argv;
}

Result<std::vector<std::string>> evaluate_variants(const NixPlan& plan, Process& process,
                                                   const Environment& env,
                                                   const std::string& attribute = "variants") {
  auto argv = nix_command(plan, {"eval", "--json"}, {attribute});
  // Evaluating may fetch the flake's inputs first: minutes, not the seconds of a probe.
  constexpr std::chrono::minutes k_eval_timeout{30};
  auto r = process.capture(argv, env, k_eval_timeout);
  if (!r.ok()) return r.take_errors();
  if (r->timed_out)
    return Error{
        "Nix could not list the kernel's variants: " + timeout_message(argv, k_eval_timeout),
        {},
        "run it yourself to see where it stops: " + shell_join(argv)};
  if (r->exit_code != 0)
    return Error{"Nix could not list the kernel's variants (exit " + std::to_string(r->exit_code) +
                     "):\n" + tail_lines(r->err),
                 {},
                 "run it yourself to see the whole message: " + shell_join(argv)};
  return parse_variants_json(r->out);
}

// Copies the tree at `from` (through symlinks) into `to` as plain files.
Result<Ok> copy_tree(const std::string& from, const std::string& to, Disk& disk) {
  auto files = disk.list_files_recursive(from);
  if (!files.ok()) return files.take_errors();
  KB_TRY(disk.make_dirs(to));
  for (const auto& rel : *files) {
    // read + write rather than copy_file: store files are read-only (0444/0555), and copies
    // into build/ must be writable so that the next build (or the user) can replace them.
    auto bytes = disk.read_file(join_path(from, rel));
    if (!bytes.ok()) return bytes.take_errors();
    KB_TRY(disk.write_file_atomic(join_path(to, rel), *bytes));
  }
  return Ok{};
}

}  // namespace

std::string_view to_string(NixRoute route) {
  switch (route) {
    case NixRoute::flake: return "flake";
    case NixRoute::flake_with_builder: return "flake_with_builder";
    case NixRoute::expression: return "expression";
  }
  return "flake";
}

Result<NixPlan> nix_prepare(const NixBuildRequest& request, Disk& disk, Process& process,
                            const Environment& env) {
  auto plan = plan_without_variants(request, disk, process, env);
  if (!plan.ok()) return plan;
  plan->attributes = build_attributes(request.variants);

  if (!request.variants.empty()) {
    auto known = evaluate_variants(*plan, process, env);
    if (!known.ok()) return known.take_errors();
    std::vector<Error> errors;
    std::string list;
    for (const auto& k : *known) list += (list.empty() ? "" : ", ") + k;
    for (const auto& u : unknown_variants(request.variants, *known))
      errors.push_back(Error{
          "variant '" + u.name + "' is not built by this kernel's flake on " + plan->nix.system,
          {},
          (u.closest.empty() ? "" : "did you mean '" + u.closest + "'? ") +
              "it builds: " + (list.empty() ? "nothing" : list)});
    if (!errors.empty()) return Errors(std::move(errors));
  }

  auto argv = nix_command(*plan, {"build", "-L", "-o", plan->result_link}, plan->attributes);
  if (request.options.max_jobs)
    argv.insert(argv.end(), {"--max-jobs", std::to_string(*request.options.max_jobs)});
  if (request.options.cores)
    argv.insert(argv.end(), {"--cores", std::to_string(*request.options.cores)});
  plan->build_argv = std::move(argv);
  return plan;
}

Result<NixBuildOutcome> nix_execute(const NixPlan& plan, Disk& disk, Process& process,
                                    const Environment& env) {
  KB_TRY(disk.make_dirs(join_path(plan.build_dir, ".kb")));
  auto run = process.run_attached(plan.build_argv, env, plan.build_dir);
  if (!run.ok()) return run.take_errors();
  int code = run->status();
  if (code != 0)
    return Error{run->kb_signal != 0 || code == 130
                     ? "nix build was interrupted"
                     : "nix build failed (exit " + std::to_string(code) + ")",
                 {},
                 "Nix's log is above; to rerun by hand: " + shell_join(plan.build_argv) +
                     (plan.route == NixRoute::flake ? ""
                                                    : "; `nix log <drv>` shows a failed "
                                                      "derivation's full log")};

  NixBuildOutcome outcome;
  outcome.result_link = plan.result_link;
  outcome.notes = plan.notes;
  const std::string stage_root = join_path(plan.build_dir, ".kb/stage");
  // `nix build -o L` with several installables makes L, L-1, L-2, ...
  for (size_t i = 0; i < plan.attributes.size(); ++i) {
    std::string link = i == 0 ? plan.result_link : plan.result_link + "-" + std::to_string(i);
    auto entries = disk.list_dir(link);
    if (!entries.ok())
      return Error{"cannot read Nix's result at " + link,
                   {},
                   "the link should point into /nix/store; with a store elsewhere (`store = ...` "
                   "in the Nix configuration) kb cannot read the result directly"};
    for (const auto& name : *entries) {
      const std::string from = join_path(link, name);
      const std::string to = join_path(plan.build_dir, name);
      if (disk.stat(from).is_dir) {
        const std::string staged = join_path(stage_root, name);
        KB_TRY(disk.remove_all(staged));
        KB_TRY(copy_tree(from, staged, disk));
        KB_TRY(disk.replace_dir(staged, to));
        (name == "benchmarks" ? outcome.extras : outcome.variants).push_back(name);
      } else {
        auto bytes = disk.read_file(from);
        if (!bytes.ok()) return bytes.take_errors();
        KB_TRY(disk.write_file_atomic(to, *bytes));
        outcome.extras.push_back(name);
      }
    }
  }
  std::sort(outcome.variants.begin(), outcome.variants.end());
  std::sort(outcome.extras.begin(), outcome.extras.end());
  return outcome;
}

Result<NixBuildOutcome> nix_build(const NixBuildRequest& request, Disk& disk, Process& process,
                                  const Environment& env) {
  auto plan = nix_prepare(request, disk, process, env);
  if (!plan.ok()) return plan.take_errors();
  return nix_execute(*plan, disk, process, env);
}

Result<std::vector<std::string>> nix_variants(const NixBuildRequest& request, Disk& disk,
                                              Process& process, const Environment& env) {
  // Listing variants evaluates and builds nothing, so the sandbox setting does not matter.
  NixBuildRequest eval_only = request;
  eval_only.options.allow_unsandboxed = true;
  auto plan = plan_without_variants(eval_only, disk, process, env);
  if (!plan.ok()) return plan.take_errors();
  return evaluate_variants(*plan, process, env);
}

Result<Ok> write_canonical_flake(const std::string& kernel_dir, Disk& disk,
                                 std::string_view kernel_builder, bool overwrite) {
  const std::string path = join_path(kernel_dir, "flake.nix");
  if (!overwrite && disk.exists(path))
    return Error{path + " already exists", {}, "remove it first, or ask kb to overwrite it"};
  return disk.write_file_atomic(path, canonical_flake_nix(kernel_builder));
}

Result<NixShellPlan> nix_prepare_shell(const NixShellRequest& request, Disk& disk, Process& process,
                                       const Environment& env) {
  if (request.build.variants.size() > 1)
    return Error{"kb " + std::string(request.test ? "test" : "develop") +
                     " --backend=nix takes at most one --variant",
                 {},
                 "each variant has its own shell; run once per variant"};
  if (request.test && request.build.variants.empty() && !request.command.empty())
    return Error{"the flake's ci-test runs a fixed pytest command and takes no arguments",
                 {},
                 "pass --variant V to run pytest with your arguments in the flake's "
                 "testShells.V (kb matrix --backend=nix lists the variants)"};
  auto plan = plan_without_variants(request.build, disk, process, env);
  if (!plan.ok()) return plan.take_errors();
  NixShellPlan out;
  out.cwd = request.build.kernel_dir;
  const std::optional<std::string> variant =
      request.build.variants.empty() ? std::nullopt
                                     : std::optional<std::string>(request.build.variants[0]);
  if (variant) {
    // Shells are keyed by the Torch arch name (archVariants), not the stable-ABI one.
    auto known = evaluate_variants(*plan, process, env, "archVariants");
    if (!known.ok()) return known.take_errors();
    for (const auto& u : unknown_variants({*variant}, *known)) {
      std::string list;
      for (const auto& k : *known) list += (list.empty() ? "" : ", ") + k;
      return Error{"the flake has no shell for variant '" + u.name + "' on " + plan->nix.system,
                   {},
                   (u.closest.empty() ? "" : "did you mean '" + u.closest + "'? ") +
                       "its arch variants: " + (list.empty() ? "none" : list)};
    }
  }
  plan->build_dir =
      request.build.build_dir.empty() ? join_path(out.cwd, "build") : request.build.build_dir;
  if (request.test && !variant) {
    // The flake's own CI command: build the script, then run it.
    plan->attributes = {"ci-test"};
    plan->result_link = join_path(plan->build_dir, ".kb/nix-ci-test");
    plan->build_argv = nix_command(*plan, {"build", "-L", "-o", plan->result_link}, {"ci-test"});
    out.run_result = true;
    out.plan = std::move(*plan);
    return out;
  }
  std::string shell = !variant       ? "default"
                      : request.test ? "testShells." + *variant
                                     : "devShells." + *variant;
  out.argv = nix_command(*plan, {"develop"}, {shell}, /*shells=*/true);
  if (request.test) {
    out.argv.insert(out.argv.end(), {"--command", "python3", "-m", "pytest",
                                     join_path(out.cwd, "tests"), "-p", "no:cacheprovider"});
    out.argv.insert(out.argv.end(), request.command.begin(), request.command.end());
  } else if (!request.command.empty()) {
    out.argv.push_back("--command");
    out.argv.insert(out.argv.end(), request.command.begin(), request.command.end());
  }
  out.plan = std::move(*plan);
  return out;
}

Result<int> nix_run_shell(const NixShellPlan& plan, Disk& disk, Process& process,
                          const Environment& env) {
  auto status = [](Result<AttachedExit> r) -> Result<int> {
    if (!r.ok()) return r.take_errors();
    return r->status();
  };
  if (!plan.run_result) return status(process.run_attached(plan.argv, env, plan.cwd));
  KB_TRY(disk.make_dirs(join_path(plan.plan.build_dir, ".kb")));
  auto code = status(process.run_attached(plan.plan.build_argv, env, plan.cwd));
  if (!code.ok()) return code.take_errors();
  if (*code != 0)
    return Error{"nix build of the flake's ci-test failed (exit " + std::to_string(*code) + ")",
                 {},
                 "Nix's log is above; to rerun by hand: " + shell_join(plan.plan.build_argv)};
  // ci-test is a script; a package with bin/ holds it there.
  std::string script = plan.plan.result_link;
  if (disk.stat(script).is_dir) {
    auto bin = disk.list_dir(join_path(script, "bin"));
    if (!bin.ok() || bin->size() != 1)
      return Error{"the flake's ci-test (" + script +
                       ") is neither a script nor a package with "
                       "one program in bin/",
                   {},
                   "pass --variant V to run pytest in the flake's testShells.V instead"};
    script = join_path(script, "bin/" + bin->front());
  }
  return status(process.run_attached({script}, env, plan.cwd));
}

}  // namespace kb::nix
