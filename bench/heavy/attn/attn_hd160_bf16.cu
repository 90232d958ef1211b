// Head dimension 160, __nv_bfloat16: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd160_bf16(const AttnArgs& a) { return launch_dtype<__nv_bfloat16, 160>(a); }

}  // namespace heavy_attn
