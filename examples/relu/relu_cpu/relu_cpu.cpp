// CPU relu kernels; the same arithmetic as the GPU kernel (common/float_bits.h).

#include "relu_cpu.h"

#include "../common/float_bits.h"

namespace relu_kernels {
namespace {

template <typename Fmt>
void run(typename Fmt::Storage* out, const typename Fmt::Storage* in, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) out[i] = Fmt::store(scaled_relu(Fmt::load(in[i]), alpha));
}

}  // namespace

void scaled_relu_cpu_f32(float* out, const float* in, int64_t n, float alpha) {
  run<F32>(out, in, n, alpha);
}
void scaled_relu_cpu_f16(uint16_t* out, const uint16_t* in, int64_t n, float alpha) {
  run<F16>(out, in, n, alpha);
}
void scaled_relu_cpu_bf16(uint16_t* out, const uint16_t* in, int64_t n, float alpha) {
  run<BF16>(out, in, n, alpha);
}

}  // namespace relu_kernels
