#pragma once
// The Torch-facing fused ops, written against the Torch stable ABI only
// (torch/csrc/stable). Every op writes into a caller-allocated `out`.

#include <torch/csrc/stable/tensor.h>

// x: [..., 2 * d]; out: [..., d]; out = silu(x[..., :d]) * x[..., d:]
void silu_and_mul(torch::stable::Tensor& out, const torch::stable::Tensor& x);

// x: [..., 2 * d]; out: [..., d]; out = gelu_tanh(x[..., :d]) * x[..., d:]
void gelu_tanh_and_mul(torch::stable::Tensor& out, const torch::stable::Tensor& x);

// x, out: [..., hidden]; weight: [hidden]; out = x / sqrt(mean(x^2, -1) + eps) * weight
void rms_norm(torch::stable::Tensor& out, const torch::stable::Tensor& x,
              const torch::stable::Tensor& weight, double eps);
