// `kb check-builds`: whether the bundles under a build dir are complete, stale or foreign
// (kb/bundle_check.h, docs/check-builds.md), and `kb bundle merge` (kb/bundle_merge.h).
#include "kb/bundle_check.h"
#include "kb/bundle_merge.h"
#include "kb/config_load.h"
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

Result<MergeOutcome> bundle_merge(const Request& request, Io& io) {
  auto lock = command_parts::lock_build_dir(request, io);
  if (!lock) return lock.take_errors();
  return merge_bundles(request.bundle_inputs, request.out_dir, io.disk);
}

}  // namespace kb::command
