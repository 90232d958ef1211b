#pragma once
// `kb check-builds`: whether each variant directory under a build dir is a complete bundle
// (metadata.json, digest, extension module, _ops.py), and which directories are stale or
// foreign. check_bundle and find_stale are pure; check_build_tree walks through the Disk seam.
// The rules are in docs/check-builds.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kb/config.h"
#include "kb/disk.h"
#include "kb/error.h"

namespace kb {

// One thing wrong with a bundle: the file it concerns ("" for the bundle as a whole) and why.
struct BundleProblem {
  std::string file;
  std::string message;
  bool operator==(const BundleProblem&) const = default;
};

// What check-builds says about one directory of the build dir.
struct BundleCheck {
  std::string dir;                      // the directory's path
  std::string variant;                  // its name
  std::string id;                       // metadata "id" ("" when unreadable)
  std::string unique_id;                // id without "_<mod>_<backend>_" ("" when unreadable)
  int64_t metadata_mtime_ns = 0;        // when metadata.json was written (find_stale's "newest")
  std::vector<BundleProblem> problems;  // why the bundle is incomplete; empty: complete
  std::optional<std::string> foreign;   // why the directory is no bundle of kb's or the reference's
  std::optional<std::string> stale;     // why the bundle is a leftover (it may still be complete)
  // Whether it is a bundle with nothing missing or wrong (stale or not).
  bool complete() const { return !foreign && problems.empty(); }
};

// Checks the bundle `variant` (a directory name) from its files (relative path with '/',
// bytes; metadata.json may be among them) and its metadata.json text: the metadata has the
// fields and types of the reference's Metadata (kernels-data), the digest lists exactly the
// files and their hashes, the extension `<id>.abi3.so` (`<id>.so` for tvm-ffi) exists for an
// arch variant, and `_ops.py` names the id (noarch: its unique id). Never fails: every
// finding is a BundleProblem naming the file.
BundleCheck check_bundle(std::string_view variant,
                         const std::vector<std::pair<std::string, std::string>>& files,
                         std::string_view metadata_text);

// Why a directory named `name` is foreign (not a variant name VariantName::parse accepts, or
// no metadata.json), or nullopt when it may be a bundle.
std::optional<std::string> foreign_reason(std::string_view name, bool has_metadata);

// Sets `stale` on the bundles that are leftovers: a unique id other than that of the bundle
// whose metadata.json is newest (an older commit's build), or, given the kernel's config, a
// variant the config no longer asks for (its backend not in general.backends, arch where the
// backend is noarch or the reverse, another framework, a Torch outside [torch] minver/maxver).
void find_stale(std::vector<BundleCheck>& checks, const Config* config);

// Checks every directory of the build dir of `root`: root/build when it is a directory, else
// root itself; hidden entries (.kb, .lock) and benchmarks/ are skipped, plain files ignored.
// Runs find_stale with `config`. Fails when root is a kernel dir (build.toml) without build/,
// when the build dir cannot be listed, is one bundle, or holds no directory.
Result<std::vector<BundleCheck>> check_build_tree(const Disk& disk, const std::string& root,
                                                  const Config* config);

// One line for `b`: "ok: <variant>", "INCOMPLETE: <variant>: <file>: <why> (and N more)",
// "stale: <variant>: <why>" or "foreign: <name>: <why>"; a stale incomplete bundle says both.
std::string format_bundle_line(const BundleCheck& b);

// All checks as a JSON array of {variant, dir, state, id, problems: [{file, message}], stale,
// foreign}, ending in a newline. state: complete, incomplete or foreign.
std::string format_bundle_checks_json(const std::vector<BundleCheck>& checks);

}  // namespace kb
