// RealDisk: std::filesystem (the non-throwing overloads) plus the POSIX calls it lacks.
//
// Every write goes to a temporary file in the destination's directory and is renamed
// into place, so a reader (ninja, the Torch loader, a second kb) sees the old file or the
// new one, never a half-written one.

#include "kb/disk.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc >= 2.28)
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace kb {

namespace {

// What to do about a failed call, for the errors that have one answer.
std::string io_hint(int err) {
  if (err == ENOSPC || err == EDQUOT)
    return "the file system is full: free some space (or build elsewhere with --out) and run "
           "kb again";
  if (err == EFBIG) return "the file is larger than this process may write (ulimit -f)";
  return "";
}

// `err` is an errno value the caller saved right after the failed call.
Error io_error(const std::string& what, const std::string& path, int err) {
  return Error{what + " '" + path + "': " + std::strerror(err), {}, io_hint(err)};
}

Error io_error(const std::string& what, const std::string& path, const std::error_code& ec) {
  int err = ec.category() == std::generic_category() || ec.category() == std::system_category()
                ? ec.value()
                : 0;
  return Error{what + " '" + path + "': " + ec.message(), {}, io_hint(err)};
}

// A name beside `path` that no other writer (thread or process) will pick.
std::string temp_name_for(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  return path + ".kbtmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

std::string parent_of(const std::string& path) { return fs::path(path).parent_path().string(); }

Result<Ok> write_all(int fd, const std::string& content, const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      int e = errno;  // before anything else can overwrite it
      if (e == EINTR) continue;
      return io_error("cannot write", path, e);
    }
    done += static_cast<size_t>(n);
  }
  return Ok{};
}

// Copies the bytes and permission bits of `from` into the new file `to`. Returns 0, or the
// errno of the call that failed. (std::filesystem::copy_file reports a short write, which is
// what a full disk gives sendfile, as "Input/output error".)
int copy_bytes(const std::string& from, const std::string& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return errno;
  struct stat st {};
  if (::fstat(in, &st) != 0) {
    int e = errno;
    ::close(in);
    return e;
  }
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    int e = errno;
    ::close(in);
    return e;
  }
  int err = 0;
  std::vector<char> buf(1 << 20);
  while (err == 0) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno != EINTR) err = errno;
      continue;
    }
    if (n == 0) break;
    for (size_t done = 0; err == 0 && done < static_cast<size_t>(n);) {
      ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n) - done);
      if (w < 0) {
        if (errno != EINTR) err = errno;
        continue;
      }
      done += static_cast<size_t>(w);
    }
  }
  if (err == 0 && ::fchmod(out, st.st_mode & 07777) != 0) err = errno;
  if (::close(out) != 0 && err == 0) err = errno;
  ::close(in);
  return err;
}

// "a FIFO", "a directory", ... for messages about a file that is not a regular file.
std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string size_text(int64_t bytes) {
  char buf[32];
  if (bytes >= (int64_t{1} << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  else
    std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(bytes));
  return buf;
}

Error too_large(const std::string& path, int64_t size, int64_t limit) {
  return Error{"cannot read '" + path + "': it is " + (size >= 0 ? size_text(size) : "larger") +
                   ", more than the " + size_text(limit) + " kb reads of such a file",
               {},
               "check that the path names the file you mean"};
}

}  // namespace

Result<std::string> RealDisk::read_file(const std::string& path, int64_t max_bytes) const {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer; it is refused below anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    return io_error("cannot read", path, e);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return io_error("cannot read", path, e);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    std::string kind = kind_of(st.st_mode);
    return Error{"cannot read '" + path + "': it is " + kind + ", not a regular file",
                 {},
                 "kb reads only regular files (a FIFO or a device could block it or never end)"};
  }
  if (st.st_size > max_bytes) {
    ::close(fd);
    return too_large(path, st.st_size, max_bytes);
  }
  std::string out;
  if (st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return io_error("cannot read", path, e);
    }
    out.append(buf, static_cast<size_t>(n));
    if (static_cast<int64_t>(out.size()) > max_bytes) {  // it grew while we read it
      ::close(fd);
      return too_large(path, -1, max_bytes);
    }
  }
  ::close(fd);
  return out;
}

