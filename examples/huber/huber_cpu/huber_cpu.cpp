// The CPU huber kernel: a strided loop over the binding's TensorIterator, which on CPU has
// already cast the inputs to the common dtype. Shares the arithmetic with the CUDA kernel
// through csrc/huber.h.

#include <ATen/OpMathType.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "huber.h"      // csrc/huber.h: no include entry in build.toml names csrc/
#include "huber_ops.h"  // csrc/huber_ops.h

namespace huber_kernels {
namespace {

template <typename scalar_t>
void run(at::TensorIteratorBase& iter, double delta) {
  using opmath_t = at::opmath_type<scalar_t>;
  const opmath_t d = static_cast<opmath_t>(delta);
  iter.for_each([d](char** data, const int64_t* strides, int64_t n) {
    char* out = data[0];
    const char* x = data[1];
    const char* y = data[2];
    for (int64_t i = 0; i < n; ++i) {
      const opmath_t xv = *reinterpret_cast<const scalar_t*>(x + i * strides[1]);
      const opmath_t yv = *reinterpret_cast<const scalar_t*>(y + i * strides[2]);
      *reinterpret_cast<scalar_t*>(out + i * strides[0]) =
          static_cast<scalar_t>(huber<opmath_t>(xv, yv, d));
    }
  });
}

}  // namespace

void huber_cpu(at::TensorIteratorBase& iter, double delta) {
  switch (iter.common_dtype()) {
    case at::ScalarType::Float:
      run<float>(iter, delta);
      break;
    case at::ScalarType::Half:
      run<at::Half>(iter, delta);
      break;
    case at::ScalarType::BFloat16:
      run<at::BFloat16>(iter, delta);
      break;
    default:
      TORCH_CHECK(false, "huber: unsupported dtype ", iter.common_dtype());
  }
}

}  // namespace huber_kernels
