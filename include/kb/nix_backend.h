#pragma once
// `kb build --backend=nix`: a thin front end to the kernel-builder Nix flake.
//
// kb checks the Nix installation and the kernel directory first (each problem with its fix),
// then runs one `nix build -L` attached to the terminal, then copies every top-level entry of
// the result (variant directories, CARD.md, benchmarks/) into build/, each variant swapped in
// atomically, as plain writable files. Nix does the building; kb adds no build logic.
//
// Three ways to reach kernel-builder (NixRoute):
//   flake       the kernel has flake.nix: `nix build <ref>#bundle` with the flake's own locked
//               kernel-builder. <ref> is git+file://<top>?dir=<sub> in a git checkout (what
//               `nix build .` uses, so Nix sees exactly the tracked files and `self.rev` is set)
//               and path:<dir> outside git.
//   flake_with_builder
//               the kernel has flake.nix and --kernel-builder REF was given: kb imports the
//               kernel's flake.nix and calls its `outputs` with `kernel-builder = getFlake REF`
//               and a `self` carrying the git revision, through `nix build --impure --expr`.
//               (`--override-input` would be shorter, but Nix then treats the kernel flake as
//               modified and drops `self.rev`, which genKernelFlakeOutputs refuses.)
//   expression  no flake.nix: `genKernelFlakeOutputs { path; self; }` of `getFlake REF`
//               (default github:huggingface/kernels) through `--impure --expr`.
// In a git checkout the two impure routes read the sources through builtins.fetchGit, so all
// three routes see the same files: the tracked ones.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"
#include "kb/version.h"

