#pragma once
// Element types understood by the kernels. Torch-free: the binding maps Torch's dtypes to
// these, so kernel sources never include Torch.

#include <cstdint>

namespace fused_ops {

enum class DType : int32_t { kFloat32 = 0, kFloat16 = 1, kBFloat16 = 2 };

}  // namespace fused_ops
