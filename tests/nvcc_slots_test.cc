// The slot pool of kb internal-nvcc on real files and real locks: handles share it, a full
// pool refuses, given-back and dead processes' slots are free again, bad values are no pool.

#include "kb/nvcc_slots.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <vector>

namespace kb {
namespace {

namespace fs = std::filesystem;

class NvccSlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kb-slots-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // A pool of `n` slots and the environment naming it.
  Environment pool(int n) {
    auto value = make_nvcc_slots(disk_, dir_.string(), n);
    EXPECT_TRUE(value.ok());
    EXPECT_EQ(*value, std::to_string(n) + ":" + dir_.string());
    return Environment({{k_nvcc_slots_env, *value}});
  }
  fs::path dir_;
  RealDisk disk_;
};

TEST_F(NvccSlotsTest, HandlesShareThePoolAndAFullPoolRefuses) {
  Environment env = pool(2);
  EXPECT_TRUE(fs::exists(dir_ / "slot-0"));
  EXPECT_TRUE(fs::exists(dir_ / "slot-1"));
  auto a = NvccSlots::from_env(env);
  auto b = NvccSlots::from_env(env);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 2);
  int first = a->try_take();
  int second = a->try_take();
  EXPECT_GE(first, 0);
  EXPECT_GE(second, 0);
  EXPECT_NE(first, second);
  EXPECT_EQ(a->try_take(), -1);
  EXPECT_EQ(b->try_take(), -1);  // a's two slots are taken for every handle
  a->give_back(first);
  EXPECT_EQ(b->try_take(), first);
  EXPECT_EQ(a->try_take(), -1);
  a.reset();  // closing the handle gives back what it still held
  EXPECT_EQ(b->try_take(), second);
}

TEST_F(NvccSlotsTest, AKilledProcessGivesBackItsSlots) {
  Environment env = pool(3);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto mine = NvccSlots::from_env(env);
    bool all = mine && mine->try_take() >= 0 && mine->try_take() >= 0 && mine->try_take() >= 0;
    char c = all ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();  // killed below, holding all three slots
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto here = NvccSlots::from_env(env);
  ASSERT_TRUE(here);
  EXPECT_EQ(here->try_take(), -1);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_GE(here->try_take(), 0);
  EXPECT_GE(here->try_take(), 0);
  EXPECT_GE(here->try_take(), 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(NvccSlotsTest, NoPoolForAnUnsetMalformedOrMissingVariable) {
  pool(2);
  EXPECT_EQ(NvccSlots::from_env(Environment{}), nullptr);
  std::string d = dir_.string();
  for (const std::string& bad : std::vector<std::string>{
           "", "2", "x:" + dir_.string(), "0:" + dir_.string(), "-1:" + dir_.string(),
           "2:relative/dir", "2:", "3:" + dir_.string() /* no slot-2 */, "99999:" + dir_.string(),
           "2:/nonexistent/kb-slots"})
    EXPECT_EQ(NvccSlots::from_env(Environment({{k_nvcc_slots_env, bad}})), nullptr) << bad;
  EXPECT_FALSE(make_nvcc_slots(disk_, dir_.string(), 0).ok());
}

}  // namespace
}  // namespace kb
