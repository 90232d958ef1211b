#pragma once
// The Torch-facing op of the heavy attention benchmark kernel.

#include <ATen/core/Tensor.h>

// out = softmax(scale * q k^T [causal mask]) v for contiguous [batch, heads, seq, head_dim]
// GPU tensors of one dtype (float32, float16 or bfloat16); head_dim 32, 64, 96, 128, 160 or 192.
void attention(at::Tensor& out, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal,
               double scale);