FileStat RealDisk::stat(const std::string& path) const {
  struct stat st {};
  FileStat out;
  if (::stat(path.c_str(), &st) != 0) return out;
  out.exists = true;
  out.is_dir = S_ISDIR(st.st_mode);
  out.is_regular = S_ISREG(st.st_mode);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out.size = static_cast<int64_t>(st.st_size);
  out.is_executable =
      out.is_regular && (st.st_mode & 0111) != 0 && ::access(path.c_str(), X_OK) == 0;
  return out;
}

std::string RealDisk::real_path(const std::string& path) const {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

std::string RealDisk::current_dir() const {
  std::error_code ec;
  auto cwd = fs::current_path(ec);
  return ec ? std::string() : cwd.string();
}

Result<Ok> RealDisk::write_file_atomic(const std::string& path, const std::string& content) {
  std::string parent = parent_of(path);
  if (!parent.empty()) KB_TRY(make_dirs(parent));
  std::string tmp = temp_name_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    int e = errno;
    return io_error("cannot create", tmp, e);
  }
  auto written = write_all(fd, content, tmp);
  if (::close(fd) != 0 && written.ok()) {
    int e = errno;
    written = io_error("cannot write", tmp, e);
  }
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot replace", path, e);
  }
  return Ok{};
}

Result<bool> RealDisk::write_if_changed(const std::string& path, const std::string& content) {
  FileStat st = stat(path);
  // Comparing sizes first avoids reading a large file that obviously differs.
  if (st.exists && !st.is_dir && st.size == static_cast<int64_t>(content.size())) {
    auto old = read_file(path);
    if (old.ok() && *old == content) return false;
  }
  KB_TRY(write_file_atomic(path, content));
  return true;
}

Result<Ok> RealDisk::make_dirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return io_error("cannot create directory", path, ec);
  return Ok{};
}

