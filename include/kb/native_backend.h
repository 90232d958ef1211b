#pragma once
// The native backend: write the Ninja files and everything their edges read, then run ninja
// attached to the terminal. Bundles are assembled by `kb internal-bundle` edges inside that
// ninja run, so a no-op build runs no command at all.

#include <optional>
#include <string>
#include <vector>

#include "kb/build_plan.h"
#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"

namespace kb::native {

struct NativeRunOptions {
  std::string build_dir{};   // absolute; bundles go to build_dir/<variant>, ninja runs in .kb
  std::string kernel_dir{};  // absolute; the directory holding build.toml
  std::string kb_path{};     // absolute path of the kb binary (bundle and regeneration edges)
  std::string build_toml{};  // absolute path of build.toml
  std::vector<std::string> regen_inputs{};  // more files whose change reruns kb
  std::vector<std::string> regen_args{};    // extra `kb build` arguments for the regeneration
  std::optional<std::string> launcher{};    // e.g. "ccache"
  std::string ninja{};  // ninja executable (Toolchains::ninja); "" looks it up in PATH
  int jobs = 0;       // ninja -j; 0 takes plan.jobs
  std::vector<std::string> targets{};     // variant names to build; empty builds all
  std::vector<std::string> ninja_args{};  // passed before the targets, e.g. {"-d", "explain"}
  bool generate_only = false;  // write the files, do not run ninja
  bool dry_run = false;        // write nothing, run nothing; return the commands as text
};

struct NativeOutcome {
  int exit_code = 0;       // ninja's exit code (130 when interrupted); 0 when it did not run
  bool ran_ninja = false;
  std::string ninja_dir;   // <build_dir>/.kb
  std::vector<std::string> written;  // files whose content changed (empty for a no-op)
  std::string dry_run_text;          // dry_run: every step's command, grouped per variant
  // After a failed run: the requested variants whose bundle is still not up to date (the
  // failed ones, and any ninja did not reach after the first failure).
  std::vector<std::string> unfinished_variants;
  // After a failed run: the command that repeats the build showing every command line.
  std::string rerun_command;
  // After a failed run: set when the file system of the build dir has less than
  // k_low_space_bytes available, the likely cause (a compiler then reports "No space left on
  // device", lld dies with SIGBUS and a stack dump).
  std::optional<Error> low_space;
};

// Less available space than this on the build dir's file system after a failed build is
// reported as its likely cause.
inline constexpr int64_t k_low_space_bytes = 64LL << 20;

// Writes every variant's work files and bundle manifest, the Ninja files,
// compile_commands.json and .kb/variants.txt (each only when its content changed), then
// runs `ninja -C <build_dir>/.kb -j <jobs> [ninja_args] [targets]` attached, with
// NINJA_STATUS set unless the environment already has it. A failed ninja is a value
// (exit_code != 0), not an error. Fails when a file cannot be written, a target names no
// planned variant, ninja cannot be found, or ninja cannot be started.
Result<NativeOutcome> run_native_build(const BuildPlan& plan, const NativeRunOptions& options,
                                       Disk& disk, Process& process, const Environment& env);

// The dry-run text: for each (requested) variant, a "# <variant>" line, then the shell-quoted
// command of every hipify step, compile, the link and the bundle step, in the plan's order.
std::string dry_run_text(const BuildPlan& plan, const NativeRunOptions& options);

// Removes what kb made in `build_dir`: the bundles listed in <build_dir>/.kb/variants.txt,
// <build_dir>/compile_commands.json and <build_dir>/.kb itself. Never removes anything else. A build dir without .kb is not an
// error. Fails when a removal fails.
Result<Ok> clean_build(const std::string& build_dir, Disk& disk);

}  // namespace kb::native
