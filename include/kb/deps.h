#pragma once
// C++ header dependencies (`depends = ["cutlass_3_8"]` of a [kernel.*] section): the pins,
// the order in which kb looks for a header tree, and what it found. Pure: the look-up itself
// (disk, pip, git) is in kb/deps_resolve.h. See docs/dependencies.md.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kb/config.h"
#include "kb/error.h"
#include "kb/matrix.h"

namespace kb {

// What a `depends` name stands for.
enum class DepKind {
  framework,  // "torch": the Torch install of each variant, never resolved separately
  cutlass,    // NVIDIA CUTLASS (and CuTe) headers, include/ of the source tree
  sycl_tla,   // Intel's SYCL port of CUTLASS (XPU builds, which kb does not do)
  metal_cpp,  // Apple's metal-cpp headers (Metal builds, which kb does not do)
};

// "framework", "cutlass", "sycl_tla", "metal-cpp".
std::string_view to_string(DepKind kind);

// One name of the `depends` enum and the exact version it stands for.
struct DepPin {
  std::string name;  // "cutlass_3_8"
  DepKind kind = DepKind::cutlass;
  std::string version;  // "3.8.0" (exact: never another patch release); "" when unpinned
  Backend backend = Backend::cuda;  // the only backend whose builds get the headers
  bool buildable = true;            // false: recognised, but kb cannot provide or use it here
};

// Every name build.toml's `depends` accepts, in the reference's order: torch,
// cutlass_2_10 (2.10.0), cutlass_3_5 (3.5.1), cutlass_3_6 (3.6.0), cutlass_3_8 (3.8.0),
// cutlass_3_9 (3.9.2), cutlass_4_0 (4.0.0), cutlass_4_4 (4.4.2), cutlass_4_5 (4.5.2),
// sycl_tla, metal-cpp.
const std::vector<DepPin>& dep_pins();

// The pin of `name`; nullptr for a name outside the enum.
const DepPin* find_dep_pin(std::string_view name);

// Where a header tree can come from.
enum class DepRoute {
  option,       // --dep NAME=PATH
  environment,  // CUTLASS_SRC_DIR (the reference's variable)
  cache,        // kb's dependency cache, one entry per exact version
  pypi,         // the nvidia-cutlass wheel of the pinned version, through pip
  git,          // NVIDIA's CUTLASS repository at tag v<version>, shallow
};

// "option", "environment", "cache", "pypi", "git".
std::string_view to_string(DepRoute route);

// The routes in the order kb tries them: the explicit ones first (a path the user names is
// always used, and a wrong one is an error, never skipped), then what is on this machine,
// then the network. The first that yields the pinned version wins.
const std::vector<DepRoute>& dep_resolution_order();

// Whether a route downloads (and so fills the cache).
bool is_fetch_route(DepRoute route);

// One place build.toml lists a dependency.
struct DepUse {
  std::string section;  // kernel section name
  Backend backend = Backend::cpu;
  SourceLoc loc;  // of the entry in the depends array
};

// One dependency of a kernel, with every section that lists it.
struct DepRequirement {
  DepPin pin;
  std::vector<DepUse> uses;  // in file order
};

// The distinct `depends` names of `config`, in order of first use, with their uses.
// Names outside the enum are skipped (parse_config rejects them).
std::vector<DepRequirement> dependency_requirements(const Config& config);

// Whether some requirement needs a header tree (anything but torch).
bool has_header_dependencies(const std::vector<DepRequirement>& reqs);

// --dep NAME=PATH options as a map. Fails, per bad option, on a missing '=' or an empty
// side, a name outside the enum (with the closest name), a name kb cannot provide (torch,
// sycl_tla, metal-cpp), or a name given twice with different paths.
Result<std::map<std::string, std::string>> parse_dep_options(
    const std::vector<std::string>& options);

// The version CUTLASS's include/cutlass/version.h declares ("3.8.0" from its
// CUTLASS_MAJOR, CUTLASS_MINOR and CUTLASS_PATCH defines); nullopt when one is missing.
std::optional<std::string> parse_cutlass_version(std::string_view version_h);

// The content hash of a header tree: "sha256:" + lowercase hex SHA-256 of the lines
// "<sha256 hex of the file>  <path>\n", one per file, sorted by path (bytewise); paths are
// relative to the tree's root with '/'. This is what `sha256sum` prints for the sorted file
// list, so `cd include && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum |
// sha256sum` checks it. `files` is (path, hex hash of its bytes), in any order.
std::string tree_content_hash(std::vector<std::pair<std::string, std::string>> files);

// A cheap fingerprint of a tree's metadata: "stat:" + hex SHA-256 of "<path> <size>
// <mtime_ns>\n" lines, sorted by path. Equal fingerprints mean no file was added, removed,
// resized or rewritten since the content hash was taken; `files` is (path, "size mtime").
std::string tree_stat_fingerprint(std::vector<std::pair<std::string, std::string>> files);

// What the cache records beside a header tree (kb-dep.json).
struct DepCacheManifest {
  int format = 1;
  std::string name;                 // "cutlass_3_8"
  std::string version;              // "3.8.0"
  DepRoute route = DepRoute::pypi;  // how it was fetched
  std::string origin;               // "nvidia-cutlass==3.8.0.0" or "<url> v3.8.0"
  std::string content_hash;         // tree_content_hash of include/ when it was filled
  std::string stat_fingerprint;     // tree_stat_fingerprint of include/ when last verified
  int files = 0;
};

// The manifest as JSON text.
std::string render_dep_manifest(const DepCacheManifest& manifest);

// The manifest from its text. Fails on malformed JSON, a missing field or another format.
Result<DepCacheManifest> parse_dep_manifest(std::string_view text);

// "cutlass-3.8.0": the cache entry's directory name for a pin.
std::string dep_cache_entry_name(const DepPin& pin);

// "nvidia-cutlass==3.8.0.0": the pip requirement of a CUTLASS pin (PyPI's versions have a
// fourth component).
std::string pypi_requirement(const DepPin& pin);

// "v3.8.0": the git tag of a CUTLASS pin.
std::string git_tag(const DepPin& pin);

// The repository the git route clones unless KB_CUTLASS_GIT_URL names another.
inline constexpr std::string_view k_cutlass_git_url = "https://github.com/NVIDIA/cutlass.git";

// What kb found for one dependency.
struct DepStatus {
  enum class State {
    resolved,     // include_dir holds the pinned version
    missing,      // every route failed; `reasons` says how
    framework,    // torch: the variant's own Torch install
    unsupported,  // sycl_tla, metal-cpp: their backends are not built by kb
  };
  DepRequirement requirement;
  State state = State::missing;
  std::optional<DepRoute> route = {};  // where it came from (resolved only)
  std::string origin = {};             // the path given, "nvidia-cutlass==3.8.0.0", "<url> v3.8.0"
  std::string include_dir = {};        // absolute; goes on the include path as -isystem
  std::string content_hash = {};       // tree_content_hash, when known
  // One line per route that did not give it (for a resolved one: what failed before the
  // route that did, e.g. a damaged cache entry, or PyPI lacking the version).
  std::vector<std::string> reasons = {};
};

// "resolved", "missing", "framework", "unsupported".
std::string_view to_string(DepStatus::State state);

// The header dependencies a variant builds with: the resolved include dirs of the depends
// of its active sections whose pin applies to the variant's backend (CUTLASS: cuda only),
// deduplicated in order of first use. `includes` maps depends names to include dirs.
// Fails (a kb bug) when such a dependency has no include dir.
Result<std::vector<std::string>> dependency_includes_for(
    const Config& config, const Variant& variant,
    const std::map<std::string, std::string>& includes);

// The include dirs of the resolved dependencies, by name (what the planner takes).
std::map<std::string, std::string> resolved_includes(const std::vector<DepStatus>& deps);

// Moves every variant of `matrix` that needs a dependency that is missing or unsupported
// (as dependency_includes_for decides) into matrix.rejected, with the dependency, its
// version and why in the reason and the names in missing_dependencies.
void reject_unresolved_dependencies(Matrix& matrix, const Config& config,
                                    const std::vector<DepStatus>& deps);

// The error for a dependency kb could not provide, located at its first use in build.toml:
// which dependency and version, why each route failed, and the ways to provide it.
Error missing_dependency_error(const DepStatus& status);

// Fails with missing_dependency_error for each dependency that a variant to be built lacks:
// the variants named in `wanted`, or every variant when it is empty (a build of "all" must
// not quietly skip the variants whose headers are missing).
Result<Ok> require_dependencies(const Matrix& matrix, const std::vector<DepStatus>& deps,
                                const std::vector<std::string>& wanted);

// ---- output of `kb deps` (docs/schema/deps.schema.json) ----

// {"kernel_dir", "cache_dir" (null when none), "fetch" (whether pip and git could run),
//  "dependencies": [{name, kind, version (null when unpinned), backend, state, route, origin,
//  include_dir, content_hash (null when not known), uses: [{section, backend, file, line,
//  col}], reasons}]}. Keys keep this order.
std::string deps_to_json(const std::vector<DepStatus>& deps, const std::string& kernel_dir,
                         const std::string& cache_dir, bool fetch);

// One block per dependency: "cutlass_3_8  CUTLASS 3.8.0  resolved (cache)", then its include
// dir, origin, content hash, uses and the reasons ("- " lines); "(no dependencies)" for none.
std::string deps_to_text(const std::vector<DepStatus>& deps);

}  // namespace kb
