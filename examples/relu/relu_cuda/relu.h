#pragma once
// Launchers of the GPU relu kernels. Torch-free on purpose: the binding passes raw
// pointers, the element count and the stream (a cudaStream_t, or a hipStream_t under
// ROCm, passed as void*), so this header and relu.cu need neither Torch nor the CUDA
// runtime headers.
//
// out[i] = alpha * max(in[i], 0). 16-bit types are passed as their raw bits
// (IEEE half for f16, bfloat16 for bf16). `out` may alias `in`.
//
// Each returns 0 on success, or the runtime's error code of the launch
// (see relu_gpu_error_string).

#include <cstdint>

namespace relu_kernels {

int scaled_relu_gpu_f32(float* out, const float* in, int64_t n, float alpha, void* stream);
int scaled_relu_gpu_f16(uint16_t* out, const uint16_t* in, int64_t n, float alpha, void* stream);
int scaled_relu_gpu_bf16(uint16_t* out, const uint16_t* in, int64_t n, float alpha, void* stream);

// Text of an error code returned by the launchers.
const char* relu_gpu_error_string(int code);

}  // namespace relu_kernels
