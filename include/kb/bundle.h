#pragma once
// Assembling one variant's bundle directory build/<variant>/ atomically: stage, copy,
// generate, digest, metadata.json last, swap into place, stamp. Run by ninja as
// `kb internal-bundle <work_dir>/bundle.json` once the variant's .so is linked.

#include <string>

#include "kb/bundle_manifest.h"
#include "kb/disk.h"
#include "kb/error.h"

namespace kb {

// Builds the bundle in m.stage_dir (cleared first), copies and writes its files, computes
// the digest over what was staged, writes metadata.json with the digest last, replaces
// m.bundle_dir with the stage atomically and then writes m.stamp. Fails at the first
// problem, leaving the previous bundle as it was (the stage is removed on a best-effort basis).
Result<Ok> assemble_bundle(const BundleManifest& m, Disk& disk);

// Reads the manifest at `manifest_path` and assembles it (what `kb internal-bundle` runs).
Result<Ok> assemble_bundle_from_file(const std::string& manifest_path, Disk& disk);

}  // namespace kb
