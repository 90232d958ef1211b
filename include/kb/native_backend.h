#pragma once
// The native backend: write the Ninja files and everything their edges read, then run ninja
// attached to the terminal. Bundles are assembled by `kb internal-bundle` edges inside that
// ninja run, so a no-op build runs no command at all.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/build_plan.h"
#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"
#include "kb/timings.h"

namespace kb::native {

struct NativeRunOptions {
  std::string build_dir{};   // absolute; bundles go to build_dir/<variant>, ninja runs in .kb
  std::string kernel_dir{};  // absolute; the directory holding build.toml
  std::string kb_path{};     // absolute path of the kb binary (bundle and regeneration edges)
  std::string build_toml{};  // absolute path of build.toml
  std::vector<std::string> regen_inputs{};  // more files whose change reruns kb
  std::vector<std::string> regen_args{};    // extra `kb build` arguments for the regeneration
  std::optional<std::string> launcher{};    // e.g. "ccache"
  bool overlap_nvcc = false;  // nvcc through `kb internal-nvcc` (NinjaOptions::overlap_nvcc)
  std::string ninja{};        // ninja executable (Toolchains::ninja); "" looks it up in PATH
  int jobs = 0;               // ninja -j; 0 takes plan.jobs
  std::vector<std::string> targets{};  // variant names to build; empty builds all planned
  // Written into ninja's environment as KB_BUILD_LOCK_HOLDER (see lock_build_dir); "" for
  // none.
  std::string lock_holder{};
  std::vector<std::string> ninja_args{};  // passed before the targets, e.g. {"-d", "explain"}
  bool generate_only = false;             // write the files, do not run ninja
  bool dry_run = false;                   // write nothing, run nothing; return the commands as text
};

struct NativeOutcome {
  int exit_code = 0;  // ninja's exit code; 0 when it did not run
  bool ran_ninja = false;
  // A dry run (with history) found nothing to do, so ninja was not run for real: no job ran.
  bool up_to_date = false;
  // SIGINT, SIGTERM or SIGHUP when kb received one while ninja ran: kb passed it on and
  // ninja stopped. 0 otherwise.
  int interrupted_by = 0;
  std::string ninja_dir;             // <build_dir>/.kb
  std::vector<std::string> written;  // files whose content changed (empty for a no-op)
  std::string dry_run_text;          // dry_run: every step's command, grouped per variant
  // The jobs this ninja run did: the lines it added to .ninja_log (kb/timings.h).
  std::vector<NinjaLogEntry> log_entries;
  int64_t ninja_wall_ms = 0;  // how long ninja ran
  int jobs = 0;               // the -j ninja ran with (0: ninja's default)
  // The time the build was expected to take, from the .ninja_log durations of every job
  // ninja was about to run (estimate_build_ms), shown in ninja's status line; -1 when some
  // job had no history, NINJA_STATUS was the user's, or nothing was to run.
  int64_t estimate_ms = -1;
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
// runs `ninja -C <build_dir>/.kb -j <jobs> [ninja_args] <variants>` attached, naming as
// targets the variants in `targets` (all planned ones when empty), never ninja's default;
// NINJA_STATUS is set unless the environment already has it, and carries the expected
// duration ("[3/10 4.2s of ~12s]") when .ninja_log has the duration of every job a dry run
// (`ninja -n`) says will run. Records the log lines ninja added (log_entries). A failed or
// interrupted ninja is a value (exit_code, interrupted_by), not an error. Fails when a file cannot
// be written, a target names no planned variant, ninja cannot be found, or ninja cannot be started.
// The caller holds the build dir's lock (lock_build_dir).
Result<NativeOutcome> run_native_build(const BuildPlan& plan, const NativeRunOptions& options,
                                       Disk& disk, Process& process, const Environment& env);

// The dry-run text: for each (requested) variant, a "# <variant>" line, then the shell-quoted
// command of every hipify step, compile, the link and the bundle step, in the plan's order.
std::string dry_run_text(const BuildPlan& plan, const NativeRunOptions& options);

// <build_dir>/.kb/lock: the file `kb build` and `kb clean` lock.
std::string build_lock_path(std::string_view build_dir);

// The variable kb sets in ninja's environment to the lock holder's text (its pid).
inline constexpr const char* k_lock_holder_env = "KB_BUILD_LOCK_HOLDER";

struct BuildLockOptions {
  std::string owner;  // what identifies this process to others: its pid
  bool wait = false;  // wait for the other kb instead of failing
  // KB_BUILD_LOCK_HOLDER of this process's environment. A kb started by ninja's
  // regeneration edge runs under the kb that holds the lock and runs that ninja; when the
  // lock's holder is this value, the lock is its parent's and is not taken again.
  std::optional<std::string> inherited_holder{};
  // Called once, with the holder's text, before waiting (wait only).
  std::function<void(const std::string& holder)> on_wait{};
};

// Locks `build_dir` (its .kb/lock, through Disk::lock_file) for one `kb build` or `kb
// clean`, from planning to the end of ninja: two kb processes never write one build dir at
// once. Returns the lock, to be kept until the work is done, or null when the holder is
// options.inherited_holder. Fails with "another kb is building here (pid N)" when another
// process holds it and !options.wait, or when the lock file cannot be created.
Result<std::unique_ptr<FileLock>> lock_build_dir(const std::string& build_dir, Disk& disk,
                                                 const BuildLockOptions& options);

// Removes what kb made in `build_dir`: the bundles listed in <build_dir>/.kb/variants.txt,
// <build_dir>/compile_commands.json and <build_dir>/.kb itself (its lock file included: the
// caller holds the lock, and a kb waiting for it opens the file again). Never removes
// anything else. A build dir without .kb is not an error. Fails when a removal fails.
Result<Ok> clean_build(const std::string& build_dir, Disk& disk);

}  // namespace kb::native
