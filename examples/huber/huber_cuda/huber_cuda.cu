// The CUDA huber kernel: a __host__ __device__ lambda passed to ATen's
// at::native::gpu_kernel, which broadcasts, casts and vectorises over a TensorIterator.
// nvcc accepts such a lambda only with --expt-extended-lambda (one of the flags Torch's
// CMake package adds to every .cu of a reference build); without it this TU fails with
// "annotation on lambda requires --extended-lambda nvcc flag".

#include <ATen/OpMathType.h>
#include <ATen/native/cuda/Loops.cuh>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "huber.h"      // csrc/huber.h: no include entry in build.toml names csrc/
#include "huber_ops.h"  // csrc/huber_ops.h

namespace huber_kernels {
namespace {

template <typename scalar_t>
void launch(at::TensorIteratorBase& iter, double delta) {
  using opmath_t = at::opmath_type<scalar_t>;
  const opmath_t d = static_cast<opmath_t>(delta);
  at::native::gpu_kernel(iter, [d] __host__ __device__(scalar_t x, scalar_t y) -> scalar_t {
    return static_cast<scalar_t>(
        huber<opmath_t>(static_cast<opmath_t>(x), static_cast<opmath_t>(y), d));
  });
}

}  // namespace

void huber_cuda(at::TensorIteratorBase& iter, double delta) {
  switch (iter.common_dtype()) {
    case at::ScalarType::Float:
      launch<float>(iter, delta);
      break;
    case at::ScalarType::Half:
      launch<at::Half>(iter, delta);
      break;
    case at::ScalarType::BFloat16:
      launch<at::BFloat16>(iter, delta);
      break;
    default:
      TORCH_CHECK(false, "huber: unsupported dtype ", iter.common_dtype());
  }
}

}  // namespace huber_kernels
