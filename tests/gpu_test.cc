#include "toolchains/gpu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes.h"

namespace kb::toolchains {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Captured on the device tool's H100 (2026-12-05; the same with CUDA_VISIBLE_DEVICES="":
// nvidia-smi ignores it), and made up for a mixed two-GPU machine.
const char* k_smi_h100 = "0, GPU-d57c4e44-a459-0695-028d-df772632c702, 9.0\n";
const char* k_smi_mixed =
    "0, GPU-aaaa1111-0000-0000-0000-000000000000, 8.6\n"
    "1, GPU-bbbb2222-0000-0000-0000-000000000000, 9.0\n";

Environment env(std::map<std::string, std::string> vars) { return Environment(std::move(vars)); }

std::vector<std::string> caps(const std::vector<SmiGpu>& gpus) {
  std::vector<std::string> out;
  for (const auto& g : gpus) out.push_back(g.cap);
  return out;
}

TEST(NvidiaSmi, ParsesRows) {
  auto gpus = parse_nvidia_smi_gpus(k_smi_mixed);
  ASSERT_TRUE(gpus.ok());
  ASSERT_EQ(gpus->size(), 2u);
  EXPECT_EQ((*gpus)[1].index, 1);
  EXPECT_EQ((*gpus)[1].uuid, "GPU-bbbb2222-0000-0000-0000-000000000000");
  EXPECT_EQ((*gpus)[1].cap, "9.0");
  EXPECT_THAT(*parse_nvidia_smi_gpus(""), IsEmpty());
}

TEST(NvidiaSmi, RejectsMalformedRows) {
  auto na = parse_nvidia_smi_gpus("0, GPU-x, [N/A]\n");
  ASSERT_FALSE(na.ok());
  EXPECT_EQ(na.errors().list.front().message,
            "nvidia-smi line 1: \"[N/A]\" is no compute capability");
  EXPECT_FALSE(parse_nvidia_smi_gpus("0, 9.0\n").ok());
  EXPECT_FALSE(parse_nvidia_smi_gpus("x, GPU-1, 9.0\n").ok());
}

TEST(CudaVisibleDevices, Semantics) {
  auto all = *parse_nvidia_smi_gpus(k_smi_mixed);
  std::string note;
  std::optional<std::string> bus = "PCI_BUS_ID";
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, std::nullopt, std::nullopt, note)),
              ElementsAre("8.6", "9.0"));
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, "1", bus, note)), ElementsAre("9.0"));
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, "", bus, note)), IsEmpty());
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, "-1", bus, note)), IsEmpty());
  // The list ends at the first entry that names no GPU.
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, "1,7,0", bus, note)), ElementsAre("9.0"));
  // UUID prefixes, in the order given.
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, "GPU-bbbb,GPU-aaaa", std::nullopt, note)),
              ElementsAre("9.0", "8.6"));
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, "GPU-", std::nullopt, note)),
              IsEmpty());  // ambiguous
  EXPECT_THAT(note, IsEmpty());
}

TEST(CudaVisibleDevices, IndicesOfMixedGpusWithoutBusOrderKeepAll) {
  auto all = *parse_nvidia_smi_gpus(k_smi_mixed);
  std::string note;
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, "0", std::nullopt, note)),
              ElementsAre("8.6", "9.0"));
  EXPECT_THAT(note, HasSubstr("CUDA_DEVICE_ORDER=PCI_BUS_ID"));
  // Identical GPUs: the order does not matter.
  auto same = *parse_nvidia_smi_gpus("0, GPU-a, 9.0\n1, GPU-b, 9.0\n");
  std::string none;
  EXPECT_THAT(caps(apply_cuda_visible_devices(same, "1", std::nullopt, none)), ElementsAre("9.0"));
  EXPECT_THAT(none, IsEmpty());
  std::string mig;
  EXPECT_THAT(caps(apply_cuda_visible_devices(all, "MIG-123", std::nullopt, mig)),
              ElementsAre("8.6", "9.0"));
  EXPECT_THAT(mig, HasSubstr("MIG"));
}

