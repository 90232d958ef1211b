// float32 GEMM on the CUDA cores (CUTLASS's SIMT path for sm_80, cp.async with 4 stages).
// Element-wise alignment, so any m, n and k.

#include "gemm.h"
#include "gemm_run.cuh"

#include <cutlass/epilogue/thread/linear_combination.h>
#include <cutlass/gemm/device/gemm.h>

namespace cutlass_gemm {
namespace {

using RowMajor = cutlass::layout::RowMajor;

using GemmF32 = cutlass::gemm::device::Gemm<
    float, RowMajor, float, RowMajor, float, RowMajor,
    float,                                  // accumulator
    cutlass::arch::OpClassSimt, cutlass::arch::Sm80,
    cutlass::gemm::GemmShape<128, 128, 8>,   // threadblock tile
    cutlass::gemm::GemmShape<32, 64, 8>,     // warp tile
    cutlass::gemm::GemmShape<1, 1, 1>,       // one FMA
    cutlass::epilogue::thread::LinearCombination<float, 1, float, float>,
    cutlass::gemm::threadblock::GemmIdentityThreadblockSwizzle<>,
    4,                                       // pipeline stages
    1, 1>;                                   // alignment of A and B, in elements

}  // namespace

const char* gemm_f32(float* c, const float* a, const float* b, int m, int n, int k, void* stream) {
  return run_gemm<GemmF32>(c, a, b, m, n, k, stream);
}

}  // namespace cutlass_gemm
