// Torch-free launchers of the heavy attention benchmark kernel, one per head dimension and
// dtype (one translation unit each, as real attention kernels split theirs).
#pragma once

namespace heavy_attn {

// q, k, v and out are contiguous [batch_heads, seq, head_dim] tensors of the launcher's
// dtype on the current device; `stream` is a cudaStream_t.
struct AttnArgs {
  void* out;
  const void* q;
  const void* k;
  const void* v;
  int batch_heads;
  int seq;
  float scale;
  bool causal;
  void* stream;
};

// attn_hd<D>_<dtype> launches the kernel for head dimension D on f32, f16 or bf16 tensors;
// each returns the cudaError_t of the launch (0 on success).
int attn_hd32_f32(const AttnArgs& a);
int attn_hd32_f16(const AttnArgs& a);
int attn_hd32_bf16(const AttnArgs& a);
int attn_hd64_f32(const AttnArgs& a);
int attn_hd64_f16(const AttnArgs& a);
int attn_hd64_bf16(const AttnArgs& a);
int attn_hd96_f32(const AttnArgs& a);
int attn_hd96_f16(const AttnArgs& a);
int attn_hd96_bf16(const AttnArgs& a);
int attn_hd128_f32(const AttnArgs& a);
int attn_hd128_f16(const AttnArgs& a);
int attn_hd128_bf16(const AttnArgs& a);
int attn_hd160_f32(const AttnArgs& a);
int attn_hd160_f16(const AttnArgs& a);
int attn_hd160_bf16(const AttnArgs& a);
int attn_hd192_f32(const AttnArgs& a);
int attn_hd192_f16(const AttnArgs& a);
int attn_hd192_bf16(const AttnArgs& a);

}  // namespace heavy_attn
