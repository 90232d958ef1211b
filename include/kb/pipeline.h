#pragma once
// kb's stages and its commands, as short linear functions over them:
// build.toml -> Config -> Toolchains -> Matrix -> BuildPlan -> build.ninja -> ninja -> bundles.
// Each command takes one Request (kb/request.h) and the seams (Io) and returns a value (an
// outcome); what the user sees on the way goes through Io::status. Only the CLI prints.

#include <string>
#include <vector>

#include "kb/abi_check.h"
#include "kb/arch_select.h"
#include "kb/bundle_check.h"
#include "kb/bundle_merge.h"
#include "kb/config.h"
#include "kb/config_load.h"
#include "kb/deps.h"
#include "kb/disk.h"
#include "kb/error.h"
#include "kb/matrix.h"
#include "kb/process.h"
#include "kb/request.h"
#include "kb/status.h"
#include "kb/toolchain.h"

namespace kb {

// The seams every command works through.
struct Io {
  Disk& disk;
  Process& process;
  const Environment& env;
  Status& status = quiet_status();  // what the user sees while the command runs
};

// Discovers toolchains (cached in $KB_CACHE_DIR, else $XDG_CACHE_HOME/kb, else ~/.cache/kb),
// each probe limited to KB_PROBE_TIMEOUT seconds (default: k_probe_timeout). Fails on a
// KB_PROBE_TIMEOUT that is no positive number, and as discover_toolchains does.
Result<Toolchains> find_toolchains(const ToolchainQuery& query, Io& io);

// Config, toolchains and the matrix computed from them.
struct MatrixReport {
  Config config;
  Toolchains toolchains;
  Matrix matrix;
  std::vector<DepStatus> deps;  // one per depends name of build.toml (kb/deps.h)
  ArchSelections archs;         // what the CUDA and ROCm variants are built for
};

// How to choose the archs (kb/arch_select.h): --cuda-archs / --rocm-archs as given (nullopt:
// not given; then $KB_CUDA_ARCHS / $KB_ROCM_ARCHS, else native).
struct ArchRequest {
  std::optional<std::string> cuda;
  std::optional<std::string> rocm;
  bool use_cache = true;  // the GPU probe's answer may come from kb's cache (not --no-cache)
};

// The ArchRequest of a native request: its --cuda-archs/--rocm-archs, and the GPU cache
// unless --no-cache.
ArchRequest arch_request(const Request& request);

// The selections for `request`: the choice from the option or environment, then, for a
// native choice where the config has kernels of that backend and a toolkit was found, this
// machine's GPUs (toolchains/gpu_cache.h, cached). Fails on a malformed option or
// environment value.
Result<ArchSelections> select_archs(const ArchRequest& request, const Config& config,
                                    const Toolchains& toolchains, Io& io);

// The interpreters pip may run with to fetch a dependency: each Torch install's (venvs made
// by pip), then python3.
std::vector<std::string> pip_pythons(const Toolchains& toolchains);

// Looks up the header trees of `config`'s dependencies (kb/deps_resolve.h) with the --dep
// options of `query`, fetching into kb's cache when `fetch`. Fails on a bad --dep or a wrong
// explicit tree (never for a dependency that is merely missing: its status says why).
Result<std::vector<DepStatus>> find_dependencies(const Config& config, const ToolchainQuery& query,
                                                 const Toolchains& toolchains, bool fetch,
                                                 bool full_verify, Io& io);

// Loads the config, discovers toolchains, resolves the dependencies (fetching what is
// missing), computes the matrix, and rejects the variants whose dependencies are missing.
// Fails as load_config, find_toolchains, select_archs, make_matrix or find_dependencies do.
Result<MatrixReport> compute_matrix(const std::string& kernel_dir, const ToolchainQuery& query,
                                    Io& io, const ArchRequest& archs = {});

}  // namespace kb

#include "kb/build_plan.h"

namespace kb {

// Everything decided before anything is written.
struct PreparedBuild {
  MatrixReport report;
  BuildOptions options;
  BuildPlan plan;  // only the requested variants
  // What the user should know about the plan: e.g. a binding that keeps the unique id on
  // its command line (kb/binding_scan.h), with where and why.
  std::vector<Error> notes;
};

// Loads the config, discovers toolchains, resolves the dependencies and computes the matrix
// (compute_matrix), keeps the requested variants,
// derives the unique id (--unique-id, else git tree id, else a content hash), lists the
// author's Python files, reads the [torch] src files to decide whether the id can stay out
// of the binding TUs (kb/binding_scan.h), picks the linker (kb/linker.h), and plans the
// build. Fails on any config error, a dependency that a variant to build lacks (located in
// build.toml, kb/deps.h), an unknown --variant (with the closest name), a --linker
// that cannot be used, a missing torch-ext/<mod>/__init__.py, or no buildable variant. An
// unknown variant and no buildable variant also list, as errors, every toolchain the user
// named that kb could not use (unusable_named_toolchains): the likeliest cause.
// Reads request.kernel_dir, out_dir, variants, jobs, memory_budget_bytes, unique_id,
// linker, id_in_binding, kb_path and query.
Result<PreparedBuild> prepare_build(const Request& request, Io& io);

}  // namespace kb

#include "kb/native_backend.h"