TEST(DetectCudaGpus, RunsNvidiaSmiBounded) {
  FakeProcess p;
  p.on(nvidia_smi_argv(), std::string(k_smi_h100));
  auto probe = detect_cuda_gpus(p, Environment());
  EXPECT_THAT(probe.archs, ElementsAre("9.0"));
  EXPECT_FALSE(probe.transient);
  ASSERT_EQ(p.log.size(), 1u);
  EXPECT_EQ(p.log[0].timeout, k_gpu_probe_timeout);
}

TEST(DetectCudaGpus, HonoursCudaVisibleDevices) {
  FakeProcess p;
  p.on(nvidia_smi_argv(), std::string(k_smi_h100));
  auto hidden = detect_cuda_gpus(p, env({{"CUDA_VISIBLE_DEVICES", ""}}));
  EXPECT_THAT(hidden.archs, IsEmpty());
  EXPECT_EQ(hidden.note, "CUDA_VISIBLE_DEVICES hides every GPU");
  EXPECT_FALSE(hidden.transient);
}

TEST(DetectCudaGpus, StableFailuresAreCacheable) {
  FakeProcess missing;  // no answer: nvidia-smi cannot be started
  auto a = detect_cuda_gpus(missing, Environment());
  EXPECT_THAT(a.archs, IsEmpty());
  EXPECT_FALSE(a.transient);
  EXPECT_EQ(a.note, "nvidia-smi: not found");

  FakeProcess no_driver;
  no_driver.on(
      nvidia_smi_argv(),
      Captured{9,
               "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
               "driver. Make sure that the latest NVIDIA driver is installed and running.\n",
               ""});
  auto b = detect_cuda_gpus(no_driver, Environment());
  EXPECT_FALSE(b.transient);
  EXPECT_EQ(b.note, "nvidia-smi: no NVIDIA driver");

  FakeProcess old_driver;
  old_driver.on(nvidia_smi_argv(),
                Captured{2, "Field \"compute_cap\" is not a valid field to query.\n", ""});
  EXPECT_FALSE(detect_cuda_gpus(old_driver, Environment()).transient);
}

TEST(DetectCudaGpus, TimeoutsAndOddFailuresAreTransient) {
  FakeProcess slow;
  Captured c{137, "", ""};
  c.timed_out = true;
  slow.on(nvidia_smi_argv(), c);
  auto a = detect_cuda_gpus(slow, Environment());
  EXPECT_TRUE(a.transient);
  EXPECT_THAT(a.archs, IsEmpty());
  FakeProcess odd;
  odd.on(nvidia_smi_argv(),
         Captured{15, "Unable to determine the device handle for GPU0: Unknown Error\n", ""});
  EXPECT_TRUE(detect_cuda_gpus(odd, Environment()).transient);
  FakeProcess garbled;
  garbled.on(nvidia_smi_argv(), std::string("0, GPU-x, [N/A]\n"));
  EXPECT_TRUE(detect_cuda_gpus(garbled, Environment()).transient);
}

TEST(Kfd, TargetVersions) {
  EXPECT_EQ(gfx_from_target_version(90402), "gfx942");
  EXPECT_EQ(gfx_from_target_version(90010), "gfx90a");
  EXPECT_EQ(gfx_from_target_version(90500), "gfx950");
  EXPECT_EQ(gfx_from_target_version(100300), "gfx1030");
  EXPECT_EQ(gfx_from_target_version(110000), "gfx1100");
  EXPECT_EQ(gfx_from_target_version(120001), "gfx1201");
  EXPECT_EQ(gfx_from_target_version(0), std::nullopt);
  EXPECT_EQ(gfx_from_target_version(91700), std::nullopt);
}

