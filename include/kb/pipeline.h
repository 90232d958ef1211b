#pragma once
// kb's commands as short linear functions over the stages:
// build.toml -> Config -> Toolchains -> Matrix -> BuildPlan -> build.ninja -> ninja -> bundles.
// Each returns values (text to show, outcomes); only the CLI prints.

#include <string>
#include <vector>

#include "kb/config.h"
#include "kb/deps.h"
#include "kb/disk.h"
#include "kb/error.h"
#include "kb/matrix.h"
#include "kb/process.h"
#include "kb/toolchain.h"

namespace kb {

// The seams every command works through.
struct Io {
  Disk& disk;
  Process& process;
  const Environment& env;
};

// Where to look for toolchains (from --torch/--cuda/--rocm/--no-cache) and for the header
// trees of the kernel's dependencies (--dep).
struct ToolchainQuery {
  std::vector<std::string> torch;
  std::vector<std::string> cuda;
  std::vector<std::string> rocm;
  bool use_cache = true;
  std::vector<std::string> deps = {};  // --dep NAME=PATH, PATH absolute (kb/deps.h)
};

// The most kb reads of a build.toml (real ones are a few KiB).
inline constexpr int64_t k_max_build_toml_bytes = int64_t{4} << 20;

// Reads and parses the build.toml at `path` (no check of the files it names). Fails when it
// is no regular file, is larger than k_max_build_toml_bytes or cannot be read, and on every
// problem parse_config finds.
Result<Config> load_config_file(const std::string& path, const Disk& disk);

// Reads and validates DIR/build.toml, including that every file named in src exists and is
// a regular file. Fails with every problem found, each located in build.toml.
Result<Config> load_config(const std::string& kernel_dir, const Disk& disk);

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
};

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
Result<MatrixReport> compute_matrix(const std::string& kernel_dir, const ToolchainQuery& query,
                                    Io& io);

}  // namespace kb

#include "kb/build_plan.h"

namespace kb {

// What `kb build` was asked for, with paths already made absolute by the caller.
struct BuildRequest {
  std::string kernel_dir;                  // absolute
  std::string out_dir;                     // absolute; default kernel_dir/build
  std::vector<std::string> variants;       // --variant; empty = all buildable
  int jobs = 2;
  int64_t memory_budget_bytes = 8LL << 30; // memory kb may plan nvcc concurrency against
  std::optional<std::string> unique_id;    // --unique-id
  std::optional<std::string> launcher;     // --launcher
  std::string linker = "auto";             // --linker (kb/linker.h)
  bool id_in_binding = false;              // --id-in-binding: never late-bind the namespace
  std::string kb_path;                     // absolute path of this kb binary
  ToolchainQuery query;
};

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
Result<PreparedBuild> prepare_build(const BuildRequest& request, Io& io);

}  // namespace kb
