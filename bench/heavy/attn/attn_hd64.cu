// Head dimension 64: every tile shape, dtype and masking of attn_kernel.cuh.
#include "attn_kernel.cuh"

namespace heavy_attn {

int attn_hd64(const AttnArgs& a) { return launch_head_dim<64>(a); }

}  // namespace heavy_attn

namespace heavy_attn {

const char* attn_error_string(int err) { return cudaGetErrorString(static_cast<cudaError_t>(err)); }

}  // namespace heavy_attn
