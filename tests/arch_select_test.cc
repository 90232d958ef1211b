#include "kb/arch_select.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

using Strings = std::vector<std::string>;

Version V(const char* s) { return *Version::parse(s); }

ArchChoice cuda_choice(const std::string& option, std::optional<std::string> env = std::nullopt) {
  auto c = choose_cuda_archs(option, env);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.errors().list.front().message);
  return c.ok() ? *c : ArchChoice{};
}

ArchSelection native_on(const Strings& gpus, const char* cuda = "13.0") {
  return resolve_cuda_archs(cuda_choice(""), gpus, V(cuda));
}

ArchSelection list_of(const std::string& list) {
  return resolve_cuda_archs(cuda_choice(list), {}, V("13.0"));
}

// --- choosing ---------------------------------------------------------------------------

TEST(ChooseCudaArchs, DefaultIsNative) {
  auto c = cuda_choice("");
  EXPECT_EQ(c.kind, ArchChoice::Kind::native);
  EXPECT_EQ(c.source, ArchChoice::Source::default_choice);
  EXPECT_EQ(cuda_choice("", "").source,
            ArchChoice::Source::default_choice);  // empty variable: unset
  EXPECT_EQ(cuda_choice("", "  ").source, ArchChoice::Source::default_choice);
}

TEST(ChooseCudaArchs, OptionWinsOverEnvironment) {
  auto c = cuda_choice("all", "8.0");
  EXPECT_EQ(c.kind, ArchChoice::Kind::all);
  EXPECT_EQ(c.source, ArchChoice::Source::option);
  auto e = cuda_choice("", "8.0;9.0a");
  EXPECT_EQ(e.kind, ArchChoice::Kind::list);
  EXPECT_EQ(e.source, ArchChoice::Source::environment);
  EXPECT_THAT(e.list, ElementsAre("8.0", "9.0a"));
}

TEST(ChooseCudaArchs, KeywordsAnyCase) {
  EXPECT_EQ(cuda_choice("NATIVE").kind, ArchChoice::Kind::native);
  EXPECT_EQ(cuda_choice("native").source, ArchChoice::Source::option);
  EXPECT_EQ(cuda_choice(" All ").kind, ArchChoice::Kind::all);
}

TEST(ChooseCudaArchs, ListSeparatorsAndDuplicates) {
  auto c = cuda_choice("8.0, 9.0a;10.0f 12.0+PTX,8.0");
  EXPECT_THAT(c.list, ElementsAre("8.0", "9.0a", "10.0f", "12.0+PTX"));
}

TEST(ChooseCudaArchs, EveryBadEntryIsReportedWithItsPosition) {
  auto c = choose_cuda_archs("8.0;9.x;sm_90;5.0", std::nullopt);
  ASSERT_FALSE(c.ok());
  const auto& errs = c.errors().list;
  ASSERT_THAT(errs, SizeIs(3));
  EXPECT_EQ(errs[0].message, "--cuda-archs: entry 2 of 4, \"9.x\", is not a CUDA capability");
  EXPECT_THAT(errs[1].message, HasSubstr("entry 3 of 4, \"sm_90\""));
  EXPECT_THAT(errs[2].message, HasSubstr("entry 4 of 4, \"5.0\", matches no target"));
  EXPECT_THAT(errs[0].hint, HasSubstr("native, all or a list such as 8.0;9.0a"));
}

TEST(ChooseCudaArchs, ErrorsNameTheVariable) {
  auto c = choose_cuda_archs("", std::string("nativ"));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.errors().list.front().message, HasSubstr("KB_CUDA_ARCHS: entry 1 of 1, \"nativ\""));
  auto empty = choose_cuda_archs(";,", std::nullopt);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.errors().list.front().message, "--cuda-archs: empty list of archs");
}

TEST(ChooseRocmArchs, ListAndErrors) {
  auto c = choose_rocm_archs("gfx90a,gfx942", std::nullopt);
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->list, ElementsAre("gfx90a", "gfx942"));
  auto bad = choose_rocm_archs("", std::string("gfx942;MI300;9.0"));
  ASSERT_FALSE(bad.ok());
  ASSERT_THAT(bad.errors().list, SizeIs(2));
  EXPECT_THAT(bad.errors().list[0].message,
              HasSubstr("KB_ROCM_ARCHS: entry 2 of 3, \"MI300\", is not a gfx target"));
}

// --- resolving ----------------------------------------------------------------------------

