#pragma once
// The TorchIncludes level, apart from the scanner (kb/include_scan.h) so that the pure
// planner can name it without the disk seam.

#include <string_view>

namespace kb {

// How much of Torch a translation unit pulls in.
enum class TorchIncludes {
  none,    // no Torch, ATen or c10 header
  stable,  // only the stable ABI's headers (torch/csrc/stable/..., torch/headeronly/...)
  full,    // any other torch/, ATen/, c10/ or caffe2/ header
};

// "none", "stable", "full".
std::string_view to_string(TorchIncludes t);

}  // namespace kb
