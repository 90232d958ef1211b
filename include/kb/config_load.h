#pragma once
// Reading build.toml from disk: the one way every command and backend loads a kernel's
// config (the parser itself, parse_config, is pure: kb/config.h).

#include <cstdint>
#include <string>

#include "kb/config.h"
#include "kb/disk.h"
#include "kb/error.h"

namespace kb {

// The most kb reads of a build.toml (real ones are a few KiB).
inline constexpr int64_t k_max_build_toml_bytes = int64_t{4} << 20;

// Reads and parses the build.toml at `path` (no check of the files it names). Fails when it
// is no regular file, is larger than k_max_build_toml_bytes or cannot be read, and on every
// problem parse_config finds.
Result<Config> load_config_file(const std::string& path, const Disk& disk);

// Reads and validates DIR/build.toml, including that every file named in src exists and is
// a regular file. Fails with every problem found, each located in build.toml.
Result<Config> load_config(const std::string& kernel_dir, const Disk& disk);

}  // namespace kb
