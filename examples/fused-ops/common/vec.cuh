#pragma once
// Device helpers shared by the CUDA kernels: float conversion of the element types, packs
// of elements moved with one 16-byte access, and a block-wide sum.

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "dtype.h"

namespace fused_ops {

template <typename T>
struct Num;

template <>
struct Num<float> {
  __device__ static float to_float(float x) { return x; }
  __device__ static float from_float(float x) { return x; }
};

template <>
struct Num<__half> {
  __device__ static float to_float(__half x) { return __half2float(x); }
  __device__ static __half from_float(float x) { return __float2half_rn(x); }
};

template <>
struct Num<__nv_bfloat16> {
  __device__ static float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
  __device__ static __nv_bfloat16 from_float(float x) { return __float2bfloat16_rn(x); }
};

// kPack elements of T that are loaded and stored as one 16-byte access.
template <typename T>
struct alignas(16) Pack {
  static constexpr int kPack = 16 / sizeof(T);
  T v[kPack];
};

__device__ inline bool aligned16(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & 15u) == 0;
}

// Sum of `v` over the block; every thread gets the result. blockDim.x must be a multiple
// of 32 and at most 1024.
__device__ inline float block_sum(float v) {
  __shared__ float partial[32];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / 32;
  v = lane < warps ? partial[lane] : 0.f;
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  __syncthreads();  // partial[] may be reused by a later call
  return v;
}

// Threads for a row of `work` items: a multiple of 32 between 32 and `max_threads`.
inline int threads_for(int64_t work, int max_threads) {
  int64_t t = (work + 31) / 32 * 32;
  if (t < 32) t = 32;
  return static_cast<int>(t < max_threads ? t : max_threads);
}

// Calls f(T{}) with the element type named by `dtype`; returns its result.
template <typename F>
const char* with_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32:
      return f(float{});
    case DType::kFloat16:
      return f(__half{});
    case DType::kBFloat16:
      return f(__nv_bfloat16{});
  }
  return "unsupported element type";
}

// nullptr if the last launch succeeded, else the runtime's message.
inline const char* launch_status() {
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? nullptr : cudaGetErrorString(err);
}

}  // namespace fused_ops
