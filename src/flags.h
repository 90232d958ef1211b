#pragma once
// Compiler and linker command lines for one variant, per kind of translation unit, with
// the flags the reference's generated CMake applies (kernel-builder-format.md §4.1). Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/config.h"
#include "kb/toolchain.h"
#include "kb/version.h"

namespace kb {

// Everything flag computation needs to know about one variant.
struct FlagContext {
  Backend backend = Backend::cpu;
  std::string cxx;                      // host C++ compiler (also nvcc's -ccbin)
  const TorchInstall* torch = nullptr;  // required
  const CudaToolkit* cuda = nullptr;    // required for Backend::cuda
  std::optional<Version> stable_abi;    // set for torch-stable-abi variants
  std::string kernel_dir;               // absolute; include dirs are relative to it
  std::string generated_include_dir;    // holds registration.h
  std::string ops_name;                 // -DTORCH_EXTENSION_NAME on binding TUs
};

// Where one compile reads and writes.
struct CompileIo {
  std::string source;
  std::string object;
  std::string depfile;
};

// "-std=c++17" for Torch < 2.12, "-std=c++20" from 2.12 on (the reference's CXX_STANDARD).
std::string cxx_standard_flag(const Version& torch);

// "-DTORCH_TARGET_VERSION=0x<(major << 56) | (minor << 48) in hex>"; 2.11 gives
// "-DTORCH_TARGET_VERSION=0x20b000000000000".
std::string torch_target_version_define(const Version& stable_abi);

// The defines that say which backend a TU is built for: -DUSE_CUDA=1 -DCUDA_KERNEL,
// -DCPU_KERNEL, -DUSE_ROCM=1 -DROCM_KERNEL, -DMETAL_KERNEL, -DXPU_KERNEL -DUSE_XPU.
std::vector<std::string> backend_defines(Backend backend);

// `cuda_flags` without -static-global-template-stub=... when `cuda` < 12.8 (older nvcc
// rejects it; the reference strips it the same way).
std::vector<std::string> filter_cuda_flags(const std::vector<std::string>& cuda_flags,
                                           const Version& cuda);

// Whether the host compiler or nvcc compiles a file of a src list, by extension.
enum class SourceKind { cxx, cuda, not_compiled };
// .cpp/.cc/.cxx/.C -> cxx; .cu -> cuda; headers and anything else -> not_compiled.
SourceKind classify_source(std::string_view path);

// Host compile of a [torch] src TU: the only TUs that see the ops name
// (-DTORCH_EXTENSION_NAME) and the generated include dir.
std::vector<std::string> binding_compile_argv(const FlagContext& ctx, const TorchSection& torch,
                                              const CompileIo& io);

// Host compile of a .cpp/.cc/.cxx file of a [kernel.*] section (cuda sections also get the
// CUDA include dir).
std::vector<std::string> kernel_cxx_compile_argv(const FlagContext& ctx,
                                                 const KernelSection& section,
                                                 const CompileIo& io);

// nvcc compile of a .cu file of a cuda [kernel.*] section for `archs` ("8.0", "9.0+PTX").
std::vector<std::string> nvcc_compile_argv(const FlagContext& ctx, const KernelSection& section,
                                           const std::vector<std::string>& archs, int threads,
                                           const CompileIo& io);

// The link of <ops name>.abi3.so from `objects`: -shared, Torch's libraries (and the CUDA
// runtime for cuda), no rpath.
std::vector<std::string> link_argv(const FlagContext& ctx, const std::vector<std::string>& objects,
                                   const std::string& output);

}  // namespace kb
