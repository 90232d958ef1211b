#pragma once
// Which GPUs this machine shows a build: CUDA capabilities from nvidia-smi (through the
// Process seam), ROCm gfx targets from the kernel's KFD topology in sysfs (through the
// Disk seam). Parsers are pure; docs/arch-selection.md says how the results are used and
// cached.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"

namespace kb::toolchains {

// What a GPU probe found.
struct GpuProbe {
  // One entry per visible GPU, in device order: "9.0" (CUDA) or "gfx942" (ROCm). Empty when
  // none is visible or the probe failed.
  std::vector<std::string> archs;
  // The probe failed in a way that may pass (nvidia-smi timed out or failed unexpectedly):
  // use the result for this run but do not cache it.
  bool transient = false;
  // Why nothing was found, or what was ignored ("nvidia-smi: not found"); may be empty.
  std::string note;
};

// The time nvidia-smi gets; it answers in well under a second on a healthy machine.
inline constexpr std::chrono::milliseconds k_gpu_probe_timeout{10'000};

// The command detect_cuda_gpus runs.
const std::vector<std::string>& nvidia_smi_argv();

// One row of nvidia-smi's answer.
struct SmiGpu {
  int index = 0;
  std::string uuid;  // "GPU-5c4d..."
  std::string cap;   // "9.0"
};

// Parses `nvidia-smi --query-gpu=index,uuid,compute_cap --format=csv,noheader` ("0, GPU-…,
// 9.0" per line). Fails, naming the line, on a row that is not three fields, an index that
// is no number, or a capability that is not "X.Y" (a "[N/A]" row too).
Result<std::vector<SmiGpu>> parse_nvidia_smi_gpus(std::string_view text);

// The GPUs a CUDA program sees with CUDA_VISIBLE_DEVICES = `visible` (nullopt: unset, all of
// them). As CUDA does: entries separated by ',', each an index or a "GPU-" UUID prefix; the
// list stops at the first entry that names no GPU; "" and "-1" hide every GPU. Two cases
// CUDA can answer and nvidia-smi cannot, where all GPUs are kept and `note` says why: "MIG-"
// entries, and indices when CUDA_DEVICE_ORDER is not PCI_BUS_ID and the GPUs differ
// (CUDA then numbers the fastest first, nvidia-smi by bus).
std::vector<SmiGpu> apply_cuda_visible_devices(const std::vector<SmiGpu>& all,
                                               const std::optional<std::string>& visible,
                                               const std::optional<std::string>& device_order,
                                               std::string& note);

// The visible NVIDIA GPUs' capabilities: runs nvidia_smi_argv() (bounded by
// k_gpu_probe_timeout) and applies CUDA_VISIBLE_DEVICES / CUDA_DEVICE_ORDER from `env`.
// Never fails: no nvidia-smi, no driver ("couldn't communicate"), no device, or a driver
// too old for compute_cap give no GPU (cacheable); a timeout or another failure gives no
// GPU with transient set.
GpuProbe detect_cuda_gpus(Process& process, const Environment& env);

// "gfx942" from a KFD gfx_target_version (90402: major 9, minor 4, stepping 2, the last
// two as hex digits); nullopt for 0 (a CPU node) or a malformed value.
std::optional<std::string> gfx_from_target_version(long version);

// The gfx target of one KFD topology node's `properties` text ("gfx_target_version 90402"
// among other "key value" lines); nullopt for a CPU node or when the key is missing.
std::optional<std::string> gfx_from_kfd_properties(std::string_view text);

// Where the KFD topology lives.
inline constexpr std::string_view k_kfd_nodes = "/sys/class/kfd/kfd/topology/nodes";

// The visible AMD GPUs' gfx targets: reads <nodes_dir>/<n>/properties for each node in
// numeric order (no process: rocminfo takes seconds and may be missing where the driver is
// not), then applies ROCR_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES (then CUDA_VISIBLE_DEVICES
// when HIP's is unset), each a list of GPU indices; an entry that is no index keeps every
// GPU, with a note. Never fails: no KFD gives no GPU.
GpuProbe detect_rocm_gpus(const Disk& disk, const Environment& env,
                          const std::string& nodes_dir = std::string(k_kfd_nodes));

// The environment variables that change what the probes find (the cache key's part).
const std::vector<std::string>& gpu_cache_env_vars();

// The cache key of a probe result: the probe's name ("cuda" or "rocm"), the values of
// gpu_cache_env_vars() in `env`, and `boot_id` (the contents of
// /proc/sys/kernel/random/boot_id, read by the caller; a reboot may change the GPUs).
nlohmann::json gpu_cache_key(const std::string& probe, const Environment& env,
                             const std::string& boot_id);

// Paths whose change (existence, mtime, size) invalidates a cached probe result: the
// NVIDIA and KFD device nodes, recreated when a driver loads, and the driver version file.
const std::vector<std::string>& gpu_witness_paths();

}  // namespace kb::toolchains
