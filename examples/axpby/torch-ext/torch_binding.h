#pragma once
// The Torch-facing axpby ops, written against the Torch stable ABI only
// (torch/csrc/stable). Every op writes into a caller-allocated `out`.

#include <torch/csrc/stable/tensor.h>

// out = a * x + b * y; x, y and out have one shape and dtype (float32 or float64).
void axpby(torch::stable::Tensor& out, const torch::stable::Tensor& x,
           const torch::stable::Tensor& y, double a, double b);

// CUDA builds only: out (4 int32 on the GPU) = which code ran (gpu/launch.h, arch_probe_cuda).
void arch_probe(torch::stable::Tensor& out);