Result<std::vector<std::string>> RealDisk::list_dir(const std::string& path) const {
  std::error_code ec;
  std::vector<std::string> names;
  fs::directory_iterator it(path, ec);
  if (ec) return io_error("cannot list", path, ec);
  for (const auto& entry : it) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::vector<std::string>> RealDisk::list_files_recursive(const std::string& root) const {
  std::error_code ec;
  std::vector<std::string> files;
  fs::recursive_directory_iterator it(root, ec), end;
  if (ec) return io_error("cannot list", root, ec);
  for (; it != end; it.increment(ec)) {
    if (ec) return io_error("cannot list", root, ec);
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    // The entry's last depth()+1 components: its path below root, found lexically (the
    // iterator appends names to root). fs::relative would canonicalise both paths, a
    // readlink per component per file: 30 ms for the 731 headers of a CUTLASS tree.
    std::vector<std::string> parts;
    for (const auto& part : it->path()) parts.push_back(part.string());
    size_t keep = static_cast<size_t>(it.depth()) + 1;
    std::string rel;
    for (size_t i = parts.size() - std::min(keep, parts.size()); i < parts.size(); ++i)
      rel += (rel.empty() ? "" : "/") + parts[i];
    files.push_back(std::move(rel));
  }
  if (ec) return io_error("cannot list", root, ec);
  std::sort(files.begin(), files.end());
  return files;
}

Result<Ok> RealDisk::copy_file(const std::string& from, const std::string& to) {
  std::string parent = parent_of(to);
  if (!parent.empty()) KB_TRY(make_dirs(parent));
  // Copy beside the destination, then rename: the bundle never holds half a file.
  std::string tmp = temp_name_for(to);
  if (int e = copy_bytes(from, tmp); e != 0) {
    ::unlink(tmp.c_str());
    return io_error("cannot copy '" + from + "' to", to, e);
  }
  if (::rename(tmp.c_str(), to.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot replace", to, e);
  }
  return Ok{};
}

Result<Ok> RealDisk::remove_all(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return io_error("cannot remove", path, ec);
  return Ok{};
}

Result<Ok> RealDisk::replace_dir(const std::string& staged, const std::string& target) {
  FileStat s = stat(staged);
  if (!s.exists || !s.is_dir)
    return Error{
        "cannot replace '" + target + "': staged directory '" + staged + "' is missing", {}, ""};
  FileStat t = stat(target);
  if (!t.exists) {
    std::string parent = parent_of(target);
    if (!parent.empty()) KB_TRY(make_dirs(parent));
    if (::rename(staged.c_str(), target.c_str()) != 0) {
      int e = errno;
      return io_error("cannot move '" + staged + "' to", target, e);
    }
    return Ok{};
  }
  // Swap the two trees in one step: at every instant `target` is either the whole old tree
  // or the whole new one. The old tree ends up at `staged` and is removed afterwards.
  if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0)
    return remove_all(staged);
  int e = errno;
  if (e != EINVAL && e != ENOSYS && e != EOPNOTSUPP)
    return io_error("cannot exchange '" + staged + "' with", target, e);
  // The file system cannot exchange: move the old tree aside, then the new one in. A
  // crash between the two renames leaves `target` missing but never half-written.
  std::string aside = temp_name_for(target) + ".old";
  if (::rename(target.c_str(), aside.c_str()) != 0) {
    int e2 = errno;
    return io_error("cannot move aside", target, e2);
  }
  if (::rename(staged.c_str(), target.c_str()) != 0) {
    int e2 = errno;
    ::rename(aside.c_str(), target.c_str());  // put the old tree back
    return io_error("cannot move '" + staged + "' to", target, e2);
  }
  return remove_all(aside);
}

std::optional<int64_t> RealDisk::available_bytes(const std::string& path) const {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

namespace {

// flock(2) on an open file; closing the descriptor (or the process ending) releases it.
class FlockLock : public FileLock {
 public:
  explicit FlockLock(int fd) : m_fd(fd) {}
  ~FlockLock() override { ::close(m_fd); }
  FlockLock(const FlockLock&) = delete;
  FlockLock& operator=(const FlockLock&) = delete;

 private:
  int m_fd;
};

std::string read_holder(int fd) {
  char buf[256];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  std::string text(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

Result<LockAttempt> RealDisk::lock_file(const std::string& path, const std::string& owner,
                                        bool wait) {
  std::string parent = parent_of(path);
  // `kb clean` may remove the directory between make_dirs and open: make it again, a few
  // times, rather than fail a build over a clean that has already finished.
  for (int missing_dir = 0;;) {
    if (!parent.empty()) KB_TRY(make_dirs(parent));
    // Close-on-exec: a daemon started by the build (a compiler cache server) must not
    // inherit the lock and hold it after kb is gone.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0 && errno == ENOENT && ++missing_dir < 100) continue;
    if (fd < 0) return io_error("cannot open the lock file", path, errno);
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int e = errno;
      std::string holder = e == EWOULDBLOCK ? read_holder(fd) : "";
      ::close(fd);
      if (e == EWOULDBLOCK) return LockAttempt{nullptr, holder};
      return io_error("cannot lock", path, e);
    }
    // The file may have been removed (`kb clean` removes .kb) or replaced while we waited:
    // a lock on it excludes nobody who opens `path` now. Start over with the current file.
    struct stat held {
    }, now{};
    if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino) {
      std::string text = owner + "\n";
      // Only a message depends on it: a failed write does not fail the lock.
      if (::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()) &&
          ::ftruncate(fd, static_cast<off_t>(text.size())) != 0) {
      }
      return LockAttempt{std::make_unique<FlockLock>(fd), ""};
    }
    ::close(fd);
  }
}

Result<std::string> RealDisk::make_temp_dir(const std::string& parent, const std::string& prefix) {
  KB_TRY(make_dirs(parent));
  std::string pattern = (fs::path(parent) / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return io_error("cannot create a directory in", parent, errno);
  return pattern;
}

}  // namespace kb
