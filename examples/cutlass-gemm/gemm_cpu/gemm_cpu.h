#pragma once
// The CPU GEMM: rows [row_begin, row_end) of c = a @ b, row-major and densely packed like the
// CUDA launchers' operands (gemm_cuda/gemm.h). Torch-free; float16 values are IEEE half bits
// and accumulate in float32, as on the GPU.

#include <cstdint>

namespace cutlass_gemm {

void gemm_f32_cpu(float* c, const float* a, const float* b, int64_t row_begin, int64_t row_end,
                  int64_t n, int64_t k);

void gemm_f16_cpu(uint16_t* c, const uint16_t* a, const uint16_t* b, int64_t row_begin,
                  int64_t row_end, int64_t n, int64_t k);

}  // namespace cutlass_gemm
