#pragma once
// Launchers of the CUDA kernels, as the binding sees them: raw pointers, sizes, the element
// type and the stream (a cudaStream_t passed as void*). No Torch and no CUDA headers here.
//
// Tensors are contiguous, row-major. Each launcher returns nullptr on success, or the CUDA
// runtime's description of the launch error.

#include <cstdint>

#include "dtype.h"

namespace fused_ops {

// in: [rows, 2 * d]; out: [rows, d]; out = act(in[:, :d]) * in[:, d:]
const char* silu_and_mul_cuda(void* out, const void* in, int64_t rows, int64_t d, DType dtype,
                              void* stream);
const char* gelu_tanh_and_mul_cuda(void* out, const void* in, int64_t rows, int64_t d, DType dtype,
                                   void* stream);

// in, out: [rows, hidden]; weight: [hidden];
// out = in / sqrt(mean(in^2, row) + eps) * weight
const char* rms_norm_cuda(void* out, const void* in, const void* weight, int64_t rows,
                          int64_t hidden, float eps, DType dtype, void* stream);

}  // namespace fused_ops
