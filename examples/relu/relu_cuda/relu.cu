// Elementwise scaled relu for CUDA and HIP. No Torch headers: see relu.h.

#include "../common/float_bits.h"
#include "relu.h"

#if defined(__HIP__) || defined(__HIPCC__)
#include <hip/hip_runtime.h>
#define RELU_GPU(name) hip##name
#else
#include <cuda_runtime.h>
#define RELU_GPU(name) cuda##name
#endif

namespace relu_kernels {
namespace {

// A grid-stride loop; `out` may alias `in` (each element is read before it is written).
template <typename Fmt>
__global__ void scaled_relu_kernel(typename Fmt::Storage* out, const typename Fmt::Storage* in,
                                   int64_t n, float alpha) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = Fmt::store(scaled_relu(Fmt::load(in[i]), alpha));
}

template <typename Fmt>
int launch(typename Fmt::Storage* out, const typename Fmt::Storage* in, int64_t n, float alpha,
           void* stream) {
  if (n <= 0) return 0;
  constexpr int kThreads = 256;
  constexpr int64_t kMaxBlocks = 65535;
  const int64_t want = (n + kThreads - 1) / kThreads;
  const unsigned blocks = static_cast<unsigned>(want < kMaxBlocks ? want : kMaxBlocks);
  scaled_relu_kernel<Fmt>
      <<<blocks, kThreads, 0, static_cast<RELU_GPU(Stream_t)>(stream)>>>(out, in, n, alpha);
  return static_cast<int>(RELU_GPU(GetLastError)());
}

}  // namespace

int scaled_relu_gpu_f32(float* out, const float* in, int64_t n, float alpha, void* stream) {
  return launch<F32>(out, in, n, alpha, stream);
}
int scaled_relu_gpu_f16(uint16_t* out, const uint16_t* in, int64_t n, float alpha, void* stream) {
  return launch<F16>(out, in, n, alpha, stream);
}
int scaled_relu_gpu_bf16(uint16_t* out, const uint16_t* in, int64_t n, float alpha, void* stream) {
  return launch<BF16>(out, in, n, alpha, stream);
}

const char* relu_gpu_error_string(int code) {
  return RELU_GPU(GetErrorString)(static_cast<RELU_GPU(Error_t)>(code));
}

}  // namespace relu_kernels
