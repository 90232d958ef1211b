// run_nvcc_overlapped with the real nvcc (skipped without one): the overlapped compile gives
// the same device code and a depfile that also names a header only the device pass reads;
// an error stops it with nvcc's message, once; intermediate files are removed; with a shared
// slot pool no step runs without a slot, and every slot is given back.

#include "kb/nvcc_overlap.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "kb/nvcc_slots.h"

namespace kb {
namespace {

namespace fs = std::filesystem;

std::string find_nvcc() {
  for (const char* p : {"/usr/local/cuda/bin/nvcc", "/usr/local/cuda-13.0/bin/nvcc"})
    if (fs::exists(p)) return p;
  return "";
}

class NvccOverlap : public ::testing::Test {
 protected:
  void SetUp() override {
    nvcc_ = find_nvcc();
    if (nvcc_.empty()) GTEST_SKIP() << "no nvcc in /usr/local/cuda";
    dir_ = fs::temp_directory_path() / ("kb-nvcc-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    write("device_only.cuh", "__device__ inline float twice(float x) { return 2 * x; }\n");
    write("k.cu", R"(#include "host.h"
#ifdef __CUDA_ARCH__
#include "device_only.cuh"
#else
__device__ float twice(float x);
#endif
__global__ void k(float* x) { x[threadIdx.x] = twice(x[threadIdx.x]) + kHost; }
void launch(float* x) { k<<<1, 32>>>(x); }
)");
    write("host.h", "constexpr float kHost = 1.0f;\n");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ / name);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  std::vector<std::string> argv(const std::string& object) {
    return {nvcc_,
            "-std=c++17",
            "-O3",
            "-gencode",
            "arch=compute_90,code=sm_90",
            "--threads",
            "1",
            "-MD",
            "-MF",
            (dir_ / (object + ".d")).string(),
            "-c",
            (dir_ / "k.cu").string(),
            "-o",
            (dir_ / object).string()};
  }
  std::string nvcc_;
  fs::path dir_;
  RealProcess process_;
  RealDisk disk_;
  Environment env_ = Environment::from_process();
};

TEST_F(NvccOverlap, CompilesWithDepfileOfHostAndDevicePasses) {
  auto run = run_nvcc_overlapped(argv("k.o"), process_, disk_, env_);
  ASSERT_TRUE(run.ok()) << run.errors().list[0].message;
  EXPECT_TRUE(run->overlapped) << run->plain_because;
  EXPECT_EQ(run->exit_code, 0) << run->output;
  EXPECT_TRUE(fs::exists(dir_ / "k.o"));
  EXPECT_FALSE(fs::exists(dir_ / "k.o.steps"));
  std::string deps = read("k.o.d");
  EXPECT_NE(deps.find("host.h"), std::string::npos) << deps;
  EXPECT_NE(deps.find("device_only.cuh"), std::string::npos) << deps;
  EXPECT_EQ(deps.rfind((dir_ / "k.o").string() + ":", 0), 0u) << deps;
  // nvcc itself builds the same kernel (names in the object differ with the module id).
  ASSERT_EQ(std::system(
                ("cd '" + dir_.string() + "' && nm k.o | grep -q '__device_stub__Z1kPf'").c_str()),
            0);
}

TEST_F(NvccOverlap, ReportsACompileErrorOnceAndFails) {
  write("k.cu", "__global__ void k(float* x) { x[0] = undeclared_name; }\n");
  auto run = run_nvcc_overlapped(argv("bad.o"), process_, disk_, env_);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->overlapped);
  EXPECT_NE(run->exit_code, 0);
  // Both front ends (cudafe++ and cicc) parse the source; only the first failing step's
  // message is shown, as nvcc running them in turn shows it.
  std::string marker = "error detected in the compilation of";
  size_t first = run->output.find(marker);
  ASSERT_NE(first, std::string::npos) << run->output;
  EXPECT_EQ(run->output.find(marker, first + 1), std::string::npos) << run->output;
  EXPECT_NE(run->output.find("undeclared_name"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "bad.o"));
  EXPECT_FALSE(fs::exists(dir_ / "bad.o.steps"));
}

TEST_F(NvccOverlap, CommandsItCannotSplitRunAsTheyAre) {
  // No -o: nvcc writes k.o in the current directory; kb does not split such a command.
  auto run = run_nvcc_overlapped({nvcc_, "--version"}, process_, disk_, env_);
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->overlapped);
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_NE(run->plain_because.find("-c SOURCE"), std::string::npos) << run->plain_because;
}

TEST_F(NvccOverlap, StepsWaitForASlotOfTheSharedPoolAndGiveItBack) {
  Environment env = env_;
  auto pool = make_nvcc_slots(disk_, (dir_ / "slots").string(), 1);
  ASSERT_TRUE(pool.ok());
  env.set(k_nvcc_slots_env, *pool);
  auto holder = NvccSlots::from_env(env);
  ASSERT_TRUE(holder);
  int held = holder->try_take();
  ASSERT_EQ(held, 0);
  Result<NvccRun> run = Error{"not run", {}, ""};
  std::thread compile([&] { run = run_nvcc_overlapped(argv("k.o"), process_, disk_, env); });
  // The only slot is held here: the dry run may go on, but no step of the compile can run,
  // so no object can appear however long this waits.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(fs::exists(dir_ / "k.o"));
  holder->give_back(held);
  compile.join();
  ASSERT_TRUE(run.ok()) << run.errors().list[0].message;
  EXPECT_TRUE(run->overlapped) << run->plain_because;
  EXPECT_EQ(run->exit_code, 0) << run->output;
  EXPECT_TRUE(fs::exists(dir_ / "k.o"));
  // The compile gave its slot back: it is free again.
  EXPECT_EQ(holder->try_take(), 0);
}

TEST_F(NvccOverlap, AFailedCompileGivesBackEverySlot) {
  write("k.cu", "__global__ void k(float* x) { x[0] = undeclared_name; }\n");
  Environment env = env_;
  auto pool = make_nvcc_slots(disk_, (dir_ / "slots").string(), 3);
  ASSERT_TRUE(pool.ok());
  env.set(k_nvcc_slots_env, *pool);
  auto run = run_nvcc_overlapped(argv("bad.o"), process_, disk_, env);
  ASSERT_TRUE(run.ok());
  EXPECT_NE(run->exit_code, 0);
  auto after = NvccSlots::from_env(env);
  ASSERT_TRUE(after);
  for (int i = 0; i < 3; ++i) EXPECT_GE(after->try_take(), 0) << i;
}

}  // namespace
}  // namespace kb