// A trimmed KFD node properties file (an MI300X node) and a CPU node.
const char* k_props_mi300 =
    "cpu_cores_count 0\nsimd_count 1216\nmem_banks_count 1\ngfx_target_version 90402\nvendor_id "
    "4098\n";
const char* k_props_cpu = "cpu_cores_count 64\nsimd_count 0\ngfx_target_version 0\n";

TEST(Kfd, Properties) {
  EXPECT_EQ(gfx_from_kfd_properties(k_props_mi300), "gfx942");
  EXPECT_EQ(gfx_from_kfd_properties(k_props_cpu), std::nullopt);
  EXPECT_EQ(gfx_from_kfd_properties("simd_count 4\n"), std::nullopt);
  EXPECT_EQ(gfx_from_kfd_properties("gfx_target_version_x 90402\n"), std::nullopt);
}

FakeDisk kfd_machine() {
  FakeDisk disk;
  const std::string nodes(k_kfd_nodes);
  disk.add_file(nodes + "/0/properties", k_props_cpu);
  disk.add_file(nodes + "/1/properties", k_props_mi300);
  disk.add_file(nodes + "/2/properties", "gfx_target_version 90010\n");
  disk.add_file(nodes + "/10/properties", "gfx_target_version 110000\n");
  return disk;
}

TEST(DetectRocmGpus, ReadsNodesInNumericOrder) {
  auto probe = detect_rocm_gpus(kfd_machine(), Environment());
  EXPECT_THAT(probe.archs, ElementsAre("gfx942", "gfx90a", "gfx1100"));
  EXPECT_FALSE(probe.transient);
}

TEST(DetectRocmGpus, VisibleDevices) {
  auto disk = kfd_machine();
  EXPECT_THAT(detect_rocm_gpus(disk, env({{"HIP_VISIBLE_DEVICES", "2,0"}})).archs,
              ElementsAre("gfx1100", "gfx942"));
  // ROCr first, then HIP numbers what is left.
  EXPECT_THAT(
      detect_rocm_gpus(disk, env({{"ROCR_VISIBLE_DEVICES", "1,2"}, {"HIP_VISIBLE_DEVICES", "1"}}))
          .archs,
      ElementsAre("gfx1100"));
  EXPECT_THAT(detect_rocm_gpus(disk, env({{"CUDA_VISIBLE_DEVICES", "1"}})).archs,
              ElementsAre("gfx90a"));
  auto uuid = detect_rocm_gpus(disk, env({{"ROCR_VISIBLE_DEVICES", "GPU-abc"}}));
  EXPECT_THAT(uuid.archs, ElementsAre("gfx942", "gfx90a", "gfx1100"));
  EXPECT_THAT(uuid.note, HasSubstr("not a list of indices"));
}

TEST(DetectRocmGpus, NoKfd) {
  auto probe = detect_rocm_gpus(FakeDisk(), Environment());
  EXPECT_THAT(probe.archs, IsEmpty());
  EXPECT_FALSE(probe.transient);
  EXPECT_THAT(probe.note, HasSubstr("no KFD topology"));
}

TEST(GpuCache, KeyHasTheVisibleDevicesAndBoot) {
  Environment e = env({{"CUDA_VISIBLE_DEVICES", "0"}, {"HOME", "/root"}});
  auto key = gpu_cache_key("cuda", e, "1234-abcd\n");
  EXPECT_EQ(key["probe"], "cuda");
  EXPECT_EQ(key["boot_id"], "1234-abcd");
  EXPECT_EQ(key["env"]["CUDA_VISIBLE_DEVICES"], "0");
  EXPECT_FALSE(key["env"].contains("HOME"));
  EXPECT_NE(key, gpu_cache_key("cuda", Environment(), "1234-abcd"));
  EXPECT_THAT(gpu_witness_paths(), testing::Contains("/dev/nvidiactl"));
}

}  // namespace
}  // namespace kb::toolchains
