// Head dimension 32, __half: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd32_f16(const AttnArgs& a) { return launch_dtype<__half, 32>(a); }

}  // namespace heavy_attn
