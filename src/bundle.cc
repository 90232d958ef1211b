#include "kb/bundle.h"

#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "kb/bundle_files.h"
#include "kb/digest.h"
#include "kb/path.h"

namespace kb {

namespace {

Result<Ok> fill_stage(const BundleManifest& m, Disk& disk) {
  KB_TRY(disk.remove_all(m.stage_dir));
  KB_TRY(disk.make_dirs(m.stage_dir));
  for (const auto& c : m.copies) KB_TRY(disk.copy_file(c.from, join_path(m.stage_dir, c.to)));
  // Generated files are written after the copies: they win over an author's file of the
  // same name (a stale torch-ext/<mod>/_ops.py).
  for (const auto& [rel, content] : m.generated)
    KB_TRY(disk.write_file_atomic(join_path(m.stage_dir, rel), content));

  // The digest covers what was staged, read back, so it matches the bundle byte for byte.
  KB_TRY_ASSIGN(auto files, disk.list_files_recursive(m.stage_dir));
  std::vector<std::pair<std::string, std::string>> contents;
  for (const auto& rel : files) {
    if (digest_excludes(rel)) continue;
    KB_TRY_ASSIGN(auto bytes, disk.read_file(join_path(m.stage_dir, rel)));
    contents.emplace_back(rel, std::move(bytes));
  }
  KB_TRY_ASSIGN(auto metadata, metadata_with_digest(m.metadata_json, compute_digest(contents)));
  // Last: a directory with metadata.json is what the loader accepts as a variant.
  KB_TRY(disk.write_file_atomic(join_path(m.stage_dir, "metadata.json"), metadata));
  return Ok{};
}

}  // namespace

Result<Ok> assemble_bundle(const BundleManifest& m, Disk& disk) {
  auto staged = fill_stage(m, disk);
  if (staged) {
    std::string parent = std::filesystem::path(m.bundle_dir).parent_path().string();
    staged = parent.empty() ? Result<Ok>(Ok{}) : disk.make_dirs(parent);
    if (staged) staged = disk.replace_dir(m.stage_dir, m.bundle_dir);
  }
  if (!staged) {
    (void)disk.remove_all(m.stage_dir);  // best effort; the error that matters is `staged`
    return staged.take_errors();
  }
  return disk.write_file_atomic(m.stamp, fmt::format("{}\n", m.bundle_dir));
}

Result<Ok> assemble_bundle_from_file(const std::string& manifest_path, Disk& disk) {
  KB_TRY_ASSIGN(auto text, disk.read_file(manifest_path));
  KB_TRY_ASSIGN(auto m, parse_bundle_manifest(text));
  return assemble_bundle(m, disk);
}

}  // namespace kb
