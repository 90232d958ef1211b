// Head dimension 80: every tile shape, dtype and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd80(const AttnArgs& a) { return launch_head_dim<80>(a); }

}  // namespace heavy_attn
