#pragma once
// The "activation and multiply" kernel shared by silu_and_mul.cu and gelu_and_mul.cu:
// out[r, i] = Act(in[r, i]) * in[r, d + i]. One block per row; rows whose three pointers
// are 16-byte aligned (and d a multiple of the pack) move 16 bytes per access.

#include "../common/vec.cuh"

namespace fused_ops {

template <typename T, typename Act>
__global__ void act_and_mul_kernel(T* __restrict__ out, const T* __restrict__ in, int64_t d) {
  const int64_t row = blockIdx.x;
  const T* x = in + row * 2 * d;
  const T* y = x + d;
  T* o = out + row * d;
  constexpr int kPack = Pack<T>::kPack;
  if (d % kPack == 0 && aligned16(x) && aligned16(y) && aligned16(o)) {
    const auto* xp = reinterpret_cast<const Pack<T>*>(x);
    const auto* yp = reinterpret_cast<const Pack<T>*>(y);
    auto* op = reinterpret_cast<Pack<T>*>(o);
    for (int64_t p = threadIdx.x; p < d / kPack; p += blockDim.x) {
      const Pack<T> a = xp[p];
      const Pack<T> b = yp[p];
      Pack<T> r;
#pragma unroll
      for (int k = 0; k < kPack; ++k)
        r.v[k] =
            Num<T>::from_float(Act::apply(Num<T>::to_float(a.v[k])) * Num<T>::to_float(b.v[k]));
      op[p] = r;
    }
  } else {
    for (int64_t i = threadIdx.x; i < d; i += blockDim.x)
      o[i] = Num<T>::from_float(Act::apply(Num<T>::to_float(x[i])) * Num<T>::to_float(y[i]));
  }
}

template <typename Act>
const char* launch_act_and_mul(void* out, const void* in, int64_t rows, int64_t d, DType dtype,
                               void* stream) {
  if (rows <= 0 || d <= 0) return nullptr;
  if (rows > 0x7fffffff) return "too many rows for one launch";
  return with_dtype(dtype, [&](auto tag) -> const char* {
    using T = decltype(tag);
    const int threads = threads_for(d / Pack<T>::kPack, 1024);
    act_and_mul_kernel<T, Act>
        <<<static_cast<unsigned>(rows), threads, 0, static_cast<cudaStream_t>(stream)>>>(
            static_cast<T*>(out), static_cast<const T*>(in), d);
    return launch_status();
  });
}

}  // namespace fused_ops
