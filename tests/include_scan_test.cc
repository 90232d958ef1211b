#include "kb/include_scan.h"

#include <gtest/gtest.h>

#include "tests/fakes.h"

namespace kb {
namespace {

TEST(IncludeScan, DirectivesInOrderWithTheirForm) {
  const char* text = R"src(// #include <torch/all.h>  (a comment)
/* #include "hidden.h" */
#include "registration.h"
  #  include <torch/library.h>
#include<ATen/core/Tensor.h>
#define X "#include <not/a/directive.h>"
#if 0
#include "still/counted.h"
#endif
#include "unterminated.h
#import <nope.h>
)src";
  std::vector<IncludeDirective> want = {{"registration.h", false},
                                        {"torch/library.h", true},
                                        {"ATen/core/Tensor.h", true},
                                        {"still/counted.h", false}};
  EXPECT_EQ(include_directives(text), want);
}

TEST(IncludeScan, ClassifiesTorchPaths) {
  EXPECT_EQ(classify_torch_include("torch/csrc/stable/library.h"), TorchIncludes::stable);
  EXPECT_EQ(classify_torch_include("torch/headeronly/util/Exception.h"), TorchIncludes::stable);
  EXPECT_EQ(classify_torch_include("torch/library.h"), TorchIncludes::full);
  EXPECT_EQ(classify_torch_include("torch/all.h"), TorchIncludes::full);
  EXPECT_EQ(classify_torch_include("ATen/cuda/CUDAContext.h"), TorchIncludes::full);
  EXPECT_EQ(classify_torch_include("c10/cuda/CUDAGuard.h"), TorchIncludes::full);
  EXPECT_EQ(classify_torch_include("cuda_runtime.h"), TorchIncludes::none);
  EXPECT_EQ(classify_torch_include("torchvision/x.h"), TorchIncludes::none);
  EXPECT_EQ(classify_torch_include("my/torch/x.h"), TorchIncludes::none);
}

TEST(IncludeScan, MaxOrdersTheLevels) {
  EXPECT_EQ(max(TorchIncludes::none, TorchIncludes::stable), TorchIncludes::stable);
  EXPECT_EQ(max(TorchIncludes::full, TorchIncludes::stable), TorchIncludes::full);
  EXPECT_EQ(max(TorchIncludes::none, TorchIncludes::none), TorchIncludes::none);
  EXPECT_EQ(to_string(TorchIncludes::stable), "stable");
}

TEST(IncludeScan, FollowsTheKernelsOwnHeadersToTorch) {
  FakeDisk disk;
  disk.add_file("/k/relu_cuda/relu.cu", "#include \"relu.h\"\n#include <cuda_runtime.h>\n");
  disk.add_file("/k/relu_cuda/relu.h", "#include \"../common/bits.h\"\n");
  disk.add_file("/k/common/bits.h", "#include <cstdint>\n");
  EXPECT_EQ(torch_includes_of("/k", "relu_cuda/relu.cu", {}, disk), TorchIncludes::none);

  // Through an include dir of the section, then a cycle, then Torch.
  disk.add_file("/k/ops/op.cu", "#include \"api.h\"\n");
  disk.add_file("/k/include/api.h", "#include \"api.h\"\n#include \"detail/torch_glue.h\"\n");
  disk.add_file("/k/include/detail/torch_glue.h", "#include <torch/csrc/stable/tensor.h>\n");
  EXPECT_EQ(torch_includes_of("/k", "ops/op.cu", {}, disk), TorchIncludes::none);
  EXPECT_EQ(torch_includes_of("/k", "ops/op.cu", {"include"}, disk), TorchIncludes::stable);
  disk.add_file("/k/include/detail/torch_glue.h",
                "#include <torch/csrc/stable/tensor.h>\n#include <ATen/ATen.h>\n");
  EXPECT_EQ(torch_includes_of("/k", "ops/op.cu", {"include"}, disk), TorchIncludes::full);

  // A missing source is only a missing guess.
  EXPECT_EQ(torch_includes_of("/k", "gone.cu", {}, disk), TorchIncludes::none);
}

}  // namespace
}  // namespace kb
