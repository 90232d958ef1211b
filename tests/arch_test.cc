#include "kb/arch.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kb {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using Strings = std::vector<std::string>;

Version V(const char* s) { return *Version::parse(s); }

// What `nvcc --list-gpu-code` prints for each toolkit (13.0 as measured on the build machine).
const Strings k_nvcc_12_6 = {"sm_50", "sm_52", "sm_53", "sm_60", "sm_61", "sm_62", "sm_70",
                             "sm_72", "sm_75", "sm_80", "sm_86", "sm_87", "sm_89", "sm_90"};
const Strings k_nvcc_13_0 = {"sm_75", "sm_80",  "sm_86",  "sm_87",  "sm_88",  "sm_89",
                             "sm_90", "sm_100", "sm_110", "sm_103", "sm_120", "sm_121"};

// The reference: intersect with the toolkit's default list ("+PTX" stripped).
ArchIntersection on(const char* cuda, const Strings& requested) {
  return cuda_loose_intersection(requested, default_cuda_archs(V(cuda)));
}

TEST(ArchTables, BelowCuda128) {
  Strings expected = {"7.0", "7.2", "7.5", "8.0", "8.6", "8.7", "8.9", "9.0+PTX"};
  EXPECT_EQ(default_cuda_archs(V("11.8")), expected);
  EXPECT_EQ(default_cuda_archs(V("12.6")), expected);
  EXPECT_EQ(default_cuda_archs(V("12.7.9")), expected);
}

TEST(ArchTables, Cuda128) {
  Strings expected = {"7.0", "7.2", "7.5",  "8.0",  "8.6",     "8.7",
                      "8.9", "9.0", "10.0", "10.1", "12.0+PTX"};
  EXPECT_EQ(default_cuda_archs(V("12.8")), expected);
  EXPECT_EQ(default_cuda_archs(V("12.8.1")), expected);
}

TEST(ArchTables, Cuda129Adds103And121) {
  Strings expected = {"7.0", "7.2",  "7.5",  "8.0",  "8.6",  "8.7",     "8.9",
                      "9.0", "10.0", "10.1", "10.3", "12.0", "12.1+PTX"};
  EXPECT_EQ(default_cuda_archs(V("12.9")), expected);
  EXPECT_EQ(default_cuda_archs(V("12.9.1")), expected);
}

TEST(ArchTables, Cuda130AndNewer) {
  Strings expected = {"7.5",  "8.0",  "8.6",  "8.7",  "8.9",     "9.0",
                      "10.0", "10.3", "11.0", "12.0", "12.1+PTX"};
  EXPECT_EQ(default_cuda_archs(V("13.0")), expected);
  EXPECT_EQ(default_cuda_archs(V("13")), expected);
  EXPECT_EQ(default_cuda_archs(V("13.2")), expected);
}

TEST(ArchTables, EveryTargetOfEveryTable) {
  EXPECT_THAT(all_default_cuda_targets(),
              ElementsAre("7.0", "7.2", "7.5", "8.0", "8.6", "8.7", "8.9", "9.0", "10.0", "10.1",
                          "10.3", "11.0", "12.0", "12.1"));
}

TEST(ArchTables, AsNvcc130ListsThem) {
  // Every target of the CUDA 13 list is something nvcc 13.0 builds (its --list-gpu-code, as
  // measured on the build machine): nothing is dropped from the default list.
  for (const auto& a : default_cuda_archs(V("13.0"))) {
    std::string code = "sm_" + a.substr(0, a.find('+'));
    code.erase(std::remove(code.begin(), code.end(), '.'), code.end());
    EXPECT_THAT(k_nvcc_13_0, Contains(code)) << a;
  }
  EXPECT_THAT(limit_to_nvcc(on("13.0", default_cuda_archs(V("13.0"))), k_nvcc_13_0).notes,
              IsEmpty());
}

