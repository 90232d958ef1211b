// RMSNorm: out = x / sqrt(mean(x^2) + eps) * weight, one block per row, in float.

#include "../common/launch.h"
#include "../common/vec.cuh"

namespace fused_ops {
namespace {

template <typename T>
__global__ void rms_norm_kernel(T* out, const T* in,  // out may alias in
                                const T* __restrict__ weight, int64_t hidden, float eps) {
  const int64_t row = blockIdx.x;
  const T* x = in + row * hidden;
  T* o = out + row * hidden;
  constexpr int kPack = Pack<T>::kPack;
  const bool vectorized = hidden % kPack == 0 && aligned16(x) && aligned16(o) && aligned16(weight);

  float sum_sq = 0.f;
  if (vectorized) {
    const auto* xp = reinterpret_cast<const Pack<T>*>(x);
    for (int64_t p = threadIdx.x; p < hidden / kPack; p += blockDim.x) {
      const Pack<T> a = xp[p];
#pragma unroll
      for (int k = 0; k < kPack; ++k) {
        const float v = Num<T>::to_float(a.v[k]);
        sum_sq += v * v;
      }
    }
  } else {
    for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) {
      const float v = Num<T>::to_float(x[i]);
      sum_sq += v * v;
    }
  }
  const float inv_rms = rsqrtf(block_sum(sum_sq) / static_cast<float>(hidden) + eps);

  if (vectorized) {
    const auto* xp = reinterpret_cast<const Pack<T>*>(x);
    const auto* wp = reinterpret_cast<const Pack<T>*>(weight);
    auto* op = reinterpret_cast<Pack<T>*>(o);
    for (int64_t p = threadIdx.x; p < hidden / kPack; p += blockDim.x) {
      const Pack<T> a = xp[p];
      const Pack<T> w = wp[p];
      Pack<T> r;
#pragma unroll
      for (int k = 0; k < kPack; ++k)
        r.v[k] = Num<T>::from_float(Num<T>::to_float(a.v[k]) * inv_rms * Num<T>::to_float(w.v[k]));
      op[p] = r;
    }
  } else {
    for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x)
      o[i] = Num<T>::from_float(Num<T>::to_float(x[i]) * inv_rms * Num<T>::to_float(weight[i]));
  }
}

}  // namespace

const char* rms_norm_cuda(void* out, const void* in, const void* weight, int64_t rows,
                          int64_t hidden, float eps, DType dtype, void* stream) {
  if (rows <= 0 || hidden <= 0) return nullptr;
  if (rows > 0x7fffffff) return "too many rows for one launch";
  return with_dtype(dtype, [&](auto tag) -> const char* {
    using T = decltype(tag);
    const int threads = threads_for(hidden / Pack<T>::kPack, 1024);
    rms_norm_kernel<T>
        <<<static_cast<unsigned>(rows), threads, 0, static_cast<cudaStream_t>(stream)>>>(
            static_cast<T*>(out), static_cast<const T*>(in), static_cast<const T*>(weight), hidden,
            eps);
    return launch_status();
  });
}

}  // namespace fused_ops
