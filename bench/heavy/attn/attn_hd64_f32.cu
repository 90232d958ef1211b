// Head dimension 64, float: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd64_f32(const AttnArgs& a) { return launch_dtype<float, 64>(a); }

}  // namespace heavy_attn
