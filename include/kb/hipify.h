#pragma once
// kb's CUDA -> HIP source translation (the "hipify" step of ROCm builds). Pure: text in,
// text out. docs/rocm.md says why kb translates itself instead of running Torch's
// torch.utils.hipify, and lists what the table covers.
//
// What it does, token by token (comments and string/character literals are left alone):
//   - #include names: <cuda_runtime.h> -> <hip/hip_runtime.h>, <c10/cuda/CUDAGuard.h> ->
//     <ATen/hip/impl/HIPGuardImplMasqueradingAsCUDA.h>, ... (a fixed table);
//   - CUDA runtime names: cudaX -> hipX (cudaStream_t -> hipStream_t), with a table for the
//     names HIP spells differently (cudaDeviceProp -> hipDeviceProp_t, ...);
//   - library prefixes: curand -> hiprand, cublas -> hipblas (CUBLAS_ -> HIPBLAS_), cub:: ->
//     hipcub::; __nv_bfloat16 -> __hip_bfloat16;
//   - Torch's CUDA API as ROCm Torch spells it (c10::cuda::CUDAGuard ->
//     c10::hip::HIPGuardMasqueradingAsCUDA, at::cuda::getCurrentCUDAStream ->
//     at::hip::getCurrentHIPStreamMasqueradingAsCUDA, C10_CUDA_CHECK -> C10_HIP_CHECK, ...);
//   - __CUDACC__ -> __HIPCC__, __CUDA_ARCH__ -> __HIP_DEVICE_COMPILE__ (so `defined(...)`
//     tests keep their meaning; a numeric `__CUDA_ARCH__ >= 800` becomes false).
// Kernel launches (<<<...>>>) stay: HIP's clang accepts them. Nothing is inserted: nvcc's
// implicit #include of cuda_runtime.h is matched by the compile's `-include hip/hip_runtime.h`
// (src/flags.h), so line numbers of the output match the original's.
// The output starts with a comment naming the original and a `#line 1 "<origin>"`, so
// compiler messages and __FILE__ point at the file the author edits; line numbers match.

#include <string>
#include <string_view>
#include <vector>

namespace kb {

// A name in the CUDA namespace of a library kb's table does not translate (cuFFT, cuSPARSE,
// cuDNN, the driver API, ...). It is left as it is; the compile will most likely fail on it.
struct HipifyUnmapped {
  std::string name;
  int line = 0;  // 1-based, of its first use
};

struct HipifyResult {
  std::string text;
  int replacements = 0;                  // names and include paths rewritten
  std::vector<HipifyUnmapped> unmapped;  // first use of each, in order of appearance
};

// Translates one CUDA C++ source or header. `origin` is the author's file, for the #line
// directive ("" leaves the directive out).
HipifyResult hipify_source(std::string_view source, std::string_view origin);

// Whether a file of a ROCm section's src list is hipified: .cu sources and C/C++/CUDA
// headers (.h .hh .hpp .hxx .cuh .inl .inc .ipp .tcc). .cpp/.cc files are compiled by the
// host compiler as they are, as the reference does; .hip files are already HIP.
bool is_hipify_input(std::string_view path);

// The hipified file's name: "relu_cuda/relu.cu" -> "relu_cuda/relu.hip"; any other name
// (headers) is kept, so #include "x.cuh" still finds the hipified copy beside it.
std::string hipified_path(std::string_view path);

}  // namespace kb
