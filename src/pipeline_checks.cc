// `kb check-builds`: whether the bundles under a build dir are complete, stale or foreign
// (kb/bundle_check.h, docs/check-builds.md), and `kb bundle merge` (kb/bundle_merge.h).
#include <filesystem>

#include "kb/bundle_check.h"
#include "kb/bundle_merge.h"
#include "kb/config_load.h"
#include "kb/native_backend.h"
#include "src/pipeline_parts.h"

namespace kb::command {

Result<std::vector<BundleCheck>> check_builds(const Request& request, Io& io) {
  std::optional<Config> config;
  if (io.disk.stat(request.kernel_dir + "/build.toml").is_regular) {
    auto loaded = load_config(request.kernel_dir, io.disk);
    if (loaded) {
      config = std::move(*loaded);
    } else {
      io.status.finding(
          Error{"build.toml could not be read, so no bundle is called stale for what it asks: " +
                    loaded.errors().list.front().message,
                {},
                ""},
          "note");
    }
  }
  return check_build_tree(io.disk, request.kernel_dir, config ? &*config : nullptr);
}

namespace {

// Removes what locking made in `out_dir` (the directory, kb's own directory and the lock
// file in it) when that is all it holds; anything else in it is left.
void remove_lock_only_dir(const std::string& out_dir, Disk& disk) {
  const std::filesystem::path lock = native::build_lock_path(out_dir);
  const std::string own_dir = lock.parent_path().string();
  auto top = disk.list_dir(out_dir);
  auto inside = disk.list_dir(own_dir);
  if (!top || !inside || lock.parent_path().parent_path() != std::filesystem::path(out_dir)) return;
  if (*top != std::vector<std::string>{lock.parent_path().filename().string()}) return;
  for (const auto& name : *inside)
    if (name != lock.filename().string()) return;
  (void)disk.remove_all(out_dir);
}

}  // namespace

Result<MergeOutcome> bundle_merge(const Request& request, Io& io) {
  const bool out_existed = io.disk.stat(request.out_dir).exists;
  auto lock = command_parts::lock_build_dir(request, io);
  if (!lock) return lock.take_errors();
  auto merged = merge_bundles(request.bundle_inputs, request.out_dir, io.disk);
  if (!merged && !out_existed) {
    // A refused merge into a new directory leaves no directory behind.
    lock->reset();
    remove_lock_only_dir(request.out_dir, io.disk);
  }
  return merged;
}

}  // namespace kb::command
