// The launcher every GPU runs, listed by both [kernel.ampere] and [kernel.hopper]. As in the
// reference build, it is compiled once, with the union of both sections' -gencode flags
// (sm_80 and sm_90a on CUDA 13) and both sections' cuda-flags. Built for one section's archs
// only, its probe kernel has no code for the other section's GPUs; compiled once per
// section, its functions are defined twice and the link fails.

#include "axpby.cuh"
#include "launch.h"
#include "sections.h"

#if !defined(AXPBY_WITH_AMPERE) || !defined(AXPBY_WITH_HOPPER)
#error "launch.cu needs the cuda-flags of both [kernel.ampere] and [kernel.hopper]"
#endif
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ == 900 && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "launch.cu was built for sm_90, but [kernel.hopper] asks for 9.0a"
#endif

namespace axpby_kernels {
namespace {

__global__ void probe_kernel(int32_t* out) { detail::write_arch(out); }

// The compute capability major of the current device, or -1 with `error` set.
int device_major(const char** error) {
  int device = 0;
  int major = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err == cudaSuccess)
    err = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  if (err != cudaSuccess) {
    *error = cudaGetErrorString(err);
    return -1;
  }
  return major;
}

}  // namespace

const char* axpby_cuda(void* out, const void* x, const void* y, int64_t n, double a, double b,
                       DType dtype, void* stream) {
  if (n <= 0) return nullptr;
  const char* error = nullptr;
  const int major = device_major(&error);
  if (major < 0) return error;
  return major >= 9 ? axpby_hopper(out, x, y, n, a, b, dtype, stream)
                    : axpby_ampere(out, x, y, n, a, b, dtype, stream);
}

const char* arch_probe_cuda(int32_t* out, void* stream) {
  const char* error = nullptr;
  const int major = device_major(&error);
  if (major < 0) return error;
  probe_kernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(out);
  if ((error = detail::last_error())) return error;
  return major >= 9 ? arch_probe_hopper(out + 2, stream) : arch_probe_ampere(out + 2, stream);
}

}  // namespace axpby_kernels
