#pragma once
// The CPU axpby kernel. Torch-free like the GPU launchers (gpu/launch.h): raw pointers and
// an index range, so the binding can split the elements across threads.

#include <cstdint>

#include "../common/dtype.h"

namespace axpby_kernels {

// out[i] = a * x[i] + b * y[i] for begin <= i < end; `out` may alias `x` or `y`.
void axpby_cpu(void* out, const void* x, const void* y, int64_t begin, int64_t end, double a,
               double b, DType dtype);

}  // namespace axpby_kernels
