// Torch binding of the heavy attention benchmark kernel; the kernels are reached through
// the Torch-free launchers of attn/attn.h.

#include "torch_binding.h"

#include <array>
#include <initializer_list>

#include <cuda_runtime_api.h>

#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/Exception.h>
#include <torch/library.h>

#include "../attn/attn.h"
#include "registration.h"

namespace {

using Launcher = int (*)(const heavy_attn::AttnArgs&);

// The launchers of one head dimension, by dtype: f32, f16, bf16.
struct LauncherRow {
  int head_dim;
  std::array<Launcher, 3> by_dtype;
};

#define HEAVY_ATTN_ROW(D) {D, {heavy_attn::attn_hd##D##_f32, heavy_attn::attn_hd##D##_f16, heavy_attn::attn_hd##D##_bf16}}
const LauncherRow k_launchers[] = {HEAVY_ATTN_ROW(32),  HEAVY_ATTN_ROW(64),  HEAVY_ATTN_ROW(96),
                                   HEAVY_ATTN_ROW(128), HEAVY_ATTN_ROW(160), HEAVY_ATTN_ROW(192)};
#undef HEAVY_ATTN_ROW

}  // namespace

void attention(at::Tensor& out, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal,
               double scale) {
  for (const at::Tensor* t : std::initializer_list<const at::Tensor*>{&out, &k, &v}) {
    TORCH_CHECK(t->sizes() == q.sizes(), "attention: all tensors need q's shape ", q.sizes(), ", got ", t->sizes());
    TORCH_CHECK(t->scalar_type() == q.scalar_type(), "attention: all tensors need q's dtype");
    TORCH_CHECK(t->device() == q.device(), "attention: all tensors need q's device");
    TORCH_CHECK(t->is_contiguous(), "attention: tensors must be contiguous");
  }
  TORCH_CHECK(q.is_cuda() && q.is_contiguous(), "attention: q must be a contiguous CUDA tensor");
  TORCH_CHECK(q.dim() == 4, "attention: expected [batch, heads, seq, head_dim], got ", q.sizes());
  using namespace heavy_attn;
  int dtype = 0;
  switch (q.scalar_type()) {
    case at::ScalarType::Float: dtype = 0; break;
    case at::ScalarType::Half: dtype = 1; break;
    case at::ScalarType::BFloat16: dtype = 2; break;
    default: TORCH_CHECK(false, "attention: unsupported dtype ", q.scalar_type());
  }
  const Launcher* launchers = nullptr;
  for (const auto& row : k_launchers)
    if (row.head_dim == q.size(3)) launchers = row.by_dtype.data();
  TORCH_CHECK(launchers != nullptr, "attention: head_dim ", q.size(3), " is not one of 32, 64, 96, 128, 160, 192");
  AttnArgs a{};
  const c10::cuda::CUDAGuard guard(q.device());
  a.out = out.mutable_data_ptr();
  a.q = q.const_data_ptr();
  a.k = k.const_data_ptr();
  a.v = v.const_data_ptr();
  a.batch_heads = static_cast<int>(q.size(0) * q.size(1));
  a.seq = static_cast<int>(q.size(2));
  a.scale = static_cast<float>(scale);
  a.causal = causal;
  a.stream = c10::cuda::getCurrentCUDAStream(q.device().index()).stream();
  const int err = launchers[dtype](a);
  TORCH_CHECK(err == 0, "attention: kernel launch failed: ", cudaGetErrorString(static_cast<cudaError_t>(err)));
}

TORCH_LIBRARY_EXPAND(TORCH_EXTENSION_NAME, ops) {
  ops.def("attention(Tensor! out, Tensor q, Tensor k, Tensor v, bool causal, float scale) -> ()");
  ops.impl("attention", c10::kCUDA, &attention);
}

REGISTER_EXTENSION(TORCH_EXTENSION_NAME)
