#pragma once
// The GPU probes of toolchains/gpu.h behind a small cache file, so that a warm `kb build`
// does not start nvidia-smi: an entry is keyed by the probe, the environment variables that
// change its answer and the boot id, and guarded by the driver's device nodes (witnesses).

#include <string>

#include "kb/disk.h"
#include "kb/process.h"
#include "toolchains/gpu.h"

namespace kb::toolchains {

// Which probe: CUDA capabilities (nvidia-smi) or ROCm gfx targets (KFD topology).
enum class GpuKind { cuda, rocm };

// What the `kind` probe finds on this machine: the answer stored in `cache_file` for this
// boot and environment when its witnesses are unchanged, else a fresh probe, stored unless
// it is transient (a fresh probe that cannot be stored is still returned). An empty
// `cache_file` always probes. Never fails: a probe that finds nothing says why in `note`.
GpuProbe find_gpus(GpuKind kind, const std::string& cache_file, Process& process, Disk& disk,
                   const Environment& env);

}  // namespace kb::toolchains
