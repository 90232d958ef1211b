// The reference's build-set table and the reasons a machine cannot produce a set.

#include "kb/reference_sets.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

TorchInstall torch(Version v, std::optional<Version> cuda) {
  TorchInstall t;
  t.version = std::move(v);
  t.cuda = std::move(cuda);
  return t;
}

std::string why(const std::vector<UnproducibleSet>& sets, const std::string& variant) {
  for (const auto& s : sets)
    if (s.variant == variant) return s.why;
  return "producible";
}

TEST(ReferenceSets, TableHasTodaysTorchPair) {
  const auto& sets = reference_build_sets();
  ASSERT_FALSE(sets.empty());
  for (const auto& s : sets)
    EXPECT_TRUE(s.torch == Version({2, 13}) || s.torch == Version({2, 14}));
}

TEST(ReferenceSets, ReasonsPerSet) {
  Toolchains t;
  t.torches = {torch(Version({2, 11}), Version({13})), torch(Version({2, 13}), Version({13}))};
  CudaToolkit cuda;
  cuda.version = Version({13});
  t.cuda = {cuda};
  auto missing = unproducible_sets(reference_build_sets(), t);
  EXPECT_EQ(why(missing, "torch213-cxx11-cpu-x86_64-linux"), "producible");
  EXPECT_EQ(why(missing, "torch213-cxx11-cu130-x86_64-linux"), "producible");
  EXPECT_EQ(why(missing, "torch214-cxx11-cpu-x86_64-linux"), "no Torch 2.14 found");
  EXPECT_EQ(why(missing, "torch213-cxx11-cu126-x86_64-linux"), "no CUDA 12.6 toolkit");
  EXPECT_EQ(why(missing, "torch213-cxx11-rocm71-x86_64-linux"), "no ROCm 7.1 toolkit");
  EXPECT_EQ(why(missing, "torch213-cxx11-xpu20260-x86_64-linux"),
            "kb's native backend builds no xpu variants");
  EXPECT_EQ(why(missing, "torch213-cxx11-cu130-aarch64-linux"),
            "the reference builds it on aarch64-linux; this machine is x86_64-linux");

  CudaToolkit cuda12;
  cuda12.version = Version({12, 6});
  t.cuda.push_back(cuda12);
  missing = unproducible_sets(reference_build_sets(), t);
  EXPECT_EQ(why(missing, "torch213-cxx11-cu126-x86_64-linux"), "no Torch 2.13 built for CUDA 12.x");
}

}  // namespace
}  // namespace kb
