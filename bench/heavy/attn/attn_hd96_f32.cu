// Head dimension 96, float: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd96_f32(const AttnArgs& a) { return launch_dtype<float, 96>(a); }

}  // namespace heavy_attn
