#pragma once
// The element types the axpby kernels take, as the Torch-free kernels see them.

namespace axpby_kernels {

enum class DType { kFloat32, kFloat64 };

}  // namespace axpby_kernels
