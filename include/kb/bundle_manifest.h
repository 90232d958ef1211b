#pragma once
// What `kb internal-bundle` reads: one variant's bundle as the plan describes it (the files
// to copy, the texts to generate, metadata.json without its digest, where to stage and
// stamp). Pure: the type and its JSON text; assembling it is kb/bundle.h.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/error.h"

namespace kb {

// A file copied into the bundle.
struct BundleCopy {
  std::string from;  // absolute
  std::string to;    // relative to the variant directory
  bool operator==(const BundleCopy&) const = default;
};

// Everything assemble_bundle needs; written by the plan into the variant's work dir.
struct BundleManifest {
  std::string stage_dir;   // build_dir/.kb/stage/<variant>: cleared, filled, then swapped in
  std::string bundle_dir;  // build_dir/<variant>
  std::vector<BundleCopy> copies;                // absolute source -> path in the bundle
  std::map<std::string, std::string> generated;  // path in the bundle -> content
  std::string metadata_json;                     // without "digest"
  std::string stamp;  // written (after the swap) so ninja sees the edge done
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

}  // namespace kb
