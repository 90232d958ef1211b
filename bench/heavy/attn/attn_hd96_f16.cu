// Head dimension 96, __half: every tile shape and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd96_f16(const AttnArgs& a) { return launch_dtype<__half, 96>(a); }

}  // namespace heavy_attn
