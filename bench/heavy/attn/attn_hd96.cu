// Head dimension 96: every tile shape, dtype and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd96(const AttnArgs& a) { return launch_head_dim<96>(a); }

}  // namespace heavy_attn
