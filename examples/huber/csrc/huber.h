#pragma once
// The elementwise Huber loss, for host and device code alike. Torch-free: the CUDA TU
// (huber_cuda/huber_cuda.cu) and the CPU TU (huber_cpu/huber_cpu.cpp) both include this
// one copy as "huber.h", found through the csrc/ include directory that every TU gets.

#if defined(__CUDACC__)
#define HUBER_HD __host__ __device__
#else
#define HUBER_HD
#endif

namespace huber_kernels {

// Returns 0.5 * d^2 where |d| < delta, else delta * (|d| - 0.5 * delta), with d = x - y,
// computed in T (float for the 16-bit types). NaN in, NaN out.
template <typename T>
HUBER_HD inline T huber(T x, T y, T delta) {
  const T d = x - y;
  const T z = d < T(0) ? -d : d;
  return z < delta ? T(0.5) * z * z : delta * (z - T(0.5) * delta);
}

}  // namespace huber_kernels
