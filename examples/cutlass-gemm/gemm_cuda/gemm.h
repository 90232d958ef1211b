#pragma once
// Launchers of the CUTLASS GEMMs. Torch-free (and CUTLASS-free): the binding passes raw
// pointers, the sizes and the stream (a cudaStream_t as void*).
//
// c[m, n] = sum_k a[m, k] * b[k, n], every matrix row-major and densely packed (leading
// dimensions k, n and n). 16-bit values are passed as their IEEE half bits.
//
// Each returns nullptr on success, or a static text saying why the GEMM did not run.

#include <cstdint>

namespace cutlass_gemm {

// float16 in and out, float32 accumulation, tensor cores (sm_80 mma). Needs k and n to be
// multiples of 8 and 16-byte aligned pointers (128-bit loads).
const char* gemm_f16(uint16_t* c, const uint16_t* a, const uint16_t* b, int m, int n, int k,
                     void* stream);

// float32 throughout, on the CUDA cores: any m, n, k.
const char* gemm_f32(float* c, const float* a, const float* b, int m, int n, int k, void* stream);

// The alignment (in elements) gemm_f16 needs of k and n.
inline constexpr int kF16Alignment = 8;

}  // namespace cutlass_gemm
