#pragma once
// The Torch-facing relu ops. Both write into `out`, which must have the shape, dtype and
// device of `x`.

#include <ATen/core/Tensor.h>

// out = max(x, 0)
void relu(at::Tensor& out, const at::Tensor& x);

// out = alpha * max(x, 0)
void scaled_relu(at::Tensor& out, const at::Tensor& x, double alpha);