TEST(ResolveCudaArchs, NativeTakesTheGpu) {
  auto sel = native_on({"9.0"});
  EXPECT_EQ(sel.kind, ArchSelection::Kind::gpus);
  EXPECT_THAT(sel.targets, ElementsAre("9.0"));
  EXPECT_EQ(sel.reason, "this machine's GPU");
  EXPECT_THAT(sel.notes, IsEmpty());
  EXPECT_EQ(describe_arch_selection(sel, "--cuda-archs"),
            "archs: 9.0 (this machine's GPU; --cuda-archs=all for the full list)");
}

TEST(ResolveCudaArchs, SeveralGpusGiveSeveralTargets) {
  auto sel = native_on({"9.0", "8.0", "9.0"});
  EXPECT_THAT(sel.targets, ElementsAre("8.0", "9.0"));
  EXPECT_EQ(sel.reason, "this machine's GPUs");
  EXPECT_THAT(sel.notes,
              ElementsAre("GPUs of capabilities 8.0 and 9.0 are visible: building for each"));
}

TEST(ResolveCudaArchs, NoGpuMeansAll) {
  auto sel = native_on({});
  EXPECT_EQ(sel.kind, ArchSelection::Kind::all);
  EXPECT_EQ(describe_arch_selection(sel, "--cuda-archs"),
            "archs: all supported (no GPU visible; --cuda-archs=LIST to choose)");
  auto asked = resolve_cuda_archs(cuda_choice("native"), {"garbage"}, V("13.0"));
  EXPECT_EQ(asked.kind, ArchSelection::Kind::all);
  EXPECT_EQ(asked.reason, "no GPU visible for --cuda-archs=native");
}

TEST(ResolveCudaArchs, GpuNewerThanTheToolkitIsNoted) {
  auto sel = native_on({"12.0"}, "12.6");
  EXPECT_EQ(sel.kind, ArchSelection::Kind::gpus);
  ASSERT_THAT(sel.notes, SizeIs(1));
  EXPECT_THAT(sel.notes[0], HasSubstr("GPU 12.0 is not in CUDA 12.6's list"));
  EXPECT_THAT(sel.notes[0], HasSubstr("build 9.0+PTX, which runs on it"));
}

TEST(ResolveCudaArchs, AllAndListSayWhere) {
  auto all = resolve_cuda_archs(cuda_choice("all"), {"9.0"}, V("13.0"));
  EXPECT_EQ(describe_arch_selection(all, "--cuda-archs"),
            "archs: all supported (--cuda-archs=all)");
  auto env_all = resolve_cuda_archs(cuda_choice("", "all"), {"9.0"}, V("13.0"));
  EXPECT_EQ(describe_arch_selection(env_all, "--cuda-archs"),
            "archs: all supported (KB_CUDA_ARCHS=all)");
  auto list = list_of("8.0;9.0a");
  EXPECT_EQ(describe_arch_selection(list, "--cuda-archs"), "archs: 8.0;9.0a (--cuda-archs)");
}

// --- sections -----------------------------------------------------------------------------

TEST(CudaSectionArchs, AllIsTheReferenceRule) {
  auto sel = resolve_cuda_archs(cuda_choice("all"), {"9.0"}, V("13.0"));
  EXPECT_EQ(cuda_section_archs(std::nullopt, sel, V("13.0")).archs, default_cuda_archs(V("13.0")));
  EXPECT_THAT(cuda_section_archs(Strings{"5.0", "7.5", "8.0", "9.0"}, sel, V("12.6")).archs,
              ElementsAre("7.5", "8.0", "9.0"));
}

TEST(CudaSectionArchs, NativeSectionWithoutCapsBuildsTheGpu) {
  auto r = cuda_section_archs(std::nullopt, native_on({"9.0"}), V("13.0"));
  EXPECT_THAT(r.archs, ElementsAre("9.0"));
  EXPECT_THAT(r.notes, IsEmpty());
  auto two = cuda_section_archs(std::nullopt, native_on({"9.0", "8.6"}), V("13.0"));
  EXPECT_THAT(two.archs, ElementsAre("8.6", "9.0"));
}

TEST(CudaSectionArchs, NativeGpuOutsideTheListGetsWhatRunsOnIt) {
  auto r = cuda_section_archs(std::nullopt, native_on({"12.0"}, "12.6"), V("12.6"));
  EXPECT_THAT(r.archs, ElementsAre("9.0+PTX"));
  EXPECT_THAT(r.notes,
              ElementsAre(HasSubstr("GPU 12.0: CUDA 12.6 has no 12.0 target; built 9.0+PTX")));
  // 8.8 (in nvcc 13.0 but not in the default list): the newest 8.x below it.
  EXPECT_THAT(cuda_section_archs(std::nullopt, native_on({"8.8"}), V("13.0")).archs,
              ElementsAre("8.7"));
}

