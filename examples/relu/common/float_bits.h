#pragma once
// Conversions between float and the 16-bit formats, on raw bits, for host and device
// code alike. Torch-free and runtime-free: relu.cu (nvcc or hipcc) and relu_cpu.cpp (g++)
// share this one copy, so the CPU tests also cover the arithmetic the GPU kernel uses.
// Rounding is to nearest even; NaN stays NaN (quiet); overflow gives infinity.

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define RELU_HD __host__ __device__
#else
#define RELU_HD
#endif

namespace relu_kernels {

RELU_HD inline float float_from_bits(uint32_t bits) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

RELU_HD inline uint32_t bits_from_float(float f) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return __float_as_uint(f);
#else
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
#endif
}

// IEEE binary16.
struct F16 {
  using Storage = uint16_t;
  RELU_HD static float load(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1fu) return float_from_bits(sign | 0x7f800000u | (mant << 13));  // inf, nan
    if (exp != 0) return float_from_bits(sign | ((exp + 112u) << 23) | (mant << 13));
    if (mant == 0) return float_from_bits(sign);  // signed zero
    uint32_t e = 113u;                            // subnormal: normalise the mantissa
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    return float_from_bits(sign | (e << 23) | ((mant & 0x3ffu) << 13));
  }
  RELU_HD static uint16_t store(float f) {
    const uint32_t bits = bits_from_float(f);
    const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    const uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u) return sign | 0x7e00u;         // nan
    if (abs >= 0x477ff000u) return sign | 0x7c00u;        // inf, or rounds to >= 65520
    if (abs <= 0x33000000u) return sign;                  // at most half the smallest subnormal
    int32_t exp = static_cast<int32_t>(abs >> 23) - 112;  // biased half exponent
    uint32_t mant = (abs & 0x7fffffu) | 0x800000u;        // 24-bit significand
    uint32_t shift = 13;
    if (exp <= 0) {  // subnormal half
      shift += static_cast<uint32_t>(1 - exp);
      exp = 0;
    } else {
      mant &= 0x7fffffu;  // the implicit bit comes from the exponent field
    }
    uint32_t out = (static_cast<uint32_t>(exp) << 10) + (mant >> shift);
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (out & 1u))) ++out;  // a carry may bump the exponent
    return static_cast<uint16_t>(sign | out);
  }
};

// bfloat16: the upper half of a float.
struct BF16 {
  using Storage = uint16_t;
  RELU_HD static float load(uint16_t b) { return float_from_bits(static_cast<uint32_t>(b) << 16); }
  RELU_HD static uint16_t store(float f) {
    const uint32_t bits = bits_from_float(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);
    return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
  }
};

struct F32 {
  using Storage = float;
  RELU_HD static float load(float x) { return x; }
  RELU_HD static float store(float x) { return x; }
};

// out = alpha * relu(x). NaN propagates as in torch.relu: only values that compare below
// zero become zero.
RELU_HD inline float scaled_relu(float x, float alpha) { return (x < 0.f ? 0.f : x) * alpha; }

}  // namespace relu_kernels
