#pragma once
// Runs one cutlass::gemm::device::Gemm type on row-major operands; shared by the f16 and
// f32 translation units (each instantiates its own GEMM, so they compile in parallel).

#include <cuda_runtime.h>

#include <cutlass/cutlass.h>

namespace cutlass_gemm {

template <typename Gemm, typename T>
const char* run_gemm(T* c, const T* a, const T* b, int m, int n, int k, void* stream) {
  if (m == 0 || n == 0) return nullptr;
  // D = alpha * (A @ B) + beta * C with beta = 0, D and C both the output.
  typename Gemm::Arguments args({m, n, k}, {a, k}, {b, n}, {c, n}, {c, n}, {1.0f, 0.0f});
  cutlass::Status status = Gemm::can_implement(args);
  if (status != cutlass::Status::kSuccess) return cutlass::cutlassGetStatusString(status);
  Gemm gemm;
  status = gemm(args, nullptr, static_cast<cudaStream_t>(stream));
  if (status != cutlass::Status::kSuccess) {
    cudaError_t error = cudaGetLastError();
    return error != cudaSuccess ? cudaGetErrorString(error) : cutlass::cutlassGetStatusString(status);
  }
  return nullptr;
}

}  // namespace cutlass_gemm
