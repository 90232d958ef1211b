// RealDisk: std::filesystem (the non-throwing overloads) plus the POSIX calls it lacks.
//
// Every write goes to a temporary file in the destination's directory and is renamed
// into place, so a reader (ninja, the Torch loader, a second kb) sees the old file or the
// new one, never a half-written one.

#include "kb/disk.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc >= 2.28)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace kb {

namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error{what + " '" + path + "': " + std::strerror(err), {}, ""};
}

Error io_error(const std::string& what, const std::string& path, const std::error_code& ec) {
  return Error{what + " '" + path + "': " + ec.message(), {}, ""};
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
      if (errno == EINTR) continue;
      return io_error("cannot write", path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Ok{};
}

}  // namespace

Result<std::string> RealDisk::read_file(const std::string& path) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot read", path, errno);
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
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
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  out.size = static_cast<int64_t>(st.st_size);
  return out;
}

Result<Ok> RealDisk::write_file_atomic(const std::string& path, const std::string& content) {
  std::string parent = parent_of(path);
  if (!parent.empty()) KB_TRY(make_dirs(parent));
  std::string tmp = temp_name_for(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return io_error("cannot create", tmp, errno);
  auto written = write_all(fd, content, tmp);
  if (::close(fd) != 0 && written.ok()) written = io_error("cannot write", tmp, errno);
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
  // std::filesystem::copy_file copies the permission bits along with the content.
  std::string tmp = temp_name_for(to);
  std::error_code ec;
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return io_error("cannot copy '" + from + "' to", to, ec);
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
    if (::rename(staged.c_str(), target.c_str()) != 0)
      return io_error("cannot move '" + staged + "' to", target, errno);
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
  if (::rename(target.c_str(), aside.c_str()) != 0)
    return io_error("cannot move aside", target, errno);
  if (::rename(staged.c_str(), target.c_str()) != 0) {
    int e2 = errno;
    ::rename(aside.c_str(), target.c_str());  // put the old tree back
    return io_error("cannot move '" + staged + "' to", target, e2);
  }
  return remove_all(aside);
}

Result<std::string> RealDisk::make_temp_dir(const std::string& parent, const std::string& prefix) {
  KB_TRY(make_dirs(parent));
  std::string pattern = (fs::path(parent) / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) return io_error("cannot create a directory in", parent, errno);
  return pattern;
}

}  // namespace kb
