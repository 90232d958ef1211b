// Head dimension 128: every tile shape, dtype and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd128(const AttnArgs& a) { return launch_head_dim<128>(a); }

}  // namespace heavy_attn
