// The CPU axpby kernel (cpu/axpby_cpu.h).

#include "axpby_cpu.h"

namespace axpby_kernels {
namespace {

template <typename T>
void run(void* out, const void* x, const void* y, int64_t begin, int64_t end, T a, T b) {
  T* o = static_cast<T*>(out);
  const T* xs = static_cast<const T*>(x);
  const T* ys = static_cast<const T*>(y);
  for (int64_t i = begin; i < end; ++i) o[i] = a * xs[i] + b * ys[i];
}

}  // namespace

void axpby_cpu(void* out, const void* x, const void* y, int64_t begin, int64_t end, double a,
               double b, DType dtype) {
  if (dtype == DType::kFloat64)
    run<double>(out, x, y, begin, end, a, b);
  else
    run<float>(out, x, y, begin, end, static_cast<float>(a), static_cast<float>(b));
}

}  // namespace axpby_kernels
