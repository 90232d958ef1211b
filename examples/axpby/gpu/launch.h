#pragma once
// The CUDA launchers as the binding sees them: raw pointers, the element count, the element
// type and the stream (a cudaStream_t passed as void*). No Torch and no CUDA headers here.
// Each returns nullptr on success, or the CUDA runtime's description of the error.

#include <cstdint>

#include "../common/dtype.h"

namespace axpby_kernels {

// out[i] = a * x[i] + b * y[i] for i < n, on the current device. Runs the code of the
// section built for the device: [kernel.ampere] below capability 9, [kernel.hopper] from
// 9 on (a GPU that neither section built code for gets the runtime's "no kernel image").
const char* axpby_cuda(void* out, const void* x, const void* y, int64_t n, double a, double b,
                       DType dtype, void* stream);

// Writes four int32 to `out` (device memory, current device): __CUDA_ARCH__ of the code that
// ran from launch.cu (the TU both sections list), 1 if that code was built with the 9.0a
// features else 0, and the same two for the section TU that axpby_cuda picks on this device.
const char* arch_probe_cuda(int32_t* out, void* stream);

}  // namespace axpby_kernels
