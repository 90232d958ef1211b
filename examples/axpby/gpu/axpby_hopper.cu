// The [kernel.hopper] TU: axpby for Hopper, built as sm_90a. Only this section lists it, so
// it must be built for this section's capabilities alone (9.0a on CUDA 13), never for
// Ampere's.

#include "axpby.cuh"
#include "sections.h"

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
#error "axpby_hopper.cu is listed by [kernel.hopper] only, and was built for a pre-Hopper arch"
#endif
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ == 900 && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "axpby_hopper.cu was built for sm_90, but [kernel.hopper] asks for 9.0a"
#endif

namespace axpby_kernels {
namespace {

template <typename T>
__global__ void axpby_kernel(T* out, const T* x, const T* y, int64_t n, T a, T b) {
  detail::axpby_grid_stride(out, x, y, n, a, b);
}

__global__ void probe_kernel(int32_t* out) { detail::write_arch(out); }

template <typename T>
const char* launch(void* out, const void* x, const void* y, int64_t n, double a, double b,
                   void* stream) {
  if (n <= 0) return nullptr;
  axpby_kernel<T>
      <<<detail::blocks_for(n), detail::kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
          static_cast<T*>(out), static_cast<const T*>(x), static_cast<const T*>(y), n,
          static_cast<T>(a), static_cast<T>(b));
  return detail::last_error();
}

}  // namespace

const char* axpby_hopper(void* out, const void* x, const void* y, int64_t n, double a, double b,
                         DType dtype, void* stream) {
  return dtype == DType::kFloat64 ? launch<double>(out, x, y, n, a, b, stream)
                                  : launch<float>(out, x, y, n, a, b, stream);
}

const char* arch_probe_hopper(int32_t* out, void* stream) {
  probe_kernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(out);
  return detail::last_error();
}

}  // namespace axpby_kernels
