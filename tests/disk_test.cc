// RealDisk in a temporary directory.

#include "kb/disk.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstring>

#include <filesystem>

namespace kb {
namespace {

namespace fs = std::filesystem;

class RealDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kb-disk-test-XXXXXX").string();
    root = ::mkdtemp(tmpl.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string at(const std::string& rel) const { return root + "/" + rel; }
  std::string read(const std::string& rel) const {
    auto r = disk.read_file(at(rel));
    return r.ok() ? *r : "<unreadable>";
  }
  // Names in a directory (including leftovers such as temporary files).
  std::vector<std::string> names(const std::string& rel) const {
    auto r = disk.list_dir(at(rel));
    return r.ok() ? *r : std::vector<std::string>{};
  }

  std::string root;
  RealDisk disk;
};

TEST_F(RealDiskTest, WriteAtomicCreatesParentsAndLeavesNoTemporaries) {
  ASSERT_TRUE(disk.write_file_atomic(at("a/b/c.txt"), "hello").ok());
  EXPECT_EQ(read("a/b/c.txt"), "hello");
  ASSERT_TRUE(disk.write_file_atomic(at("a/b/c.txt"), "bye").ok());
  EXPECT_EQ(read("a/b/c.txt"), "bye");
  EXPECT_EQ(names("a/b"), (std::vector<std::string>{"c.txt"}));
}

TEST_F(RealDiskTest, WriteAtomicFailsIntoAFile) {
  ASSERT_TRUE(disk.write_file_atomic(at("f"), "x").ok());
  auto r = disk.write_file_atomic(at("f/g"), "y");
  EXPECT_FALSE(r.ok());
}

TEST_F(RealDiskTest, WriteIfChangedSkipsIdenticalContent) {
  auto first = disk.write_if_changed(at("build.ninja"), "rule cc\n");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  // Make the file's mtime old so that a rewrite would be visible.
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, at("build.ninja").c_str(), old, 0), 0);
  auto same = disk.write_if_changed(at("build.ninja"), "rule cc\n");
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
  EXPECT_EQ(disk.stat(at("build.ninja")).mtime_ns, 1000LL * 1000000000);
  auto changed = disk.write_if_changed(at("build.ninja"), "rule cxx\n");
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(read("build.ninja"), "rule cxx\n");
  // Same size, different bytes.
  auto same_size = disk.write_if_changed(at("build.ninja"), "rule cyy\n");
  ASSERT_TRUE(same_size.ok());
  EXPECT_TRUE(*same_size);
}

TEST_F(RealDiskTest, ReadMissingFileFails) {
  auto r = disk.read_file(at("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().list[0].message.find("nope"), std::string::npos);
}

// A FIFO opened for reading waits for a writer; read_file must refuse it at once instead.
TEST_F(RealDiskTest, ReadRefusesWhatIsNoRegularFile) {
  ASSERT_EQ(::mkfifo(at("fifo").c_str(), 0644), 0);
  ASSERT_TRUE(disk.make_dirs(at("dir")).ok());
  const std::pair<std::string, std::string> cases[] = {
      {at("fifo"), "it is a FIFO, not a regular file"},
      {"/dev/zero", "it is a character device, not a regular file"},
      {at("dir"), "it is a directory, not a regular file"},
  };
  for (const auto& [path, message] : cases) {
    SCOPED_TRACE(path);
    auto r = disk.read_file(path);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.errors().list[0].message.find(message), std::string::npos)
        << r.errors().list[0].message;
    EXPECT_NE(r.errors().list[0].message.find(path), std::string::npos);
  }
  FileStat fifo = disk.stat(at("fifo"));
  EXPECT_TRUE(fifo.exists);
  EXPECT_FALSE(fifo.is_regular);
  EXPECT_FALSE(fifo.is_dir);
}

TEST_F(RealDiskTest, ReadRefusesAFileLargerThanTheLimit) {
  ASSERT_TRUE(disk.write_file_atomic(at("big"), std::string(100, 'x')).ok());
  auto r = disk.read_file(at("big"), 99);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().list[0].message.find("it is 100 bytes, more than the 99 bytes"),
            std::string::npos)
      << r.errors().list[0].message;
  auto exact = disk.read_file(at("big"), 100);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->size(), 100u);
}

TEST_F(RealDiskTest, StatReportsKindSizeAndAbsence) {
  ASSERT_TRUE(disk.write_file_atomic(at("d/f"), "12345").ok());
  FileStat f = disk.stat(at("d/f"));
  EXPECT_TRUE(f.exists);
  EXPECT_FALSE(f.is_dir);
  EXPECT_TRUE(f.is_regular);
  EXPECT_EQ(f.size, 5);
  EXPECT_GT(f.mtime_ns, 0);
  EXPECT_TRUE(disk.stat(at("d")).is_dir);
  EXPECT_FALSE(disk.stat(at("missing")).exists);
  EXPECT_TRUE(disk.exists(at("d/f")));
}

