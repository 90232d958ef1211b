#pragma once
// ROCm commands of the CLI (docs/rocm.md).

#include "kb/pipeline.h"
#include "src/cli_args.h"

namespace kb {

// `kb internal-hipify IN OUT` (hidden; run by ninja): translates one CUDA source or header
// to HIP with kb's table (kb/hipify.h) and writes OUT only when its text changes (the ninja
// rule is restat). Names the table does not know are reported as warnings on stderr.
// Returns 0, 1 when IN cannot be read or OUT written, 2 on a usage error.
int cmd_internal_hipify(const ParsedArgs& args, Io& io);

}  // namespace kb
