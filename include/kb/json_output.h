#pragma once
// The matrix as `kb variants` prints it: JSON for tools, plain text for people.

#include <string>

#include "kb/matrix.h"
#include "kb/toolchain.h"

namespace kb {

// {"variants": [{name, backend, backend_version, torch, torch_version, noarch, stable_abi,
//   sections: [{name, archs, notes}], skipped_sections, metadata_archs,
//   toolchain: {python, nvcc, hipcc, hip_clang}}, ...],
//  "rejected": [{name, reason}, ...]   (only with include_rejected)}
// Keys keep this order; absent values are null. Indices of `matrix` refer to `toolchains`.
std::string matrix_to_json(const Matrix& matrix, const Toolchains& toolchains, bool include_rejected);

// One variant name per line; with include_rejected, then "  rejected: <name>: <reason>" lines.
std::string matrix_to_text(const Matrix& matrix, bool include_rejected);

}  // namespace kb
