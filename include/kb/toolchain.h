#pragma once
// Records of what toolchain discovery found on the machine. Plain values: the planner
// takes them as input and never probes anything itself.

#include <optional>
#include <string>
#include <vector>

#include "kb/version.h"

namespace kb {

// What Torch's own CMake package (torch/share/cmake) gives every TU of a project that links
// its `torch` target, as far as the package states it as plain data (read at discovery).
struct TorchCmakeUsage {
  bool found = false;                         // the package's Caffe2Targets.cmake was read
  std::vector<std::string> cxx_flags;         // TORCH_CXX_FLAGS (none in Torch 2.11 and 2.12)
  std::vector<std::string> cpu_definitions;   // torch_cpu's INTERFACE_COMPILE_DEFINITIONS
  std::vector<std::string> cuda_definitions;  // torch_cuda's (CUDA wheels)
  std::vector<std::string> hip_definitions;   // torch_hip's (ROCm wheels)
  bool operator==(const TorchCmakeUsage&) const = default;
};

// One Python interpreter with Torch installed.
struct TorchInstall {
  std::string python;                     // absolute path of the interpreter
  std::string version_string;             // torch.__version__, e.g. "2.11.0+cu130"
  Version version;                        // 2.11 (major.minor.patch without the local suffix)
  std::optional<Version> cuda;            // torch.version.cuda, e.g. 13.0
  std::optional<Version> hip;             // major.minor of torch.version.hip
  bool cxx11_abi = true;                  // torch._C._GLIBCXX_USE_CXX11_ABI
  std::string root;                       // the torch package directory
  std::vector<std::string> include_dirs;  // torch/include, torch/include/torch/csrc/api/include
  std::string lib_dir;                    // torch/lib
  std::string python_include_dir;         // directory holding Python.h
  std::string python_version;             // "3.11"
  TorchCmakeUsage cmake;                  // from torch/share/cmake
};

// One CUDA toolkit (an nvcc and what it can target).
struct CudaToolkit {
  std::string root;                    // toolkit root (nvcc is root/bin/nvcc)
  std::string nvcc;                    // absolute path of nvcc
  Version version;                     // 13.0 -> {13}
  std::vector<std::string> gpu_codes;  // from `nvcc --list-gpu-code`: "sm_75", "sm_90", ...
  std::string include_dir;             // root/include (cuda_runtime.h)
  std::string lib_dir;                 // directory holding libcudart.so
};

// One ROCm/HIP toolchain.
struct RocmToolkit {
  std::string root;                      // ROCM_PATH-like prefix ("/usr" on Debian)
  std::string hipcc;                     // hipcc, if found
  std::string clang;                     // the HIP clang (clang++-15 on Debian)
  Version version;                       // ROCm version, e.g. 5.2 (from the HIP version)
  std::string hip_version;               // full HIP version text, e.g. "5.2.21153"
  std::vector<std::string> gfx_targets;  // targets the compiler can build, e.g. "gfx90a"
  std::string device_lib_path;           // amdgcn bitcode dir
};

// A linker the host compiler can drive with -fuse-ld=<name>.
struct Linker {
  std::string name;     // "mold", "lld" or "gold"
  std::string path;     // the ld.<name> found on PATH
  std::string version;  // first line of `<cxx> -fuse-ld=<name> -Wl,--version`
};

// A host C++ compiler.
struct HostCompiler {
  std::string path;
  std::string version;  // "12.2.0"
  // The faster linkers it can use instead of its default (GNU ld), fastest first; linking a
  // variant against libtorch_cpu/libtorch_cuda (about 450 MB each) takes GNU ld 2.5-5x as
  // long as gold or lld (docs/native-backend.md, "Linker").
  std::vector<Linker> linkers;
};

// The ninja executable.
struct NinjaTool {
  std::string path;
  Version version;
};

// A candidate discovery looked at and did not use.
struct RejectedCandidate {
  std::string kind;       // "torch", "cuda", "rocm", "cxx", "linker", "ninja"
  std::string candidate;  // path or description
  std::string reason;
  std::string origin{};  // where it came from: "--torch", "KB_TORCH", "CXX", "PATH", ...
};

// Everything found on the machine.
struct Toolchains {
  std::vector<TorchInstall> torches;
  std::vector<CudaToolkit> cuda;
  std::vector<RocmToolkit> rocm;
  std::optional<HostCompiler> cxx;
  std::optional<NinjaTool> ninja;
  std::vector<RejectedCandidate> rejected;
  std::string cpu = "x86_64";  // x86_64 or aarch64
  std::string os = "linux";
};

}  // namespace kb