TEST_F(RealDiskTest, ExecutableBitRealPathAndCurrentDir) {
  ASSERT_TRUE(disk.write_file_atomic(at("d/tool"), "#!/bin/sh\n").ok());
  EXPECT_FALSE(disk.stat(at("d/tool")).is_executable);
  ::chmod(at("d/tool").c_str(), 0755);
  EXPECT_TRUE(disk.stat(at("d/tool")).is_executable);
  EXPECT_FALSE(disk.stat(at("d")).is_executable);  // a searchable directory is no program
  fs::create_directory_symlink("d", at("link"));
  std::string real_root = fs::canonical(root).string();
  EXPECT_EQ(disk.real_path(at("link/tool")), real_root + "/d/tool");
  EXPECT_EQ(disk.real_path(at("missing")), at("missing"));
  EXPECT_EQ(disk.current_dir(), fs::current_path().string());
}

TEST_F(RealDiskTest, ListDirSortedAndRecursiveRelative) {
  ASSERT_TRUE(disk.write_file_atomic(at("t/b.txt"), "").ok());
  ASSERT_TRUE(disk.write_file_atomic(at("t/a/z.py"), "").ok());
  ASSERT_TRUE(disk.write_file_atomic(at("t/a/y/x.so"), "").ok());
  ASSERT_TRUE(disk.make_dirs(at("t/empty")).ok());
  EXPECT_EQ(names("t"), (std::vector<std::string>{"a", "b.txt", "empty"}));
  auto files = disk.list_files_recursive(at("t"));
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(*files, (std::vector<std::string>{"a/y/x.so", "a/z.py", "b.txt"}));
  auto slash = disk.list_files_recursive(at("t") + "/");  // a trailing '/' changes nothing
  ASSERT_TRUE(slash.ok());
  EXPECT_EQ(*slash, *files);
  EXPECT_FALSE(disk.list_dir(at("absent")).ok());
  EXPECT_FALSE(disk.list_files_recursive(at("absent")).ok());
}

TEST_F(RealDiskTest, TempDirsAreNewAndDistinct) {
  auto a = disk.make_temp_dir(at("tmp/parent"), ".stage-x-");
  auto b = disk.make_temp_dir(at("tmp/parent"), ".stage-x-");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(disk.stat(*a).is_dir);
  EXPECT_EQ(a->rfind(at("tmp/parent") + "/.stage-x-", 0), 0u) << *a;
  EXPECT_TRUE(disk.list_dir(*a)->empty());
  ASSERT_TRUE(disk.write_file_atomic(at("file"), "").ok());
  EXPECT_FALSE(disk.make_temp_dir(at("file"), "x").ok());  // the parent is a file
}

TEST_F(RealDiskTest, CopyFileKeepsExecutableBit) {
  ASSERT_TRUE(disk.write_file_atomic(at("src/run.sh"), "#!/bin/sh\n").ok());
  ASSERT_EQ(::chmod(at("src/run.sh").c_str(), 0755), 0);
  ASSERT_TRUE(disk.write_file_atomic(at("src/data.txt"), "data").ok());
  ASSERT_EQ(::chmod(at("src/data.txt").c_str(), 0644), 0);
  ASSERT_TRUE(disk.copy_file(at("src/run.sh"), at("dst/deep/run.sh")).ok());
  ASSERT_TRUE(disk.copy_file(at("src/data.txt"), at("dst/data.txt")).ok());
  struct stat st {};
  ASSERT_EQ(::stat(at("dst/deep/run.sh").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  ASSERT_EQ(::stat(at("dst/data.txt").c_str(), &st), 0);
  EXPECT_FALSE(st.st_mode & S_IXUSR);
  EXPECT_EQ(read("dst/data.txt"), "data");
  // Overwrites an existing destination.
  ASSERT_TRUE(disk.copy_file(at("src/run.sh"), at("dst/data.txt")).ok());
  EXPECT_EQ(read("dst/data.txt"), "#!/bin/sh\n");
  EXPECT_FALSE(disk.copy_file(at("src/missing"), at("dst/x")).ok());
  EXPECT_FALSE(disk.exists(at("dst/x")));
}

// Lowers this process's file size limit (ulimit -f) for the lifetime of the object, with
// SIGXFSZ ignored, so that writes past `bytes` fail with EFBIG: a failed write on a real
// file system, as a full disk (ENOSPC) gives, without needing one.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &m_old);
    m_old_handler = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lower = m_old;
    lower.rlim_cur = bytes;
    m_ok = ::setrlimit(RLIMIT_FSIZE, &lower) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &m_old);
    ::signal(SIGXFSZ, m_old_handler);
  }
  bool ok() const { return m_ok; }

 private:
  struct rlimit m_old {};
  void (*m_old_handler)(int) = nullptr;
  bool m_ok = false;
};

