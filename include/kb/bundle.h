#pragma once
// Assembling one variant's bundle directory build/<variant>/ atomically: stage, copy,
// generate, digest, metadata.json last, swap into place, stamp. Run by ninja as
// `kb internal-bundle <work_dir>/bundle.json` once the variant's .so is linked.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/build_plan.h"
#include "kb/disk.h"
#include "kb/error.h"

namespace kb {

// Everything assemble_bundle needs; written by the plan into the variant's work dir.
struct BundleManifest {
  std::string stage_dir;   // build_dir/.kb/stage/<variant>: cleared, filled, then swapped in
  std::string bundle_dir;  // build_dir/<variant>
  std::vector<BundleCopy> copies;                // absolute source -> path in the bundle
  std::map<std::string, std::string> generated;  // path in the bundle -> content
  std::string metadata_json;  // without "digest"
  std::string stamp;          // written (after the swap) so ninja sees the edge done
  bool operator==(const BundleManifest&) const = default;
};

// nlohmann::json conversion (keys as the member names). from_json throws
// nlohmann::json::exception on a missing key or a wrong type.
void to_json(nlohmann::json& j, const BundleManifest& m);
void from_json(const nlohmann::json& j, BundleManifest& m);

// The manifest text (2-space indented JSON) for `m`.
std::string bundle_manifest_text(const BundleManifest& m);

// Parses a manifest text; fails with a message naming the problem.
Result<BundleManifest> parse_bundle_manifest(std::string_view text);

// The manifest of a planned variant. Stage dir: <build_dir>/.kb/stage/<variant>.
BundleManifest manifest_for(const VariantBuild& vb);

// Builds the bundle in m.stage_dir (cleared first), copies and writes its files, computes
// the digest over what was staged, writes metadata.json with the digest last, replaces
// m.bundle_dir with the stage atomically and then writes m.stamp. Fails at the first
// problem, leaving the previous bundle as it was (the stage is removed on a best-effort basis).
Result<Ok> assemble_bundle(const BundleManifest& m, Disk& disk);

// Reads the manifest at `manifest_path` and assembles it (what `kb internal-bundle` runs).
Result<Ok> assemble_bundle_from_file(const std::string& manifest_path, Disk& disk);

}  // namespace kb
