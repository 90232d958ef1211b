#pragma once
// The disk seam. Everything kb writes goes through here so that outputs are replaced
// atomically and tests can use an in-memory fake.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kb/error.h"

namespace kb {

struct FileStat {
  bool exists = false;
  bool is_dir = false;
  int64_t mtime_ns = 0;
  int64_t size = 0;
  bool is_regular = false;     // a plain file (not a directory, FIFO, device or socket)
  bool is_executable = false;  // a plain file this process may execute
};

// The most read_file reads of one file unless told otherwise.
inline constexpr int64_t k_max_read_bytes = int64_t{256} << 20;

// An exclusive lock on a file, held until this object is destroyed; the kernel releases it
// when the process dies, however it dies.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// The outcome of Disk::lock_file.
struct LockAttempt {
  std::unique_ptr<FileLock> lock;  // null when another process holds the lock
  std::string holder;              // then: what the holder wrote into the file ("" if unknown)
};

class Disk {
 public:
  virtual ~Disk() = default;
  // The whole file. Fails when it cannot be read, is no regular file (a FIFO or a device:
  // reading one may block or never end) or is larger than `max_bytes`.
  virtual Result<std::string> read_file(const std::string& path, int64_t max_bytes) const = 0;
  // read_file limited to k_max_read_bytes.
  Result<std::string> read_file(const std::string& path) const {
    return read_file(path, k_max_read_bytes);
  }
  // What stat says (symlinks followed); exists=false for a missing path (not an error).
  virtual FileStat stat(const std::string& path) const = 0;
  // The absolute path of `path` with every symlink resolved, or `path` itself when it
  // cannot be resolved (missing, a loop).
  virtual std::string real_path(const std::string& path) const = 0;
  // The process's current directory (absolute), or "" when it cannot be told (removed).
  virtual std::string current_dir() const = 0;
  // Writes through a temporary file and rename, creating parent directories.
  virtual Result<Ok> write_file_atomic(const std::string& path, const std::string& content) = 0;
  // Writes only when the content differs; returns whether it wrote.
  virtual Result<bool> write_if_changed(const std::string& path, const std::string& content) = 0;
  // Creates the directory and its parents.
  virtual Result<Ok> make_dirs(const std::string& path) = 0;
  // Names of the entries of a directory (not recursive), sorted.
  virtual Result<std::vector<std::string>> list_dir(const std::string& path) const = 0;
  // Files below `root`, recursively, as paths relative to root with '/', sorted.
  virtual Result<std::vector<std::string>> list_files_recursive(const std::string& root) const = 0;
  // Copies a file, creating parent directories and keeping the executable bit.
  virtual Result<Ok> copy_file(const std::string& from, const std::string& to) = 0;
  // Removes a file or directory tree; a missing path is not an error.
  virtual Result<Ok> remove_all(const std::string& path) = 0;
  // Puts directory `staged` in place of `target` atomically (exchange, then removes the old).
  virtual Result<Ok> replace_dir(const std::string& staged, const std::string& target) = 0;
  // Bytes an unprivileged writer may still use on the file system holding `path`; nullopt
  // when that cannot be told (no such path, no statvfs).
  virtual std::optional<int64_t> available_bytes(const std::string& path) const = 0;
  // Takes an exclusive lock on `path` (created, with its parents, when missing) and writes
  // `owner` into the file. When another process holds it: with `wait`, blocks until it is
  // released; without, returns at once with a null lock and the holder's text. A lock file
  // removed or replaced while waiting is opened again, so two processes never both hold
  // `path`. Fails when the file cannot be created or locked.
  virtual Result<LockAttempt> lock_file(const std::string& path, const std::string& owner,
                                        bool wait) = 0;
  // Creates a new, empty directory <parent>/<prefix><unique suffix> (and `parent`), never
  // one that exists; returns its path. Fails when it cannot be created.
  virtual Result<std::string> make_temp_dir(const std::string& parent,
                                            const std::string& prefix) = 0;
  // Convenience: stat(path).exists.
  bool exists(const std::string& path) const { return stat(path).exists; }
};

// The real implementation (std::filesystem and POSIX).
class RealDisk : public Disk {
 public:
  using Disk::read_file;
  Result<std::string> read_file(const std::string& path, int64_t max_bytes) const override;
  FileStat stat(const std::string& path) const override;
  std::string real_path(const std::string& path) const override;
  std::string current_dir() const override;
  Result<Ok> write_file_atomic(const std::string& path, const std::string& content) override;
  Result<bool> write_if_changed(const std::string& path, const std::string& content) override;
  Result<Ok> make_dirs(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::vector<std::string>> list_files_recursive(const std::string& root) const override;
  Result<Ok> copy_file(const std::string& from, const std::string& to) override;
  Result<Ok> remove_all(const std::string& path) override;
  Result<Ok> replace_dir(const std::string& staged, const std::string& target) override;
  std::optional<int64_t> available_bytes(const std::string& path) const override;
  Result<LockAttempt> lock_file(const std::string& path, const std::string& owner,
                                bool wait) override;
  Result<std::string> make_temp_dir(const std::string& parent, const std::string& prefix) override;
};

}  // namespace kb
