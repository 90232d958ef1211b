// silu(x) * y, the gate of SwiGLU feed-forward layers.

#include "../common/launch.h"
#include "act_and_mul.cuh"

namespace fused_ops {
namespace {

struct Silu {
  __device__ static float apply(float x) { return x / (1.f + expf(-x)); }
};

}  // namespace

const char* silu_and_mul_cuda(void* out, const void* in, int64_t rows, int64_t d, DType dtype,
                              void* stream) {
  return launch_act_and_mul<Silu>(out, in, rows, d, dtype, stream);
}

}  // namespace fused_ops
