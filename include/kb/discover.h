#pragma once
// Toolchain discovery: where kb looks for Torch, CUDA, ROCm, the host compiler and ninja,
// and the reports of what it found. The probes run through the Process seam and read files
// through the Disk seam; results are cached in a JSON file guarded by witness files.

#include <chrono>
#include <string>
#include <vector>

#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"
#include "kb/toolchain.h"

namespace kb {

// What the caller asks discovery to look at. Empty lists mean "use the defaults".
struct DiscoveryRequest {
  // --torch PATH: python executable or venv dir; a bare name that is no file in the current
  // directory ("python3.12") is looked up in PATH.
  std::vector<std::string> torch;
  std::vector<std::string> cuda;  // --cuda DIR: toolkit root (DIR/bin/nvcc)
  std::vector<std::string> rocm;  // --rocm DIR: ROCm prefix (DIR/bin/hipcc or HIP headers)
  std::string cache_file;         // "" = no cache
  // Prefix for the fixed search locations (/usr/local/cuda*, /opt/rocm*, /usr/bin/hipcc);
  // "" means "/". Tests point it at a temporary tree.
  std::string system_root;
  // How long one probe (an interpreter, a compiler's --version) may run before it is killed
  // and its candidate rejected.
  std::chrono::milliseconds probe_timeout = k_probe_timeout;
};

// Finds every Torch install, CUDA toolkit, ROCm toolkit, host C++ compiler and ninja the
// request and environment lead to. Candidates that exist but cannot be used are returned in
// Toolchains::rejected with the reason; a probe that outlives request.probe_timeout is killed
// and its candidate rejected with a reason naming the command and the limit. Uses the cache
// file when every witness recorded in it is unchanged (then no process is started); a cache
// entry kb cannot read is probed again and rewritten, and an answer with a timed-out probe
// is not cached. Fails only when a path named explicitly in the request does not exist; all
// such paths are reported together.
Result<Toolchains> discover_toolchains(const DiscoveryRequest& request, Process& process,
                                       Disk& disk, const Environment& env);

// One warning for each candidate the user named (--torch, KB_TORCH, --cuda, --rocm, CXX)
// that discovery could not use, with the reason. Such a candidate is easy to miss while kb
// goes on with the toolchains that work (a broken Torch beside a good one, a CXX that does
// not run). Empty when every named candidate was used. Pure.
std::vector<Error> unusable_named_toolchains(const Toolchains& toolchains);

// Returns the toolchains as a JSON document (the output of `kb toolchains --json`); never
// fails.
std::string toolchains_to_json(const Toolchains& toolchains);

// Returns a human-readable report: each toolchain found, then every rejected candidate
// with the reason; never fails.
std::string toolchains_to_text(const Toolchains& toolchains);

}  // namespace kb
