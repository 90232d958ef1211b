#include "toolchains/gpu_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fakes.h"

namespace kb::toolchains {
namespace {

using ::testing::ElementsAre;

const char* k_cache = "/cache/kb/gpus.json";
const char* k_h100 = "0, GPU-d57c4e44-a459-0695-028d-df772632c702, 9.0\n";

struct Machine {
  FakeDisk disk;
  FakeProcess process;
  Environment env;
  Machine() {
    disk.add_file("/proc/sys/kernel/random/boot_id", "5e1f0d2c-boot-one\n");
    disk.add_file("/dev/nvidiactl", "");
    process.on(nvidia_smi_argv(), std::string(k_h100));
  }
  GpuProbe find(const std::string& cache = k_cache) {
    return find_gpus(GpuKind::cuda, cache, process, disk, env);
  }
};

TEST(GpuCache, SecondLookupStartsNoProcess) {
  Machine m;
  EXPECT_THAT(m.find().archs, ElementsAre("9.0"));
  EXPECT_THAT(m.find().archs, ElementsAre("9.0"));
  EXPECT_EQ(m.process.calls(nvidia_smi_argv()), 1);
  EXPECT_TRUE(m.disk.exists(k_cache));
}

TEST(GpuCache, NoCacheFileAlwaysProbes) {
  Machine m;
  m.find("");
  m.find("");
  EXPECT_EQ(m.process.calls(nvidia_smi_argv()), 2);
}

TEST(GpuCache, ARebootOrANewDriverProbesAgain) {
  Machine m;
  m.find();
  m.disk.add_file("/proc/sys/kernel/random/boot_id", "77aa-boot-two\n");
  m.find();
  EXPECT_EQ(m.process.calls(nvidia_smi_argv()), 2);
  m.disk.add_file("/proc/driver/nvidia/version", "NVRM version: 580.1\n");  // a driver loaded
  m.find();
  EXPECT_EQ(m.process.calls(nvidia_smi_argv()), 3);
  m.find();
  EXPECT_EQ(m.process.calls(nvidia_smi_argv()), 3);
}

TEST(GpuCache, VisibleDevicesArePartOfTheKey) {
  Machine m;
  m.find();
  m.env = Environment(std::map<std::string, std::string>{{"CUDA_VISIBLE_DEVICES", ""}});
  EXPECT_TRUE(m.find().archs.empty());
  EXPECT_EQ(m.process.calls(nvidia_smi_argv()), 2);
  m.env = Environment();
  EXPECT_THAT(m.find().archs, ElementsAre("9.0"));  // the first entry is still there
  EXPECT_EQ(m.process.calls(nvidia_smi_argv()), 2);
}

TEST(GpuCache, TransientFailuresAreNotStored) {
  Machine m;
  Captured slow{137, "", ""};
  slow.timed_out = true;
  m.process = FakeProcess();
  m.process.on(nvidia_smi_argv(), slow);
  EXPECT_TRUE(m.find().transient);
  EXPECT_FALSE(m.disk.exists(k_cache));
}

TEST(GpuCache, ADamagedCacheCostsOnlyAProbe) {
  Machine m;
  m.disk.add_file(k_cache, "{not json");
  EXPECT_THAT(m.find().archs, ElementsAre("9.0"));
  EXPECT_THAT(m.find().archs, ElementsAre("9.0"));
  EXPECT_EQ(m.process.calls(nvidia_smi_argv()), 1);
}

}  // namespace
}  // namespace kb::toolchains
