#pragma once
// The CUDA probe: candidate nvcc executables, their version and GPU codes.

#include <string>
#include <string_view>
#include <vector>

#include "kb/error.h"
#include "kb/version.h"
#include "toolchains/probe_context.h"

namespace kb::toolchains {

// Parses `nvcc --version` ("Cuda compilation tools, release 13.0, V13.0.88") into the
// release, major.minor (13.0). Fails when no release line is present.
Result<Version> parse_nvcc_version(std::string_view text);

// Parses `nvcc --list-gpu-code` (one "sm_NN" per line) into the codes, sorted by
// capability ("sm_75", ..., "sm_121"). Fails when no code is listed.
Result<std::vector<std::string>> parse_nvcc_gpu_codes(std::string_view text);

// nvcc executables installed by pip wheels in the given site directories: the CUDA 12
// layout (nvidia/cuda_nvcc/bin/nvcc), the CUDA 13 layout (nvidia/cuNN/bin/nvcc), and any
// bin/nvcc listed in the RECORD of an nvidia_cuda_nvcc*.dist-info.
std::vector<std::string> find_wheel_nvccs(const Disk& disk,
                                          const std::vector<std::string>& site_dirs);

// The candidates in search order: --cuda dirs, CUDA_HOME, CUDA_PATH, nvcc on PATH,
// /usr/local/cuda, /usr/local/cuda-*, then pip wheels. Each candidate path is an nvcc.
std::vector<Candidate> cuda_candidates(const ProbeContext& ctx,
                                       const std::vector<std::string>& requested,
                                       const std::vector<std::string>& site_dirs);

// Probes each candidate (deduplicated by the real path of nvcc); appends toolkits and
// rejections to ctx.out.
void probe_cuda(ProbeContext& ctx, const std::vector<Candidate>& candidates);

}  // namespace kb::toolchains
