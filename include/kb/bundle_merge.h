#pragma once
// `kb bundle merge DIR... --out BUILD`: gathers the bundles that several machines built (one
// variant per CI runner, docs/distributed.md) into one build directory. Every bundle is
// checked (kb/bundle_check.h) and all must come from one build of one kernel; the output is
// filled through a stage and one rename per variant, so nothing the user had is lost.

#include <optional>
#include <string>
#include <vector>

#include "kb/disk.h"
#include "kb/error.h"

namespace kb {

// What makes bundles parts of one build: metadata "name", the unique id (metadata "id" less
// "_<module>_<backend>_") and provenance.kernel (commit and dirty; "" when not recorded).
struct BundleIdentity {
  std::string name;
  std::string unique_id;
  std::string commit;
  std::string dirty;  // "true", "false" or ""
  bool operator==(const BundleIdentity&) const = default;
};

// The identity recorded in a metadata.json text. Fails when the text is no JSON object or
// lacks a string "name" or "id".
Result<BundleIdentity> bundle_identity(const std::string& metadata_text);

// The first field in which `b` differs from `a` ("kernel name", "unique id", "source commit",
// "dirty flag"), with both values, as "<field> (<a> vs <b>)"; nullopt when they are equal.
std::optional<std::string> identity_difference(const BundleIdentity& a, const BundleIdentity& b);

// One bundle found in an input directory.
struct FoundBundle {
  std::string variant;   // the directory's name
  std::string dir;       // its path
  std::string metadata;  // its metadata.json text
  BundleIdentity identity;
};

// The bundles of one input directory: DIR/build/<variant>/ when DIR/build is a directory
// (a kernel dir), else DIR/<variant>/ (a build dir or a folder of downloaded artifacts),
// else DIR itself when it holds metadata.json (one bundle, named by the directory). Hidden
// entries and plain files are skipped; `skipped` gets "<dir>: <why>" for each other directory
// that is no bundle. Fails, naming the variant, the file and why, when a bundle is incomplete
// or tampered with (check_bundle: metadata, digest, module, _ops.py), and when DIR holds no
// bundle or cannot be listed.
Result<std::vector<FoundBundle>> find_bundles(const Disk& disk, const std::string& dir,
                                              std::vector<std::string>& skipped);

// What merge_bundles did.
struct MergeOutcome {
  std::vector<std::string> added;      // variants written into the output
  std::vector<std::string> unchanged;  // variants the output already held, identical
  std::vector<std::string> skipped;    // "<dir>: <why>" for directories that are no bundle
};

// Merges the bundles of `inputs` (each as find_bundles reads it) into `out_dir`: checks every
// bundle, refuses bundles of different builds (kernel name, unique id, source commit, dirty
// flag: one error naming both variants and the field), refuses one variant given twice with
// different content (identical copies are fine), and refuses an existing out_dir/<variant>
// whose content differs or an existing bundle in out_dir of another build. Then copies each
// new variant into a stage under out_dir (.kb-merge-*), checks the copy again and renames it
// into place, one variant at a time; variants out_dir already holds identically are left
// alone, and nothing else in out_dir is touched. Bytecode (__pycache__, *.pyc) is not copied.
// Fails before writing anything for every refusal above; a failed copy or rename leaves the
// variants already renamed (each complete) and removes the stage.
Result<MergeOutcome> merge_bundles(const std::vector<std::string>& inputs,
                                   const std::string& out_dir, Disk& disk);

}  // namespace kb
