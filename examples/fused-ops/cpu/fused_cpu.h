#pragma once
// CPU kernels. Torch-free: raw pointers, sizes and the element type. Each processes the
// rows [row_begin, row_end), so the binding can split the rows across threads.
// Shapes are as in common/launch.h.

#include <cstdint>

#include "../common/dtype.h"

namespace fused_ops {

void silu_and_mul_cpu(void* out, const void* in, int64_t row_begin, int64_t row_end, int64_t d,
                      DType dtype);
void gelu_tanh_and_mul_cpu(void* out, const void* in, int64_t row_begin, int64_t row_end, int64_t d,
                           DType dtype);
void rms_norm_cpu(void* out, const void* in, const void* weight, int64_t row_begin, int64_t row_end,
                  int64_t hidden, float eps, DType dtype);

}  // namespace fused_ops
