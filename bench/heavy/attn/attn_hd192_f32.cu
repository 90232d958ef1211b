// Head dimension 192, float: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd192_f32(const AttnArgs& a) { return launch_dtype<float, 192>(a); }

}  // namespace heavy_attn