namespace kb::command {

// The commands, one function each. Each reads only its Request and the seams, reports
// progress and findings through io.status, and returns its outcome for the CLI to show.

// `kb check-config`: the config of request.kernel_dir_given, checked as load_config checks
// it. Fails as load_config does.
Result<Config> check_config(const Request& request, Io& io);

// `kb toolchains`: the toolchains request.query finds. Fails as find_toolchains does.
Result<Toolchains> toolchains(const Request& request, Io& io);

// What `kb matrix` found: the native matrix, or the flake's variant names (nix).
struct MatrixOutcome {
  std::optional<MatrixReport> native;     // set for the native backend
  std::vector<std::string> nix_variants;  // the flake's variants (nix backend)
};

// `kb matrix` for request.backend: compute_matrix of request.kernel_dir_given (native), or the
// variants the kernel's flake offers (nix). Fails as compute_matrix or nix_variants do.
Result<MatrixOutcome> matrix(const Request& request, Io& io);

// What `kb build` did.
struct BuildOutcome {
  std::optional<PreparedBuild> prepared;  // native: what was planned
  std::string dry_run_text;               // --dry-run: the commands, and nothing was run
  native::NativeOutcome run;              // native: ninja's result (a failure is a value)
  std::vector<std::string> bundles;       // the bundle directories now up to date
  // native, once ninja ran: where this build's time went (kb/timings.h), and the reports
  // written for request.timings (absolute paths)
  std::optional<Timings> timings;
  std::vector<std::string> timings_files;
  // Whether ninja failed or was interrupted (run says how): no bundle list then.
  bool failed() const { return run.exit_code != 0 || run.interrupted_by != 0; }
  // --abi=warn|error: the verdict on each Linux bundle written (kb/abi_check.h).
  std::vector<VariantVerdict> abi;
  // Whether a verdict failed and request.abi is "error".
  bool abi_failed = false;
};

// `kb build` with request.backend. Native: loads the config, locks the build dir (not for a
// dry run), prepares the build (prepare_build), reports its findings and dropped archs,
// writes the Ninja files and runs ninja, then computes the timings of the jobs it ran and
// writes the reports request.timings asks for to <out>/.kb/timings.{html,json,trace.json}. Nix:
// prepares the flake build, locks the build dir and runs nix build. A failed or interrupted ninja
// is a value (BuildOutcome::run). Fails on any config, toolchain or plan error, a build dir locked
// by another kb (without request.wait), a timings report that cannot be written, and as
// run_native_build or nix_execute fail.
Result<BuildOutcome> build(const Request& request, Io& io);

// `kb check-abi`: the verdict on each variant under request.kernel_dir (a kernel dir, a build
// dir or one bundle; check_abi_tree) against request.manylinux and request.python_abi.
// Fails on an unknown policy, a malformed --python-abi, or when no bundle is found.
Result<std::vector<VariantVerdict>> check_abi(const Request& request, Io& io);

// `kb check-builds`: each directory of the build dir of request.kernel_dir (DIR/build, or DIR
// itself when it is a build dir; check_build_tree), stale ones judged against DIR/build.toml
// when there is one (an unreadable build.toml is a note, and only ids decide staleness).
// Fails when the build dir cannot be listed or holds no directory.
Result<std::vector<BundleCheck>> check_builds(const Request& request, Io& io);

// `kb bundle merge DIR... --out OUT`: locks request.out_dir as `kb build` does (so no build
// writes it meanwhile) and merges the bundles of request.bundle_inputs into it
// (merge_bundles, kb/bundle_merge.h). A refused merge into a directory that did not exist
// leaves none (not even the lock). Fails as lock_build_dir and merge_bundles fail.
Result<MergeOutcome> bundle_merge(const Request& request, Io& io);

// What `kb test` did.
struct TestOutcome {
  BuildOutcome build;  // native: the build before the tests; when it failed no test ran
  int ran = 0;         // Torch installs the tests ran with
  int exit_code = 0;   // the first non-zero pytest (or flake test) exit code, else 0
};

// `kb test`: native builds (as build does) and runs pytest on the kernel's tests once per
// Torch install with the variant it loads; nix runs the flake's ci-test or test shell.
// Fails on a config without tests, a build error, a shim that cannot be written, pytest
// that cannot be started, or when no built variant suits any Torch install.
Result<TestOutcome> test_kernel(const Request& request, Io& io);

// `kb develop`: runs request.passthrough (else $SHELL) in the test environment of the first
// Torch install, with the variant it loads (native), or in the flake's dev shell (nix).
// Returns the command's exit code (its signal status when kb got SIGTERM or SIGHUP). Fails
// when no Torch is found, a requested variant is not built, or the command cannot start.
Result<int> develop(const Request& request, Io& io);

// What `kb deps` found.
struct DepsOutcome {
  std::vector<DepStatus> deps;
  std::vector<Error> missing;  // `kb deps fetch`: each dependency still missing
};

// `kb deps` (request.fetch: `kb deps fetch`): where each dependency comes from. Fails on a
// config error, a bad --dep, and (fetch) as find_toolchains fails.
Result<DepsOutcome> deps(const Request& request, Io& io);

// `kb clean`: removes kb's outputs in request.out_dir, under its lock. Nothing to do when
// kb never built there. Fails when the lock cannot be taken or a removal fails.
Result<Ok> clean(const Request& request, Io& io);

}  // namespace kb::command
