// float16 GEMM on the tensor cores: a CUTLASS 2-style device GEMM for sm_80 (mma.sync
// 16x8x16, cp.async, 3 pipeline stages), float32 accumulation.

#include "gemm.h"
#include "gemm_run.cuh"

#include <cutlass/epilogue/thread/linear_combination.h>
#include <cutlass/gemm/device/gemm.h>

namespace cutlass_gemm {
namespace {

using RowMajor = cutlass::layout::RowMajor;
using Half = cutlass::half_t;

using GemmF16 = cutlass::gemm::device::Gemm<
    Half, RowMajor, Half, RowMajor, Half, RowMajor,
    float,                                  // accumulator
    cutlass::arch::OpClassTensorOp, cutlass::arch::Sm80,
    cutlass::gemm::GemmShape<128, 128, 32>,  // threadblock tile
    cutlass::gemm::GemmShape<64, 64, 32>,    // warp tile
    cutlass::gemm::GemmShape<16, 8, 16>,     // mma instruction
    cutlass::epilogue::thread::LinearCombination<Half, kF16Alignment, float, float>,
    cutlass::gemm::threadblock::GemmIdentityThreadblockSwizzle<>,
    3,                                       // pipeline stages
    kF16Alignment, kF16Alignment>;

}  // namespace

const char* gemm_f16(uint16_t* c, const uint16_t* a, const uint16_t* b, int m, int n, int k,
                     void* stream) {
  return run_gemm<GemmF16>(reinterpret_cast<Half*>(c), reinterpret_cast<const Half*>(a),
                           reinterpret_cast<const Half*>(b), m, n, k, stream);
}

}  // namespace cutlass_gemm
