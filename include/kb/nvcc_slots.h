#pragma once
// The slots that every `kb internal-nvcc` of one build shares, so that nvcc's steps (the
// front ends, and cicc and ptxas per arch) of all compiles together run at most N at a
// time, whichever compile they belong to. A compile whose siblings have ended takes the
// slots they free; --threads, fixed when the plan is made, cannot. `kb build` makes the
// pool (N slot files in <build>/.kb/nvcc-slots) and names it to ninja's children in
// KB_NVCC_SLOTS; a step holds a slot as an flock on one of the files, so a process that
// dies, however it dies, gives its slots back.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"

namespace kb {

// The variable naming the pool: "N:DIR" (N slot files, DIR absolute).
inline constexpr const char* k_nvcc_slots_env = "KB_NVCC_SLOTS";

// The file of slot `index` in `dir`.
std::string nvcc_slot_path(const std::string& dir, int index);

// Makes `dir` and its `slots` slot files (kept between builds: their content is unused)
// and returns the value of KB_NVCC_SLOTS naming them. Fails when they cannot be written or
// `slots` < 1.
Result<std::string> make_nvcc_slots(Disk& disk, const std::string& dir, int slots);

// One process's handle on the pool. Thread-safe.
class NvccSlots {
 public:
  // The pool KB_NVCC_SLOTS names in `env`; null when the variable is unset, malformed or
  // its files cannot be opened (a compile run by hand, or on another machine): the caller
  // then keeps to its own fixed limit.
  static std::unique_ptr<NvccSlots> from_env(const Environment& env);
  ~NvccSlots();
  NvccSlots(const NvccSlots&) = delete;
  NvccSlots& operator=(const NvccSlots&) = delete;

  // Takes a free slot without waiting: its index, or -1 when every slot is taken (by this
  // process or another).
  int try_take();
  // Gives back slot `index` taken by try_take.
  void give_back(int index);
  // How many slots the pool has.
  int size() const { return static_cast<int>(m_fds.size()); }

 private:
  explicit NvccSlots(std::vector<int> fds);
  std::mutex m_mutex;
  std::vector<int> m_fds;     // one open file per slot, so that each flock stands alone
  std::vector<bool> m_taken;  // by this process
};

}  // namespace kb
