// Head dimension 128, __half: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd128_f16(const AttnArgs& a) { return launch_dtype<__half, 128>(a); }

}  // namespace heavy_attn
