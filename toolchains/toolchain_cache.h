#pragma once
// The discovery cache: Toolchains <-> JSON, and a cache file of entries keyed by the
// request and environment, each guarded by witness files (private to toolchains/).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "kb/discover.h"
#include "kb/toolchain.h"

namespace kb::toolchains {

// Bump whenever a probe changes what it reports, so that old entries stop matching.
// 2: the ROCm probe picks <InstalledDir>/clang++-<major> (Debian: clang++-15, not clang 14).
// 4: the Torch probe reads what Torch's CMake package gives (TorchInstall::cmake).
// 5: rejected candidates carry their origin (the user-named ones are warned about).
inline constexpr int k_cache_format = 5;

// The environment variables whose values change what discovery finds.
const std::vector<std::string>& cache_key_env_vars();

// The cache key: the request (paths made absolute against `cwd`), the system root, the
// relevant environment variables and the format number, as a JSON object.
nlohmann::json cache_key(const DiscoveryRequest& request, const Environment& env,
                         const std::string& cwd);

// Toolchains as JSON (the schema of `kb toolchains --json`).
nlohmann::json toolchains_to_json_value(const Toolchains& toolchains);

// Toolchains back from toolchains_to_json_value's output. Fails on a missing or mistyped
// field (a cache written by another kb version, or damaged).
Result<Toolchains> toolchains_from_json_value(const nlohmann::json& j);

// The state of one witness path when an entry was stored.
struct Witness {
  std::string path;
  FileStat stat;  // exists=false is recorded too: the path appearing invalidates the entry
};

// Stats every path now.
std::vector<Witness> take_witnesses(const Disk& disk, const std::vector<std::string>& paths);

// The cached Toolchains for `key`, when the cache file has an entry with that key whose
// witnesses all still match (existence, mtime and size); nullopt otherwise (no file, a
// damaged file, no entry, or a changed witness). Never starts a process.
std::optional<Toolchains> load_cached(const Disk& disk, const std::string& cache_file,
                                      const nlohmann::json& key);

// Stores an entry for `key` (replacing an older one with the same key; at most a few
// entries are kept). Fails when the file cannot be written.
Result<Ok> store_cached(Disk& disk, const std::string& cache_file, const nlohmann::json& key,
                        const Toolchains& toolchains, const std::vector<Witness>& witnesses);

}  // namespace kb::toolchains
