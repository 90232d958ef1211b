#pragma once
// The kernels behind the binding's huber op. The binding builds one TensorIterator (output,
// x, y: broadcast and promoted to a common dtype) and passes it to the kernel of its build.
// Found by the binding as "huber_ops.h" through the csrc/ include directory.

#include <ATen/TensorIterator.h>

namespace huber_kernels {

// Fills iter's output with huber(x, y, delta) (csrc/huber.h) for the iterator's common
// dtype, which must be float32, float16 or bfloat16 (the binding checks it); all operands
// on one CUDA device. Raises a c10::Error if a launch fails.
void huber_cuda(at::TensorIteratorBase& iter, double delta);

// The same on CPU operands, split across Torch's intra-op threads.
void huber_cpu(at::TensorIteratorBase& iter, double delta);

}  // namespace huber_kernels