TEST(ArchOrder, NaturalOrder) {
  Strings v = {"12.1+PTX", "9.0a", "10.0", "7.5", "9.0", "8.0", "10.0f", "11.0", "8.9"};
  std::sort(v.begin(), v.end(), natural_arch_less);
  EXPECT_THAT(v,
              ElementsAre("7.5", "8.0", "8.9", "9.0", "9.0a", "10.0", "10.0f", "11.0", "12.1+PTX"));
  EXPECT_TRUE(natural_arch_less("9.0", "10.0"));
  EXPECT_FALSE(natural_arch_less("10.0", "9.0"));
  EXPECT_FALSE(natural_arch_less("8.0", "8.0"));
  EXPECT_TRUE(natural_arch_less("9.0+PTX", "9.0a"));
}

TEST(ArchValidity, WellFormedCapabilities) {
  // Well-formed is all the reference asks: "11.8" or "99.9" are accepted (and then match no
  // target).
  for (const char* ok :
       {"8.0", "9.0a", "10.0f", "9.0+PTX", "12.1+PTX", "9.0a+PTX", "5.0", "8.1", "11.8", "99.9"})
    EXPECT_TRUE(is_valid_cuda_capability(ok)) << ok;
  for (const char* bad : {"", "8", "80", "8.", ".0", "8.0b", "8.00", "sm_80", "8.0+ptx", "8.0 ",
                          "08.0", "x.y", "+PTX", "9.0af"})
    EXPECT_FALSE(is_valid_cuda_capability(bad)) << bad;
}

TEST(ArchValidity, WhatCanMatchSomeTable) {
  // Serves a target of some CUDA version's default list on its own.
  for (const char* ok : {"7.0", "7.5", "8.0", "8.1", "8.9", "9.0a", "10.0f", "10.3a", "10.1",
                         "11.0", "12.1+PTX", "6.0+PTX", "12.0f"})
    EXPECT_TRUE(cuda_capability_can_match(ok)) << ok;
  // No target of its major at or above it (11.8, 12.2, 9.9), nothing of its major (5.0, 99.9),
  // a suffixed one whose base is no target (8.0a is well-formed: 8.0 is a target; 8.1a not),
  // or malformed.
  for (const char* never :
       {"11.8", "12.2", "9.9", "5.0", "6.1", "99.9", "99.9+PTX", "8.1a", "13.0f", "garbage"})
    EXPECT_FALSE(cuda_capability_can_match(never)) << never;
}

TEST(LooseIntersection, ReferenceExampleOnCuda126) {
  auto r = on("12.6", {"5.0", "7.5", "8.0", "9.0"});
  EXPECT_THAT(r.archs, ElementsAre("7.5", "8.0", "9.0"));
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_THAT(r.notes[0], HasSubstr("5.0: dropped"));
  EXPECT_THAT(on("12.6", {"8.0"}).archs, ElementsAre("8.0"));
}

TEST(LooseIntersection, DefaultListIsItsOwnIntersection) {
  for (const char* cuda : {"12.6", "12.8", "12.9", "13.0"}) {
    auto defaults = default_cuda_archs(V(cuda));
    auto r = on(cuda, defaults);
    EXPECT_EQ(r.archs, defaults) << cuda;
    EXPECT_THAT(r.notes, IsEmpty()) << cuda;
  }
}

TEST(LooseIntersection, HighestLowerSourceOfSameMajor) {
  // 8.0 serves 8.0, 8.6 serves 8.6..8.9; nothing serves 7.x or 9.0.
  EXPECT_THAT(on("12.8", {"8.0", "8.6"}).archs, ElementsAre("8.0", "8.6"));
  // 8.6 alone serves 8.6, 8.7, 8.9 (not 8.0, which is below it).
  EXPECT_THAT(on("13.0", {"8.6"}).archs, ElementsAre("8.6"));
  // 9.0 does not serve 10.0 (different major, no PTX).
  auto r = on("12.8", {"9.0", "10.0"});
  EXPECT_THAT(r.archs, ElementsAre("9.0", "10.0"));
  // A source below every target of its major is dropped.
  auto low = on("13.0", {"6.1", "12.0"});
  EXPECT_THAT(low.archs, ElementsAre("12.0"));
  ASSERT_EQ(low.notes.size(), 1u);
  EXPECT_THAT(low.notes[0], HasSubstr("6.1: dropped"));
}

