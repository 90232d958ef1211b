#pragma once
// kb's outputs for tools and people (JSON shapes: docs/schema/): the matrix as `kb matrix`
// prints it, and the config as `kb check-config --json` prints it.

#include <string>
#include <string_view>

#include "kb/config.h"
#include "kb/error.h"
#include "kb/matrix.h"
#include "kb/toolchain.h"

namespace kb {

// {"variants": [{name, backend, backend_version, torch, torch_version, noarch, stable_abi,
//   sections: [{name, archs, notes}], skipped_sections, metadata_archs,
//   toolchain: {python, nvcc, hipcc, hip_clang}}, ...],
//  "rejected": [{name, reason}, ...]   (only with include_rejected)}
// Keys keep this order; absent values are null. Indices of `matrix` refer to `toolchains`.
std::string matrix_to_json(const Matrix& matrix, const Toolchains& toolchains,
                           bool include_rejected);

// One variant name per line; with include_rejected, then "  rejected: <name>: <reason>" lines.
std::string matrix_to_text(const Matrix& matrix, bool include_rejected);

// The parsed build.toml as JSON (what the Python module's parse_config returns): general
// keys, backends, framework, the framework table, kernel sections with their line, and
// warnings as error objects. Versions use their canonical text ("13" for 13.0). Never fails.
std::string config_to_json(const Config& config);

// The output of `kb check-config --json` (docs/schema/check-config.schema.json):
// {"valid", "path", "name", "edition", "backends", "kernels": [{name, backend}],
//  "warnings": [error...], "errors": [error...]}, where an error is
// {file, line, col, message, hint} (null when unknown). For a failed `result`, name and
// edition are null, kernels and backends empty, and `path` (the build.toml that was read;
// "" for null) fills "path". Never fails.
std::string check_config_to_json(const Result<Config>& result, std::string_view path = "");

}  // namespace kb
