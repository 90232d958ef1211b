// The slot pool shared by kb internal-nvcc processes (kb/nvcc_slots.h).

#include "kb/nvcc_slots.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <charconv>

#include "kb/path.h"

namespace kb {

namespace {

// More slots than any machine has cores: a larger N in the variable is malformed.
constexpr int k_max_slots = 4096;

}  // namespace

std::string nvcc_slot_path(const std::string& dir, int index) {
  return join_path(dir, "slot-" + std::to_string(index));
}

Result<std::string> make_nvcc_slots(Disk& disk, const std::string& dir, int slots) {
  if (slots < 1 || slots > k_max_slots)
    return Error{"an nvcc slot pool needs 1 to " + std::to_string(k_max_slots) + " slots, not " +
                     std::to_string(slots),
                 {},
                 "this is a bug in kb's pipeline"};
  KB_TRY(disk.make_dirs(dir));
  for (int i = 0; i < slots; ++i) {
    std::string path = nvcc_slot_path(dir, i);
    if (!disk.stat(path).is_regular) KB_TRY(disk.write_file_atomic(path, ""));
  }
  return std::to_string(slots) + ":" + dir;
}

std::unique_ptr<NvccSlots> NvccSlots::from_env(const Environment& env) {
  auto value = env.get(k_nvcc_slots_env);
  if (!value) return nullptr;
  size_t colon = value->find(':');
  if (colon == std::string::npos) return nullptr;
  int n = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + colon, n);
  if (ec != std::errc{} || end != value->data() + colon || n < 1 || n > k_max_slots) return nullptr;
  std::string dir = value->substr(colon + 1);
  if (dir.empty() || dir[0] != '/') return nullptr;
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    int fd = ::open(nvcc_slot_path(dir, i).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      for (int f : fds) ::close(f);
      return nullptr;
    }
    fds.push_back(fd);
  }
  return std::unique_ptr<NvccSlots>(new NvccSlots(std::move(fds)));
}

NvccSlots::NvccSlots(std::vector<int> fds) : m_fds(std::move(fds)), m_taken(m_fds.size()) {}

NvccSlots::~NvccSlots() {
  // Closing the files drops their locks, slots still taken included.
  for (int fd : m_fds) ::close(fd);
}

int NvccSlots::try_take() {
  std::lock_guard lock(m_mutex);
  for (size_t i = 0; i < m_fds.size(); ++i) {
    if (m_taken[i]) continue;
    if (::flock(m_fds[i], LOCK_EX | LOCK_NB) == 0) {
      m_taken[i] = true;
      return static_cast<int>(i);
    }
  }
  return -1;
}

void NvccSlots::give_back(int index) {
  std::lock_guard lock(m_mutex);
  if (index < 0 || index >= size() || !m_taken[index]) return;
  ::flock(m_fds[index], LOCK_UN);
  m_taken[index] = false;
}

}  // namespace kb
