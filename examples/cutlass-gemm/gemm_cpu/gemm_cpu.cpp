// The CPU GEMM (see gemm_cpu.h): i-k-j loops, so the innermost loop streams one row of b and
// one row of c, with a float32 accumulator row for float16.

#include "gemm_cpu.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace cutlass_gemm {
namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const int exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ffu;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // zero and subnormals
  } else if (exponent == 31) {
    magnitude = mantissa ? NAN : INFINITY;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), exponent - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &magnitude, sizeof bits);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, sizeof out);
  return out;
}

// Round to nearest, ties to even, with overflow to infinity and gradual underflow.
uint16_t float_to_half(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const float magnitude = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7e00u;
  if (magnitude >= 65520.0f) return sign | 0x7c00u;  // rounds to infinity
  if (magnitude < std::ldexp(1.0f, -14)) {
    // Subnormal half: a multiple of 2^-24, rounded by nearbyint (ties to even by default).
    return sign | static_cast<uint16_t>(std::nearbyint(std::ldexp(magnitude, 24)));
  }
  int exponent;
  const float fraction = std::frexp(magnitude, &exponent);  // magnitude = fraction * 2^exponent
  // 11 significant bits: fraction in [0.5, 1) -> [1024, 2048).
  uint32_t significand = static_cast<uint32_t>(std::nearbyint(std::ldexp(fraction, 11)));
  if (significand == 2048) {  // rounded up to the next power of two
    significand = 1024;
    ++exponent;
  }
  const uint32_t biased = static_cast<uint32_t>(exponent - 1 + 15);
  return sign | static_cast<uint16_t>((biased << 10) | (significand & 0x3ffu));
}

}  // namespace

void gemm_f32_cpu(float* c, const float* a, const float* b, int64_t row_begin, int64_t row_end,
                  int64_t n, int64_t k) {
  for (int64_t i = row_begin; i < row_end; ++i) {
    float* c_row = c + i * n;
    for (int64_t j = 0; j < n; ++j) c_row[j] = 0.0f;
    for (int64_t p = 0; p < k; ++p) {
      const float a_ip = a[i * k + p];
      const float* b_row = b + p * n;
      for (int64_t j = 0; j < n; ++j) c_row[j] += a_ip * b_row[j];
    }
  }
}

void gemm_f16_cpu(uint16_t* c, const uint16_t* a, const uint16_t* b, int64_t row_begin,
                  int64_t row_end, int64_t n, int64_t k) {
  std::vector<float> acc(static_cast<size_t>(n));
  std::vector<float> b_row(static_cast<size_t>(n));
  for (int64_t i = row_begin; i < row_end; ++i) {
    for (int64_t j = 0; j < n; ++j) acc[j] = 0.0f;
    for (int64_t p = 0; p < k; ++p) {
      const float a_ip = half_to_float(a[i * k + p]);
      for (int64_t j = 0; j < n; ++j) b_row[j] = half_to_float(b[p * n + j]);
      for (int64_t j = 0; j < n; ++j) acc[j] += a_ip * b_row[j];
    }
    for (int64_t j = 0; j < n; ++j) c[i * n + j] = float_to_half(acc[j]);
  }
}

}  // namespace cutlass_gemm
