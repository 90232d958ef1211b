// gelu(x, approximate="tanh") * y, the gate of GeGLU feed-forward layers.

#include "../common/launch.h"
#include "act_and_mul.cuh"

namespace fused_ops {
namespace {

struct GeluTanh {
  __device__ static float apply(float x) {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    constexpr float kCoeff = 0.044715f;
    return 0.5f * x * (1.f + tanhf(kSqrt2OverPi * (x + kCoeff * x * x * x)));
  }
};

}  // namespace

const char* gelu_tanh_and_mul_cuda(void* out, const void* in, int64_t rows, int64_t d, DType dtype,
                                   void* stream) {
  return launch_act_and_mul<GeluTanh>(out, in, rows, d, dtype, stream);
}

}  // namespace fused_ops