namespace kb::nix {

// The kernel-builder flake used when the kernel has no flake.nix and none is given.
inline constexpr std::string_view k_default_kernel_builder = "github:huggingface/kernels";

// What kb found out about the installed Nix (`nix --version`, `nix show-config --json`).
struct NixInfo {
  std::string program;                             // absolute path of the nix binary
  Version version;                                 // 2.8 for "nix (Nix) 2.8.0"
  std::string version_text;                        // "2.8.0"
  std::string sandbox;                             // "true", "false" or "relaxed"
  std::vector<std::string> substituters;           // effective list (extra-substituters included)
  std::vector<std::string> experimental_features;  // as configured, before kb's own flags
  std::string store;                               // "auto", "daemon", a URL or a path
  std::string system;                              // the platform Nix builds for: "x86_64-linux"
  // Findings that do not stop the build (flakes off in the config, an unreachable or
  // missing binary cache, ...), each with its fix in `hint`.
  std::vector<Error> notes;
};

// Settings shared by every Nix call kb makes.
struct NixOptions {
  bool allow_unsandboxed = false;  // build even when the Nix sandbox is off
  bool probe_substituters = true;  // try each http(s) substituter once (about 0.1 s each)
  std::optional<int> max_jobs;     // --max-jobs N
  std::optional<int> cores;        // --cores N
};

// Runs `nix --version` and `nix show-config --json` (with the nix-command and flakes features
// passed on the command line, as every later call does). Fails with one error per problem:
// nix missing from PATH, older than 2.4, a configuration that cannot be read, or the sandbox
// off (unless options.allow_unsandboxed) or relaxed, each with the fix.
Result<NixInfo> nix_preflight(Process& process, const Environment& env,
                              const NixOptions& options = {});

// One `kb build --backend=nix` (or `kb matrix --backend=nix`) request.
struct NixBuildRequest {
  std::string kernel_dir;                     // absolute path of the kernel directory
  std::vector<std::string> variants;          // empty: the whole bundle (#bundle)
  std::optional<std::string> kernel_builder;  // --kernel-builder REF (a flake ref or a directory)
  std::string build_dir;                      // default: <kernel_dir>/build
  NixOptions options;
};

enum class NixRoute { flake, flake_with_builder, expression };

// "flake", "flake_with_builder", "expression".
std::string_view to_string(NixRoute route);

// Everything decided before Nix builds anything; printing `notes` and `build_argv` before
// calling nix_execute tells the user what is about to happen.
struct NixPlan {
  NixInfo nix;
  NixRoute route = NixRoute::flake;
  std::string flake_ref;                // flake route: git+file://... or path:...
  std::string expression;               // impure routes: the Nix expression
  std::string shell_expression;         // impure routes: the same, giving devShells.<system>
  std::vector<std::string> attributes;  // "bundle" or redistributable.<variant>...
  std::string build_dir;                // absolute
  std::string result_link;              // <build>/.kb/nix-result: a GC root for the result
  std::vector<std::string> build_argv;  // the `nix build` command line
  std::vector<Error> notes;             // nix.notes, then the kernel's: dirty tree, ...
};

// Pre-flights Nix, reads build.toml, looks at git and flake.nix, and (for --variant) checks the
// names against the flake's `variants`. Runs no build. Fails with every problem found, each
// with its fix: Nix problems (see nix_preflight), a relative kernel_dir, a missing or invalid
// build.toml, missing source files, files Nix would not see (named in build.toml but not
// tracked by git), renamed kernel-builder entry points in flake.nix, a flake kernel outside
// git, and unknown variant names (with the closest name).
Result<NixPlan> nix_prepare(const NixBuildRequest& request, Disk& disk, Process& process,
                            const Environment& env);

// What a finished Nix build put into build/.
struct NixBuildOutcome {
  std::vector<std::string> variants;  // variant directories now in build/, sorted
  std::vector<std::string> extras;    // other top-level entries copied (CARD.md, benchmarks)
  std::string result_link;            // the GC root kept for the result
  std::vector<Error> notes;           // the plan's notes
};

// Runs plan.build_argv attached to the terminal, then copies the result into plan.build_dir:
// each directory is staged in <build>/.kb/stage/ and swapped in with Disk::replace_dir,
// top-level files are written atomically; every copied file is a plain writable file
// (mode 0644, symlinks dereferenced). Fails when nix exits non-zero (130: interrupted) or a
// copy fails; build/ is then left as it was for every variant not yet swapped in.
Result<NixBuildOutcome> nix_execute(const NixPlan& plan, Disk& disk, Process& process,
                                    const Environment& env);

// nix_prepare, then nix_execute.
Result<NixBuildOutcome> nix_build(const NixBuildRequest& request, Disk& disk, Process& process,
                                  const Environment& env);

// The variant names the flake builds on this machine (`nix eval ...#variants --json`), after
// the same checks as nix_prepare, except that request.variants is ignored and the sandbox may
// be off (evaluating builds nothing). Fails as nix_prepare does, or when the evaluation fails
// (the end of its stderr in the message) or does not give a list of strings.
Result<std::vector<std::string>> nix_variants(const NixBuildRequest& request, Disk& disk,
                                              Process& process, const Environment& env);

// `kb test --backend=nix` or `kb develop --backend=nix`: the flake's test and dev shells
// (docs/nix-backend.md; docs/testing.md).
struct NixShellRequest {
  NixBuildRequest build;             // kernel_dir, kernel_builder, options; at most one variant
  bool test = false;                 // kb test (else kb develop)
  std::vector<std::string> command;  // after "--": pytest's arguments, or the command to run
};

// What runs. kb test without a variant builds the flake's ci-test (`nix build -o
// <build>/.kb/nix-ci-test <ref>#ci-test`, in plan.build_argv) and runs the result; kb test
// --variant V runs `nix develop <ref>#testShells.V --command python3 -m pytest <dir>/tests -p
// no:cacheprovider ARGS`; kb develop runs `nix develop <ref>#devShells.V` (or the default
// shell) with `--command CMD...` when a command is given.
struct NixShellPlan {
  NixPlan plan;
  bool run_result = false;        // build plan.build_argv, then run plan.result_link
  std::vector<std::string> argv;  // otherwise: the `nix develop` command line
  std::string cwd;                // the kernel directory
};

// Pre-flights as nix_variants does (the sandbox setting included) and checks a --variant
// against the flake's archVariants. Fails as nix_prepare does, for more than one variant,
// for an unknown variant (with the closest name), and for pytest arguments without a
// variant (ci-test takes none).
Result<NixShellPlan> nix_prepare_shell(const NixShellRequest& request, Disk& disk, Process& process,
                                       const Environment& env);

// Runs the plan attached to the terminal, in the kernel directory; returns the exit status
// of the tests or the shell. Fails when a program cannot be started, when building ci-test
// fails, or when its result is not a runnable script.
Result<int> nix_run_shell(const NixShellPlan& plan, Disk& disk, Process& process,
                          const Environment& env);

// Writes the canonical flake.nix (canonical_flake_nix, backends/nix/flake.h) to
// <kernel_dir>/flake.nix. Fails when the file exists and `overwrite` is false, or when the
// write fails.
Result<Ok> write_canonical_flake(const std::string& kernel_dir, Disk& disk,
                                 std::string_view kernel_builder = k_default_kernel_builder,
                                 bool overwrite = false);

}  // namespace kb::nix