// A failed copy reports why it failed. It used to say "...: Success": the clean-up of the
// temporary file reused the error code of the copy and cleared it.
TEST_F(RealDiskTest, FailedCopyReportsTheRealErrorAndLeavesNoTemporary) {
  ASSERT_TRUE(disk.write_file_atomic(at("src/big.so"), std::string(256 * 1024, 'x')).ok());
  ASSERT_TRUE(disk.make_dirs(at("stage")).ok());
  Result<Ok> r = Ok{};
  {
    FileSizeLimit limit(4096);
    ASSERT_TRUE(limit.ok());
    r = disk.copy_file(at("src/big.so"), at("stage/big.so"));
  }
  ASSERT_FALSE(r.ok());
  const Error& e = r.errors().list.front();
  EXPECT_NE(e.message.find(std::strerror(EFBIG)), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("Success"), std::string::npos) << e.message;
  EXPECT_NE(e.hint.find("ulimit"), std::string::npos) << e.hint;
  EXPECT_EQ(names("stage"), std::vector<std::string>{});
}

TEST_F(RealDiskTest, FailedWriteReportsTheRealErrorAndKeepsTheOldFile) {
  ASSERT_TRUE(disk.write_file_atomic(at("metadata.json"), "old").ok());
  Result<Ok> r = Ok{};
  {
    FileSizeLimit limit(4096);
    ASSERT_TRUE(limit.ok());
    r = disk.write_file_atomic(at("metadata.json"), std::string(64 * 1024, 'y'));
  }
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().list.front().message.find(std::strerror(EFBIG)), std::string::npos)
      << r.errors().list.front().message;
  EXPECT_EQ(read("metadata.json"), "old");
  EXPECT_EQ(names(""), (std::vector<std::string>{"metadata.json"}));
}

TEST_F(RealDiskTest, AvailableBytesOfAnExistingPathOnly) {
  auto free = disk.available_bytes(root);
  ASSERT_TRUE(free.has_value());
  EXPECT_GE(*free, 0);
  EXPECT_FALSE(disk.available_bytes(at("no/such/dir")).has_value());
}

TEST_F(RealDiskTest, RemoveAllToleratesMissingPaths) {
  ASSERT_TRUE(disk.write_file_atomic(at("tree/a/b"), "x").ok());
  ASSERT_TRUE(disk.remove_all(at("tree")).ok());
  EXPECT_FALSE(disk.exists(at("tree")));
  EXPECT_TRUE(disk.remove_all(at("tree")).ok());
}

TEST_F(RealDiskTest, ReplaceDirMovesIntoPlaceWhenTargetIsNew) {
  ASSERT_TRUE(disk.write_file_atomic(at("build/.tmp-v/metadata.json"), "{}").ok());
  ASSERT_TRUE(disk.replace_dir(at("build/.tmp-v"), at("build/v")).ok());
  EXPECT_EQ(read("build/v/metadata.json"), "{}");
  EXPECT_FALSE(disk.exists(at("build/.tmp-v")));
}

TEST_F(RealDiskTest, ReplaceDirSwapsAndRemovesTheOldTree) {
  ASSERT_TRUE(disk.write_file_atomic(at("build/v/old.so"), "old").ok());
  ASSERT_TRUE(disk.write_file_atomic(at("build/.tmp-v/new.so"), "new").ok());
  ASSERT_TRUE(disk.replace_dir(at("build/.tmp-v"), at("build/v")).ok());
  EXPECT_EQ(names("build/v"), (std::vector<std::string>{"new.so"}));
  EXPECT_EQ(read("build/v/new.so"), "new");
  EXPECT_EQ(names("build"), (std::vector<std::string>{"v"}));  // old tree and staging gone
}

TEST_F(RealDiskTest, ReplaceDirKeepsTheOldTreeWhenStagingFailed) {
  ASSERT_TRUE(disk.write_file_atomic(at("build/v/old.so"), "old").ok());
  // Staging never produced a directory (the build failed before assembling it).
  auto r = disk.replace_dir(at("build/.tmp-v"), at("build/v"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(read("build/v/old.so"), "old");
  // A staged *file* is not a bundle either.
  ASSERT_TRUE(disk.write_file_atomic(at("build/.tmp-w"), "oops").ok());
  EXPECT_FALSE(disk.replace_dir(at("build/.tmp-w"), at("build/v")).ok());
  EXPECT_EQ(read("build/v/old.so"), "old");
}

}  // namespace
}  // namespace kb
