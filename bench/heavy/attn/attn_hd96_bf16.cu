// Head dimension 96, __nv_bfloat16: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd96_bf16(const AttnArgs& a) { return launch_dtype<__nv_bfloat16, 96>(a); }

}  // namespace heavy_attn
