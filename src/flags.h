#pragma once
// Compiler and linker command lines for one variant, per kind of translation unit, with
// the flags the reference's generated CMake applies (docs/bundle.md, "Compile commands";
// docs/conformance.md). Pure.

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
  const RocmToolkit* rocm = nullptr;    // required for Backend::rocm
  std::optional<Version> stable_abi;    // set for torch-stable-abi variants
  std::string kernel_dir;               // absolute; include dirs are relative to it
  std::string generated_include_dir;    // holds registration.h
  // -DTORCH_EXTENSION_NAME on every TU, as the reference defines it target-wide: the ops
  // name, or, for a late-bound variant, _<mod>_<backend> (the registration macros then
  // ignore it, and no command line carries the unique id).
  std::string extension_name;
  std::string fuse_ld;  // -fuse-ld=<this> on link steps; empty: the compiler's default linker
  // Header trees of the variant's dependencies (CUTLASS include/): -isystem on every
  // compile of the author's sources, before Torch's, so no other copy can shadow the pin.
  std::vector<std::string> dependency_includes;
};

// The directory, relative to the kernel dir, on every TU's include path after its own
// include dirs (the reference's extension target adds it for all sources).
inline constexpr const char* k_csrc_dir = "csrc";

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

// What Torch's CMake package gives every TU of a target linking `torch` (docs/conformance.md):
// TORCH_CXX_FLAGS, then -D of torch_cpu's definitions and, for the backend whose Torch
// library the target links, torch_cuda's (cuda) or torch_hip's (rocm); each define once.
// Empty when discovery found no CMake package.
std::vector<std::string> torch_package_flags(const TorchInstall& torch, Backend backend);

// The flags Torch's CMake package (Caffe2/public/cuda.cmake) appends to CMAKE_CUDA_FLAGS,
// without the -gencode list the reference strips: -DONNX_NAMESPACE=onnx_c2, -Xcudafe with
// the --diag_suppress list, --expt-relaxed-constexpr, --expt-extended-lambda. A table by
// Torch version, since the package computes them with CMake logic rather than stating them;
// the same for 2.11 and 2.12, checked by tests/e2e/torch_cmake_oracle.sh.
std::vector<std::string> torch_nvcc_flags(const Version& torch);

// The defines that say which backend a TU is built for: -DUSE_CUDA=1 -DCUDA_KERNEL,
// -DCPU_KERNEL, -DUSE_ROCM=1 -DROCM_KERNEL, -DMETAL_KERNEL, -DXPU_KERNEL -DUSE_XPU.
std::vector<std::string> backend_defines(Backend backend);

// `cuda_flags` without -static-global-template-stub=... when `cuda` < 12.8 (older nvcc
// rejects it; the reference strips it the same way).
std::vector<std::string> filter_cuda_flags(const std::vector<std::string>& cuda_flags,
                                           const Version& cuda);

// Whether the host compiler, nvcc or HIP's clang compiles a file of a src list, by extension.
enum class SourceKind { cxx, cuda, hip, not_compiled };
// .cpp/.cc/.cxx/.C -> cxx; .cu -> cuda; .hip -> hip (ROCm sections only); headers and
// anything else -> not_compiled.
SourceKind classify_source(std::string_view path);

// Every TU below gets, after the compiler and its base flags: torch_package_flags, the
// stable-ABI target, the backend defines, -DPy_LIMITED_API=0x03090000 and
// -DTORCH_EXTENSION_NAME=<ctx.extension_name>; then its include dirs followed by csrc.

// Host compile of a [torch] src TU: the only TUs that see the generated include dir
// (registration.h), first on their include path.
std::vector<std::string> binding_compile_argv(const FlagContext& ctx, const TorchSection& torch,
                                              const CompileIo& io);

// Host compile of the generated gen/ops_id.c of a late-bound variant, as C (-x c -std=c11
// -O2 -fPIC) with the limited Python API and Python's headers, nothing of Torch.
std::vector<std::string> ops_id_compile_argv(const FlagContext& ctx, const CompileIo& io);

