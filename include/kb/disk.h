#pragma once
// The disk seam. Everything kb writes goes through here so that outputs are replaced
// atomically and tests can use an in-memory fake.

#include <cstdint>
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
};

class Disk {
 public:
  virtual ~Disk() = default;
  // The whole file; fails when it cannot be read.
  virtual Result<std::string> read_file(const std::string& path) const = 0;
  // What stat says; exists=false for a missing path (not an error).
  virtual FileStat stat(const std::string& path) const = 0;
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
  // Creates a new, empty directory <parent>/<prefix><unique suffix> (and `parent`), never
  // one that exists; returns its path. Fails when it cannot be created.
  virtual Result<std::string> make_temp_dir(const std::string& parent, const std::string& prefix) = 0;
  // Convenience: stat(path).exists.
  bool exists(const std::string& path) const { return stat(path).exists; }
};

// The real implementation (std::filesystem and POSIX).
class RealDisk : public Disk {
 public:
  Result<std::string> read_file(const std::string& path) const override;
  FileStat stat(const std::string& path) const override;
  Result<Ok> write_file_atomic(const std::string& path, const std::string& content) override;
  Result<bool> write_if_changed(const std::string& path, const std::string& content) override;
  Result<Ok> make_dirs(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::vector<std::string>> list_files_recursive(const std::string& root) const override;
  Result<Ok> copy_file(const std::string& from, const std::string& to) override;
  Result<Ok> remove_all(const std::string& path) override;
  Result<Ok> replace_dir(const std::string& staged, const std::string& target) override;
  Result<std::string> make_temp_dir(const std::string& parent, const std::string& prefix) override;
};

}  // namespace kb
