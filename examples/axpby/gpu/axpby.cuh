#pragma once
// Device helpers that the GPU TUs share. Each TU defines its own __global__ kernels in an
// unnamed namespace: a kernel with the same name in two TUs built for different archs
// would share one host stub, and launches from one TU could run the other TU's code.

#include <cuda_runtime.h>

#include <cstdint>

namespace axpby_kernels {
namespace detail {

// A grid-stride loop over out = a * x + b * y; `out` may alias `x` or `y` (each element is
// read before it is written).
template <typename T>
__device__ inline void axpby_grid_stride(T* out, const T* x, const T* y, int64_t n, T a, T b) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = a * x[i] + b * y[i];
}

// out[0] = the __CUDA_ARCH__ this code was built for; out[1] = 1 if it was built with
// Hopper's arch-specific features (sm_90a), else 0.
__device__ inline void write_arch(int32_t* out) {
#if defined(__CUDA_ARCH__)
  out[0] = __CUDA_ARCH__;
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  out[1] = 1;
#else
  out[1] = 0;
#endif
#endif
}

constexpr int kThreads = 256;

// Blocks for n elements at kThreads each, at most 65535 (the loop strides over the rest).
inline unsigned blocks_for(int64_t n) {
  const int64_t want = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(want < 65535 ? want : 65535);
}

// nullptr, or the text of the last CUDA runtime error (which it clears).
inline const char* last_error() {
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
}

}  // namespace detail
}  // namespace axpby_kernels
