// The build-dir lock: lock_build_dir's decisions on a FakeDisk, and RealDisk::lock_file on
// real files (flock), including a lock file removed while another process waits for it and
// a holder that dies.

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "kb/native_backend.h"
#include "tests/fakes.h"

namespace kb::native {
namespace {

namespace fs = std::filesystem;

const std::string k_lock = "/b/.kb/lock";

BuildLockOptions as(std::string owner) {
  BuildLockOptions o;
  o.owner = std::move(owner);
  return o;
}

TEST(BuildLock, FreeBuildDirIsLockedUntilTheLockIsDropped) {
  FakeDisk disk;
  {
    auto lock = lock_build_dir("/b", disk, as("100"));
    ASSERT_TRUE(lock.ok()) << format_error(lock.errors().list[0]);
    ASSERT_TRUE(*lock);
    EXPECT_TRUE(disk.locked(k_lock));
    EXPECT_EQ(disk.content(k_lock), "100\n");
  }
  EXPECT_FALSE(disk.locked(k_lock));
  EXPECT_EQ(disk.log, (std::vector<std::string>{"lock " + k_lock, "unlock " + k_lock}));
}

TEST(BuildLock, AnotherKbFailsFastNamingTheHolder) {
  FakeDisk disk;
  disk.hold_lock(k_lock, "4242");
  auto lock = lock_build_dir("/b", disk, as("100"));
  ASSERT_FALSE(lock.ok());
  const Error& e = lock.errors().list[0];
  EXPECT_EQ(e.message, "another kb is building here (pid 4242)");
  EXPECT_NE(e.hint.find("--wait"), std::string::npos);
  EXPECT_NE(e.hint.find(k_lock), std::string::npos);
  EXPECT_TRUE(disk.log.empty());
}

TEST(BuildLock, HolderThatWroteNothingIsStillReported) {
  FakeDisk disk;
  disk.hold_lock(k_lock, "");
  auto lock = lock_build_dir("/b", disk, as("100"));
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.errors().list[0].message, "another kb is building here");
}

TEST(BuildLock, WaitSaysWhoItWaitsForThenLocks) {
  FakeDisk disk;
  disk.hold_lock(k_lock, "4242");
  BuildLockOptions o = as("100");
  o.wait = true;
  std::vector<std::string> waited_for;
  o.on_wait = [&](const std::string& holder) { waited_for.push_back(holder); };
  auto lock = lock_build_dir("/b", disk, o);
  ASSERT_TRUE(lock.ok());
  ASSERT_TRUE(*lock);
  EXPECT_EQ(waited_for, std::vector<std::string>{"4242"});
  EXPECT_EQ(disk.log, (std::vector<std::string>{"wait-lock " + k_lock, "lock " + k_lock}));
}

// ninja's regeneration edge runs `kb build --generate-only` under the kb that holds the
// lock; that kb passes its pid down in KB_BUILD_LOCK_HOLDER.
TEST(BuildLock, KbUnderTheHoldersNinjaBuildsWithoutLocking) {
  FakeDisk disk;
  disk.hold_lock(k_lock, "4242");
  BuildLockOptions o = as("100");
  o.inherited_holder = "4242";
  auto lock = lock_build_dir("/b", disk, o);
  ASSERT_TRUE(lock.ok());
  EXPECT_FALSE(*lock);
  o.inherited_holder = "999";  // someone else's ninja: no exemption
  EXPECT_FALSE(lock_build_dir("/b", disk, o).ok());
}

TEST(BuildLock, LockFileThatCannotBeMadeIsAnError) {
  FakeDisk disk;
  disk.fail_if = [](std::string_view op, const std::string&) { return op == "lock"; };
  EXPECT_FALSE(lock_build_dir("/b", disk, as("100")).ok());
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kb-lock-test-XXXXXX").string();
    m_path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  std::string operator/(const std::string& rel) const { return m_path + "/" + rel; }

 private:
  std::string m_path;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// flock locks belong to open files: a second open of the same path in this process
// conflicts like another process would.
TEST(RealDiskLock, SecondLockerSeesTheHolderUntilRelease) {
  TempDir dir;
  RealDisk disk;
  std::string path = dir / "build/.kb/lock";
  auto first = disk.lock_file(path, "111", false);
  ASSERT_TRUE(first.ok()) << format_error(first.errors().list[0]);
  ASSERT_TRUE(first->lock);
  EXPECT_EQ(read_text(path), "111\n");
  auto second = disk.lock_file(path, "222", false);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->lock);
  EXPECT_EQ(second->holder, "111");
  first->lock.reset();
  auto third = disk.lock_file(path, "3", false);
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(third->lock);
  EXPECT_EQ(read_text(path), "3\n");  // a shorter owner leaves nothing of the longer one
}

// `kb clean` removes .kb with the lock file while holding it; a kb that was waiting must
// then lock the file now at the path, or a third kb could lock that one at the same time.
TEST(RealDiskLock, LockFileRemovedWhileWaitingIsOpenedAgain) {
  TempDir dir;
  RealDisk disk;
  std::string path = dir / "build/.kb/lock";
  auto holder = disk.lock_file(path, "clean", false);
  ASSERT_TRUE(holder.ok() && holder->lock);
  Result<LockAttempt> waiter = Error{"not run", {}, ""};
  std::thread waiting([&] { waiter = disk.lock_file(path, "waiter", true); });
  ASSERT_TRUE(disk.remove_all(dir / "build/.kb").ok());
  holder->lock.reset();
  waiting.join();
  ASSERT_TRUE(waiter.ok()) << format_error(waiter.errors().list[0]);
  ASSERT_TRUE(waiter->lock);
  ASSERT_TRUE(fs::exists(path));
  auto third = disk.lock_file(path, "third", false);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->lock) << "two processes hold the lock of one build dir";
  EXPECT_EQ(third->holder, "waiter");
}

TEST(RealDiskLock, KernelReleasesTheLockOfAKilledHolder) {
  TempDir dir;
  std::string path = dir / "lock";
  std::string ready = dir / "ready";
  pid_t child = ::fork();
  if (child == 0) {
    RealDisk disk;
    auto lock = disk.lock_file(path, "child", false);
    std::ofstream(ready) << "x";
    if (lock.ok() && lock->lock) ::pause();
    ::_exit(1);
  }
  for (int i = 0; i < 400 && !fs::exists(ready); ++i) ::usleep(50 * 1000);
  RealDisk disk;
  auto busy = disk.lock_file(path, "parent", false);
  ASSERT_TRUE(busy.ok());
  EXPECT_FALSE(busy->lock);
  EXPECT_EQ(busy->holder, "child");
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  auto free = disk.lock_file(path, "parent", false);
  ASSERT_TRUE(free.ok());
  EXPECT_TRUE(free->lock);
}

}  // namespace
}  // namespace kb::native
