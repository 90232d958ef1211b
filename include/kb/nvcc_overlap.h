#pragma once
// Runs one nvcc compile with its host and device steps overlapped (kb/nvcc_steps.h), the
// command ninja runs for each .cu as `kb internal-nvcc -- NVCC ARGS...`.

#include <string>
#include <vector>

#include "kb/disk.h"
#include "kb/process.h"

namespace kb {

// How a compile went.
struct NvccRun {
  int exit_code = 0;        // the first failing step's exit code (or nvcc's), 0 on success
  bool overlapped = false;  // false: nvcc ran as it is (the reason in `plain_because`)
  std::string plain_because;
  std::string output;  // what the steps printed, in nvcc's step order (up to the failing one)
};

// Dry-runs `argv` (argv[0] is nvcc) with its intermediate files kept in a directory next to
// the object, then runs the steps as a graph: each step on a slot of the pool that `env`'s
// KB_NVCC_SLOTS names (kb/nvcc_slots.h), or without one at most max(2, --threads + 1) at a
// time. Falls back to running the command as it is when the dry run is not understood. The
// intermediate directory is removed afterwards. Fails only when a process cannot be started.
Result<NvccRun> run_nvcc_overlapped(const std::vector<std::string>& argv, Process& process,
                                    Disk& disk, const Environment& env);

}  // namespace kb
