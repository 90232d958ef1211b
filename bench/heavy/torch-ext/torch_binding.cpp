// Torch binding of the heavy attention benchmark kernel; the kernels are reached through
// the Torch-free launchers of attn/attn.h.

#include "torch_binding.h"

#include <initializer_list>

#include <ATen/core/Tensor.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/util/Exception.h>
#include <torch/library.h>

#include "../attn/attn.h"
#include "registration.h"

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
  AttnArgs a{};
  switch (q.scalar_type()) {
    case at::ScalarType::Float: a.dtype = AttnDtype::f32; break;
    case at::ScalarType::Half: a.dtype = AttnDtype::f16; break;
    case at::ScalarType::BFloat16: a.dtype = AttnDtype::bf16; break;
    default: TORCH_CHECK(false, "attention: unsupported dtype ", q.scalar_type());
  }
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
  int err = 0;
  switch (q.size(3)) {
    case 64: err = attn_hd64(a); break;
    case 80: err = attn_hd80(a); break;
    case 96: err = attn_hd96(a); break;
    case 128: err = attn_hd128(a); break;
    default: TORCH_CHECK(false, "attention: head_dim ", q.size(3), " is not one of 64, 80, 96, 128");
  }
  TORCH_CHECK(err == 0, "attention: kernel launch failed: ", attn_error_string(err));
}

TORCH_LIBRARY_EXPAND(TORCH_EXTENSION_NAME, ops) {
  ops.def("attention(Tensor! out, Tensor q, Tensor k, Tensor v, bool causal, float scale) -> ()");
  ops.impl("attention", c10::kCUDA, &attention);
}

REGISTER_EXTENSION(TORCH_EXTENSION_NAME)