TEST(LooseIntersection, SourceBelowLowestTargetOfSameMajorServesIt) {
  // 7.0 is not a CUDA 13 target, but 7.0 <= 7.5 with the same major: the reference keeps it
  // (nvcc 13 then cannot build it; limit_to_nvcc drops it).
  EXPECT_THAT(on("13.0", {"7.0", "8.0"}).archs, ElementsAre("7.0", "8.0"));
  EXPECT_THAT(on("12.6", {"7.0", "8.0"}).archs, ElementsAre("7.0", "8.0"));
}

TEST(LooseIntersection, ArchSpecificAndFamilySuffixes) {
  EXPECT_THAT(on("13.0", {"9.0a", "10.0f", "8.0"}).archs, ElementsAre("8.0", "9.0a", "10.0f"));
  EXPECT_THAT(on("12.6", {"9.0a"}).archs, ElementsAre("9.0a"));
  // The base must be a target exactly: 10.0 is not one on CUDA 12.6, 10.3 not on 12.8 (it is
  // from 12.9 on).
  auto r = on("12.6", {"10.0a", "8.0"});
  EXPECT_THAT(r.archs, ElementsAre("8.0"));
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_THAT(r.notes[0], HasSubstr("10.0a: dropped, its base 10.0 is not a supported target"));
  EXPECT_THAT(on("12.8", {"10.3a"}).archs, IsEmpty());
  EXPECT_THAT(on("12.9", {"10.3a"}).archs, ElementsAre("10.3a"));
  EXPECT_THAT(on("13.0", {"10.3a", "12.1a"}).archs, ElementsAre("10.3a", "12.1a"));
  // The suffixed entry takes its base out of the pool: plain 9.0 then serves nothing.
  auto both = on("13.0", {"9.0a", "9.0"});
  EXPECT_THAT(both.archs, ElementsAre("9.0a"));
  ASSERT_EQ(both.notes.size(), 1u);
  EXPECT_THAT(both.notes[0], HasSubstr("9.0: dropped"));
}

TEST(LooseIntersection, PtxCrossesMajors) {
  // Without PTX, 8.0 serves only 8.x targets.
  EXPECT_THAT(on("13.0", {"8.0"}).archs, ElementsAre("8.0"));
  // With PTX it also serves 9.0..12.1, and keeps its marker.
  EXPECT_THAT(on("13.0", {"8.0+PTX"}).archs, ElementsAre("8.0+PTX"));
  // A same-major source still wins for its own major; PTX serves the rest.
  EXPECT_THAT(on("13.0", {"8.0+PTX", "9.0"}).archs, ElementsAre("8.0+PTX", "9.0"));
  // PTX reaches up only: 12.0+PTX on CUDA 12.6 serves nothing (all targets are lower).
  EXPECT_THAT(on("12.6", {"12.0+PTX"}).archs, IsEmpty());
  EXPECT_THAT(on("13.0", {"9.0a+PTX"}).archs, ElementsAre("9.0a+PTX"));
  // Duplicates collapse.
  EXPECT_THAT(on("13.0", {"8.0", "8.0", "8.0+PTX"}).archs, ElementsAre("8.0+PTX"));
}

TEST(LooseIntersection, SupportedListMayCarryPtxMarkers) {
  auto r = cuda_loose_intersection({"9.0"}, {"8.0", "9.0+PTX"});
  EXPECT_THAT(r.archs, ElementsAre("9.0"));
}

TEST(LimitToNvcc, DropsWhatNvccCannotBuild) {
  auto r = limit_to_nvcc(on("13.0", {"7.0", "8.0", "9.0a", "12.1+PTX"}), k_nvcc_13_0, V("13.0"));
  EXPECT_THAT(r.archs, ElementsAre("8.0", "9.0a", "12.1+PTX"));
  EXPECT_THAT(r.notes, ElementsAre("7.0: not supported by nvcc 13.0 (supports sm_75..sm_121)"));
  // Without a version the note still says what nvcc can build.
  auto anon = limit_to_nvcc(on("13.0", {"7.0"}), k_nvcc_13_0);
  EXPECT_THAT(anon.archs, IsEmpty());
  ASSERT_EQ(anon.notes.size(), 1u);
  EXPECT_THAT(anon.notes[0],
              HasSubstr("7.0: not supported by the found nvcc (supports sm_75..sm_121)"));
}

