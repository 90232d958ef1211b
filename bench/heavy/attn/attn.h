// Torch-free launchers of the heavy attention benchmark kernel, one per head dimension
// (one translation unit each).
#pragma once

namespace heavy_attn {

enum class AttnDtype { f32, f16, bf16 };

// q, k, v and out are contiguous [batch_heads, seq, head_dim] tensors of `dtype` on the
// current device; `stream` is a cudaStream_t.
struct AttnArgs {
  void* out;
  const void* q;
  const void* k;
  const void* v;
  int batch_heads;
  int seq;
  float scale;
  bool causal;
  AttnDtype dtype;
  void* stream;
};

// Launches the kernel for head dimension 64, 80, 96 or 128; returns the cudaError_t of the
// launch (0 on success).
int attn_hd64(const AttnArgs& a);
int attn_hd80(const AttnArgs& a);
int attn_hd96(const AttnArgs& a);
int attn_hd128(const AttnArgs& a);

// The CUDA error text of `err`.
const char* attn_error_string(int err);

}  // namespace heavy_attn