TEST(CudaSectionArchs, NativeGpuNothingRunsOnFallsBackToTheFullList) {
  auto r = cuda_section_archs(std::nullopt, native_on({"6.1"}), V("13.0"));
  EXPECT_EQ(r.archs, default_cuda_archs(V("13.0")));
  EXPECT_THAT(r.notes, ElementsAre(HasSubstr("GPU 6.1: nothing CUDA 13.0 builds runs on it"),
                                   HasSubstr("built CUDA 13.0's full list")));
}

TEST(CudaSectionArchs, NativeNarrowsExplicitCaps) {
  auto r = cuda_section_archs(Strings{"8.0", "9.0a", "10.0f"}, native_on({"9.0"}), V("13.0"));
  EXPECT_THAT(r.archs, ElementsAre("9.0a"));
  EXPECT_THAT(r.notes, ElementsAre("8.0;10.0f: left out for this machine's GPU (9.0)"));
  // A family entry serves a later member of its family; PTX serves a newer major.
  EXPECT_THAT(cuda_section_archs(Strings{"8.0", "10.0f"}, native_on({"10.3"}), V("13.0")).archs,
              ElementsAre("10.0f"));
  EXPECT_THAT(cuda_section_archs(Strings{"8.0", "9.0+PTX"}, native_on({"12.0"}), V("13.0")).archs,
              ElementsAre("9.0+PTX"));
  // Plain entries: the newest of the GPU's major not above it.
  EXPECT_THAT(cuda_section_archs(Strings{"8.0", "8.6", "9.0"}, native_on({"8.9"}), V("13.0")).archs,
              ElementsAre("8.6"));
}

TEST(CudaSectionArchs, NativeCapsThatMissTheGpuAreKeptWithANote) {
  auto r = cuda_section_archs(Strings{"8.0", "8.6"}, native_on({"9.0"}), V("13.0"));
  EXPECT_THAT(r.archs, ElementsAre("8.0", "8.6"));
  EXPECT_THAT(r.notes,
              ElementsAre("none of 8.0;8.6 runs on this machine's GPU (9.0): built them all"));
}

TEST(CudaSectionArchs, ListWithoutCapsIsTheLooseIntersection) {
  EXPECT_THAT(cuda_section_archs(std::nullopt, list_of("8.0;9.0a"), V("13.0")).archs,
              ElementsAre("8.0", "9.0a"));
  EXPECT_THAT(cuda_section_archs(std::nullopt, list_of("12.0+PTX"), V("13.0")).archs,
              ElementsAre("12.0+PTX"));
  auto none = cuda_section_archs(std::nullopt, list_of("12.0"), V("12.6"));
  EXPECT_THAT(none.archs, IsEmpty());
  EXPECT_THAT(none.notes, testing::Contains("--cuda-archs (12.0): nothing CUDA 12.6 builds"));
}

TEST(CudaSectionArchs, ListNarrowsCapsByTheGpusItNames) {
  // The LIST names GPUs; the section keeps its own forms for them.
  auto r = cuda_section_archs(Strings{"8.0", "9.0a"}, list_of("9.0;10.0"), V("13.0"));
  EXPECT_THAT(r.archs, ElementsAre("9.0a"));
  EXPECT_THAT(r.notes, ElementsAre("8.0: left out for --cuda-archs (9.0;10.0)"));
}

// --- ROCm ---------------------------------------------------------------------------------

ArchSelection rocm_native(const Strings& gpus) {
  auto c = choose_rocm_archs("", std::nullopt);
  return resolve_rocm_archs(*c, gpus);
}

TEST(RocmArchs, NativeSupportedGpu) {
  auto sel = rocm_native({"gfx942:sramecc+:xnack-", "gfx942"});
  EXPECT_EQ(sel.kind, ArchSelection::Kind::gpus);
  EXPECT_THAT(sel.targets, ElementsAre("gfx942"));
  EXPECT_EQ(describe_arch_selection(sel, "--rocm-archs"),
            "archs: gfx942 (this machine's GPU; --rocm-archs=all for the full list)");
  EXPECT_THAT(rocm_section_archs(std::nullopt, sel, {}).archs, ElementsAre("gfx942"));
  auto narrowed = rocm_section_archs(Strings{"gfx90a", "gfx942"}, sel, {});
  EXPECT_THAT(narrowed.archs, ElementsAre("gfx942"));
  EXPECT_THAT(narrowed.notes, ElementsAre("gfx90a: left out for this machine's GPU (gfx942)"));
  auto missed = rocm_section_archs(Strings{"gfx90a"}, sel, {});
  EXPECT_THAT(missed.archs, ElementsAre("gfx90a"));
  EXPECT_THAT(missed.notes,
              ElementsAre(HasSubstr("none of gfx90a is this machine's GPU (gfx942)")));
}

