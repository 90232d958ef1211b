// Head dimension 32, float: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd32_f32(const AttnArgs& a) { return launch_dtype<float, 32>(a); }

}  // namespace heavy_attn