// The command compiling the manylinux compat source (kb/manylinux_compat.h) with the host
// compiler as C, for every Linux variant.
std::vector<std::string> manylinux_compat_compile_argv(const FlagContext& ctx, const CompileIo& io);

// Host compile of a .cpp/.cc/.cxx file of a [kernel.*] section (cuda and rocm sections
// also get the toolkit's include dir).
std::vector<std::string> kernel_cxx_compile_argv(const FlagContext& ctx,
                                                 const KernelSection& section, const CompileIo& io);

// nvcc compile of a .cu file of a cuda [kernel.*] section for `archs` ("8.0", "9.0+PTX"):
// torch_nvcc_flags, the reference's GPU flags (--expt-relaxed-constexpr -DENABLE_FP8), the
// TU defines, -gencode per arch, --threads, includes (the CUDA toolkit's too, as CMake
// gives it), the section's cuda-flags.
std::vector<std::string> nvcc_compile_argv(const FlagContext& ctx, const KernelSection& section,
                                           const std::vector<std::string>& archs, int threads,
                                           const CompileIo& io);

// ---- ROCm (docs/rocm.md) ----

// The defines every TU of a ROCm variant gets besides -DUSE_ROCM=1 -DROCM_KERNEL:
// -D__HIP_PLATFORM_AMD__=1, which HIP's headers (and ROCm Torch's, through them) need to
// pick the AMD implementation, also when g++ compiles the binding.
std::vector<std::string> rocm_platform_defines();

// HIP clang's arguments naming the ROCm install: --rocm-path=<root>,
// --rocm-device-lib-path=<amdgcn bitcode dir> (without them clang 15 fails with "cannot find
// HIP runtime" / "cannot find ROCm device library") and --hip-version=<X.Y.Z> (without it
// Debian's clang 15 assumes HIP 3.5 and leaves out its __clang_hip_runtime_wrapper.h, so
// __host__/__device__ are unknown; hipcc passes it the same way).
std::vector<std::string> rocm_path_flags(const RocmToolkit& rocm);

// One --offload-arch=<gfx> per target, in the given order.
std::vector<std::string> offload_arch_flags(const std::vector<std::string>& archs);

// Where a HIP compile finds the author's headers.
struct HipIncludes {
  // <work_dir>/hip: the hipified tree. A section include dir `d` is searched first as
  // <hipify_dir>/d, then as <kernel_dir>/d (headers the section does not list stay there).
  std::string hipify_dir;
  // The author's directory of a hipified source: `#include "x.h"` of a header that was not
  // hipified (not in the src list) still resolves, through -iquote. "" for a .hip compiled
  // in place.
  std::string original_dir;
  // A hipified .cu: compiled with `-include hip/hip_runtime.h`, as nvcc implicitly includes
  // cuda_runtime.h in every .cu (CUDA code relies on it: a header included before the
  // runtime may use __host__ or __uint_as_float). A .hip file includes what it needs itself.
  bool from_cuda = false;
};

// HIP clang compile of one file of a rocm [kernel.*] section (a hipified .cu or a .hip) for
// `archs` ("gfx90a"): -x hip, the C++ standard, -O3, -fPIC, -fno-gpu-rdc (each object is
// self-contained, as with CMake's HIP language), the ROCm paths, one --offload-arch per
// arch, the variant defines, includes, the section's hip-flags, then -MD -MF/-c/-o.
// No -fno-gnu-unique: clang rejects it (and never emits STB_GNU_UNIQUE symbols).
std::vector<std::string> hip_compile_argv(const FlagContext& ctx, const KernelSection& section,
                                          const std::vector<std::string>& archs,
                                          const HipIncludes& includes, const CompileIo& io);

// `kb internal-hipify IN OUT`: the command of one hipify step.
std::vector<std::string> hipify_argv(const std::string& kb_path, const std::string& in,
                                     const std::string& out);

// The link of <ops name>.abi3.so from `objects`: -shared, Torch's libraries (and the CUDA
// runtime for cuda; libc10_hip, libtorch_hip and the HIP runtime for rocm), no rpath.
std::vector<std::string> link_argv(const FlagContext& ctx, const std::vector<std::string>& objects,
                                   const std::string& output);

}  // namespace kb
