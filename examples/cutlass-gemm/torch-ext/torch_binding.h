#pragma once
// The Torch-facing GEMM, written against the Torch stable ABI only (torch/csrc/stable).

#include <torch/csrc/stable/tensor.h>

// a: [m, k], b: [k, n], out: [m, n], all float32 or all float16, contiguous, on this build's
// device; out = a @ b (float16 accumulates in float32).
void gemm(torch::stable::Tensor& out, const torch::stable::Tensor& a, const torch::stable::Tensor& b);