TEST(LimitToNvcc, NoArchSpecificTargetsBeforeHopperOrFamiliesBeforeBlackwell) {
  auto r = limit_to_nvcc(on("13.0", {"8.0a", "9.0f", "10.0f"}), k_nvcc_13_0, V("13.0"));
  EXPECT_THAT(r.archs, ElementsAre("10.0f"));
  EXPECT_THAT(r.notes,
              Contains("8.0a: no such target (\"a\" needs 9.0 or newer, \"f\" 10.0 or newer)"));
  EXPECT_THAT(r.notes, Contains(HasSubstr("9.0f: no such target")));
}

TEST(LimitToNvcc, KeepsNotesAndUnknownListKeepsAll) {
  auto in = on("12.6", {"5.0", "7.0", "9.0"});
  auto kept = limit_to_nvcc(in, k_nvcc_12_6, V("12.6"));
  EXPECT_THAT(kept.archs, ElementsAre("7.0", "9.0"));
  EXPECT_EQ(kept.notes, in.notes);
  auto unknown = limit_to_nvcc(in, {}, V("12.6"));
  EXPECT_EQ(unknown.archs, in.archs);
}

TEST(Gencode, EachPairOnce) {
  // "9.0" and "9.0+PTX" (two sections sharing a source): sm_90 once, then compute_90.
  EXPECT_THAT(
      gencode_flags({"9.0", "10.0f", "9.0+PTX"}),
      ElementsAre("-gencode", "arch=compute_90,code=sm_90", "-gencode",
                  "arch=compute_100f,code=sm_100f", "-gencode", "arch=compute_90,code=compute_90"));
}

TEST(Gencode, SassPtxAndSuffixes) {
  EXPECT_THAT(
      gencode_flags({"8.0", "9.0a", "10.0f", "12.1+PTX"}),
      ElementsAre("-gencode", "arch=compute_80,code=sm_80", "-gencode",
                  "arch=compute_90a,code=sm_90a", "-gencode", "arch=compute_100f,code=sm_100f",
                  "-gencode", "arch=compute_121,code=sm_121", "-gencode",
                  "arch=compute_121,code=compute_121"));
  EXPECT_THAT(gencode_flags({"9.0a+PTX"}),
              ElementsAre("-gencode", "arch=compute_90a,code=sm_90a", "-gencode",
                          "arch=compute_90a,code=compute_90a"));
  EXPECT_THAT(gencode_flags({}), IsEmpty());
}

TEST(Rocm, ReferenceList) {
  EXPECT_THAT(reference_rocm_archs(),
              ElementsAre("gfx906", "gfx908", "gfx90a", "gfx942", "gfx950", "gfx1030", "gfx1100",
                          "gfx1101", "gfx1200", "gfx1201"));
}

TEST(Rocm, ExactIntersectionWithNotes) {
  Strings debian = {"gfx900", "gfx906", "gfx908", "gfx90a", "gfx940", "gfx1030"};
  auto r = rocm_intersection({"gfx942", "gfx90a", "gfx940", "gfx906"}, true, debian);
  EXPECT_THAT(r.archs, ElementsAre("gfx906", "gfx90a"));  // reference order
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_THAT(r.notes[0], HasSubstr("gfx940: not one of the supported ROCm targets"));
  EXPECT_EQ(r.notes[1], "gfx942: not supported by the HIP compiler");
  // The compiler's drop as data: which target, and which note says so.
  EXPECT_THAT(r.compiler_drops, ElementsAre(CompilerDrop{"gfx942", 1}));
}

TEST(Rocm, AllTargetsWhenNotGiven) {
  Strings debian = {"gfx906", "gfx908", "gfx90a", "gfx940", "gfx1030"};
  auto r = rocm_intersection({}, false, debian);
  EXPECT_THAT(r.archs, ElementsAre("gfx906", "gfx908", "gfx90a", "gfx1030"));
  EXPECT_EQ(r.notes.size(), 6u);  // the six reference targets this compiler lacks
  EXPECT_EQ(rocm_intersection({}, false, {}).archs, reference_rocm_archs());
  // Given but empty: nothing.
  EXPECT_THAT(rocm_intersection({}, true, debian).archs, IsEmpty());
}

}  // namespace
}  // namespace kb