TEST(RocmArchs, UnsupportedGpuMeansAllWithANote) {
  auto sel = rocm_native({"gfx1031"});
  EXPECT_EQ(sel.kind, ArchSelection::Kind::all);
  EXPECT_EQ(sel.reason, "no supported GPU visible");
  EXPECT_THAT(sel.notes,
              ElementsAre(HasSubstr("GPU gfx1031 is not one of the supported ROCm targets")));
  EXPECT_EQ(rocm_section_archs(std::nullopt, sel, {}).archs, reference_rocm_archs());
  auto mixed = rocm_native({"gfx1031", "gfx90a"});
  EXPECT_THAT(mixed.targets, ElementsAre("gfx90a"));
  EXPECT_THAT(mixed.notes,
              ElementsAre(HasSubstr("gfx1031 is not one of the supported ROCm targets")));
}

TEST(RocmArchs, ListGoesThroughTheReferenceAndCompiler) {
  auto c = choose_rocm_archs("gfx90a;gfx940", std::nullopt);
  auto sel = resolve_rocm_archs(*c, {"gfx942"});
  EXPECT_EQ(sel.kind, ArchSelection::Kind::list);
  auto r = rocm_section_archs(std::nullopt, sel, {"gfx90a", "gfx942"});
  EXPECT_THAT(r.archs, ElementsAre("gfx90a"));
  EXPECT_THAT(r.notes, ElementsAre(HasSubstr("gfx940: not one of the supported ROCm targets")));
}

// --- the loader's check ---------------------------------------------------------------------

TEST(CudaBundleRunsOn, TheRules) {
  EXPECT_TRUE(cuda_bundle_runs_on("9.0", {"9.0"}));
  EXPECT_TRUE(cuda_bundle_runs_on("8.6", {"8.0"}));          // same major, older minor
  EXPECT_FALSE(cuda_bundle_runs_on("8.0", {"8.6"}));         // newer minor
  EXPECT_FALSE(cuda_bundle_runs_on("9.0", {"8.0", "8.6"}));  // other major, no PTX
  EXPECT_TRUE(cuda_bundle_runs_on("9.0", {"8.0+PTX"}));      // PTX: any newer GPU
  EXPECT_TRUE(cuda_bundle_runs_on("12.0", {"10.0", "9.0+PTX"}));
  EXPECT_FALSE(cuda_bundle_runs_on("8.0", {"9.0+PTX"}));  // PTX never runs on older GPUs
  EXPECT_TRUE(cuda_bundle_runs_on("9.0", {"9.0a"}));      // exact for "a"
  EXPECT_FALSE(cuda_bundle_runs_on("10.0", {"9.0a"}));
  EXPECT_FALSE(cuda_bundle_runs_on("10.3", {"10.0a"}));
  EXPECT_TRUE(cuda_bundle_runs_on("10.3", {"10.0f"}));  // family: same major, not newer
  EXPECT_FALSE(cuda_bundle_runs_on("12.0", {"10.0f"}));
  EXPECT_TRUE(cuda_bundle_runs_on("9.0", {}));  // noarch / unknown
  EXPECT_FALSE(cuda_bundle_runs_on("x", {"9.0"}));
}

TEST(CudaBundleRunsOn, MismatchSentence) {
  EXPECT_EQ(cuda_bundle_mismatch("v", "9.0", {"9.0+PTX"}), std::nullopt);
  EXPECT_EQ(cuda_bundle_mismatch("torch212-cxx11-cu130-x86_64-linux", "9.0", {"8.0", "8.6"}),
            "torch212-cxx11-cu130-x86_64-linux has no code for this GPU (9.0): built for 8.0;8.6 "
            "(rebuild with "
            "--cuda-archs=native or include 9.0)");
}

TEST(RocmBundleRunsOn, Exact) {
  EXPECT_TRUE(rocm_bundle_runs_on("gfx942:xnack-", {"gfx90a", "gfx942"}));
  EXPECT_FALSE(rocm_bundle_runs_on("gfx90a", {"gfx942"}));
  EXPECT_TRUE(rocm_bundle_runs_on("gfx90a", {}));
}

}  // namespace
}  // namespace kb
