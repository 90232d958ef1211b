// CPU versions of the fused ops, computing in float like the CUDA kernels.

#include "fused_cpu.h"

#include <cmath>
#include <cstring>

namespace fused_ops {
namespace {

struct F32 {
  using T = float;
  static float load(float x) { return x; }
  static float store(float x) { return x; }
};

struct F16 {  // IEEE binary16 through the compiler's _Float16 (round to nearest even)
  using T = _Float16;
  static float load(_Float16 x) { return static_cast<float>(x); }
  static _Float16 store(float x) { return static_cast<_Float16>(x); }
};

struct BF16 {  // bfloat16 as raw bits: the upper half of a float
  using T = uint16_t;
  static float load(uint16_t b) {
    const uint32_t bits = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  static uint16_t store(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
    return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);  // nearest even
  }
};

template <typename F>
void with_format(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32:
      return f(F32{});
    case DType::kFloat16:
      return f(F16{});
    case DType::kBFloat16:
      return f(BF16{});
  }
}

float silu(float x) { return x / (1.f + std::exp(-x)); }

float gelu_tanh(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  constexpr float kCoeff = 0.044715f;
  return 0.5f * x * (1.f + std::tanh(kSqrt2OverPi * (x + kCoeff * x * x * x)));
}

template <float (*Act)(float)>
void act_and_mul(void* out, const void* in, int64_t row_begin, int64_t row_end, int64_t d,
                 DType dtype) {
  with_format(dtype, [&](auto fmt) {
    using Fmt = decltype(fmt);
    using T = typename Fmt::T;
    for (int64_t r = row_begin; r < row_end; ++r) {
      const T* x = static_cast<const T*>(in) + r * 2 * d;
      const T* y = x + d;
      T* o = static_cast<T*>(out) + r * d;
      for (int64_t i = 0; i < d; ++i) o[i] = Fmt::store(Act(Fmt::load(x[i])) * Fmt::load(y[i]));
    }
  });
}

}  // namespace

void silu_and_mul_cpu(void* out, const void* in, int64_t row_begin, int64_t row_end, int64_t d,
                      DType dtype) {
  act_and_mul<silu>(out, in, row_begin, row_end, d, dtype);
}

void gelu_tanh_and_mul_cpu(void* out, const void* in, int64_t row_begin, int64_t row_end, int64_t d,
                           DType dtype) {
  act_and_mul<gelu_tanh>(out, in, row_begin, row_end, d, dtype);
}

void rms_norm_cpu(void* out, const void* in, const void* weight, int64_t row_begin, int64_t row_end,
                  int64_t hidden, float eps, DType dtype) {
  with_format(dtype, [&](auto fmt) {
    using Fmt = decltype(fmt);
    using T = typename Fmt::T;
    const T* w = static_cast<const T*>(weight);
    for (int64_t r = row_begin; r < row_end; ++r) {
      const T* x = static_cast<const T*>(in) + r * hidden;
      T* o = static_cast<T*>(out) + r * hidden;
      double sum_sq = 0;
      for (int64_t i = 0; i < hidden; ++i) {
        const double v = Fmt::load(x[i]);
        sum_sq += v * v;
      }
      const float inv_rms =
          static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(hidden) + eps));
      for (int64_t i = 0; i < hidden; ++i)
        o[i] = Fmt::store(Fmt::load(x[i]) * inv_rms * Fmt::load(w[i]));
    }
  });
}

}  // namespace fused_ops
