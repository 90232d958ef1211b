#pragma once
// In-memory stand-ins for the seams (include/kb/disk.h, include/kb/process.h), shared by
// every unit test. Paths are plain strings, normalised lexically ("a//b/./c" == "a/b/c").

#include <chrono>
#include <functional>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kb/config.h"
#include "kb/disk.h"
#include "kb/matrix.h"
#include "kb/process.h"
#include "kb/toolchain.h"

namespace kb {

// A file system in a map. Every mutating call is appended to `log` as "<op> <path>"
// ("copy <from> -> <to>", "replace <staged> -> <target>"), and `fail_if` can make any
// call fail, to test what happens after a failed write.
class FakeDisk : public Disk {
 public:
  struct File {
    std::string content;
    bool executable = false;
    int64_t mtime_ns = 0;
  };

  // Adds a file (and its parent directories) without logging it.
  void add_file(const std::string& path, std::string content, bool executable = false);
  // Adds a directory (and its parents) without logging it.
  void add_dir(const std::string& path);
  // Adds a symbolic link at `path` (and its parent directories) pointing to `target`,
  // relative to the link's directory unless absolute. stat, read_file, list_dir and
  // real_path follow it.
  void add_symlink(const std::string& path, std::string target);
  // Adds something that exists but is neither a regular file nor a directory (a FIFO, a
  // device): stat says so, and reading it fails as RealDisk's read_file does.
  void add_special(const std::string& path, std::string kind = "a FIFO");
  // Makes another process the holder of the lock on `path` (lock_file then finds it taken;
  // a waiting lock_file gets it after logging "wait-lock <path>"), with `holder` as the text
  // that process wrote into the file.
  void hold_lock(const std::string& path, std::string holder);
  // Whether some lock_file of this disk holds `path` now.
  bool locked(const std::string& path) const { return m_locked.count(path) > 0; }
  // The content of a file; "" when missing (use has_file to tell).
  std::string content(const std::string& path) const;
  bool has_file(const std::string& path) const;
  bool has_dir(const std::string& path) const;
  // Every file path, sorted.
  std::vector<std::string> all_files() const;

  // Called before each operation with its name ("read", "write", "write_if_changed",
  // "make_dirs", "list_dir", "list", "copy", "remove_all", "replace") and the path it
  // acts on (for copy: the destination; for replace: the target). Returning true makes
  // the call fail without any effect.
  std::function<bool(std::string_view op, const std::string& path)> fail_if;
  std::vector<std::string> log;
  // What available_bytes answers for every path (nullopt: cannot be told).
  std::optional<int64_t> available;
  // What current_dir answers.
  std::string cwd = "/cwd";

  using Disk::read_file;
  Result<std::string> read_file(const std::string& path, int64_t max_bytes) const override;
  FileStat stat(const std::string& path) const override;
  std::string real_path(const std::string& path) const override;
  std::string current_dir() const override { return cwd; }
  Result<Ok> write_file_atomic(const std::string& path, const std::string& content) override;
  Result<bool> write_if_changed(const std::string& path, const std::string& content) override;
  Result<Ok> make_dirs(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& path) const override;
  Result<std::vector<std::string>> list_files_recursive(const std::string& root) const override;
  Result<Ok> copy_file(const std::string& from, const std::string& to) override;
  Result<Ok> remove_all(const std::string& path) override;
  Result<Ok> replace_dir(const std::string& staged, const std::string& target) override;
  std::optional<int64_t> available_bytes(const std::string&) const override { return available; }
  // Logs "lock <path>" when taken and "unlock <path>" when the lock is destroyed.
  Result<LockAttempt> lock_file(const std::string& path, const std::string& owner,
                                bool wait) override;
  // <parent>/<prefix>1, 2, ...: the first name not taken (logged as "make_temp_dir <path>").
  Result<std::string> make_temp_dir(const std::string& parent, const std::string& prefix) override;

 private:
  bool fails(std::string_view op, const std::string& path) const;
  // `path` normalised, with the symlinks among its components replaced by their targets
  // (the final component too when `follow_last`); nullopt on a loop.
  std::optional<std::string> resolve(const std::string& path, bool follow_last = true) const;
  void put(const std::string& path, std::string content, bool executable);
  std::map<std::string, File> m_files;
  std::set<std::string> m_dirs;
  std::map<std::string, std::string> m_special;        // path -> kind
  std::map<std::string, std::string> m_links;          // path -> target as given
  std::map<std::string, int64_t> m_created;            // directory or link -> m_clock then
  std::map<std::string, std::string> m_foreign_locks;  // path -> holder text
  std::set<std::string> m_locked;
  int64_t m_clock = 1;
};

// Canned answers by exact argv. An argv without an answer behaves like a program that
// cannot be started (capture/run_attached fail), or goes to `fallback` when set.
class FakeProcess : public Process {
 public:
  struct Call {
    std::vector<std::string> argv;
    std::string cwd;  // run_attached only
    bool attached = false;
    std::chrono::milliseconds timeout{0};  // capture only
  };

  // capture(argv) returns `answer`.
  void on(std::vector<std::string> argv, Captured answer);
  // Shorthand: exit code 0 and `out` on stdout.
  void on(std::vector<std::string> argv, std::string out) {
    on(std::move(argv), Captured{0, std::move(out), ""});
  }
  // run_attached(argv) runs `effect` (e.g. creating outputs in a FakeDisk), then returns
  // `exit_code`.
  void on_run(std::vector<std::string> argv, int exit_code, std::function<void()> effect = {});
  // run_attached(argv) runs `effect`, then returns as a child does after kb received
  // `signal` and passed it on: exit code `exit_code`, kb_signal `signal`.
  void on_run_interrupted(std::vector<std::string> argv, int signal, int exit_code,
                          std::function<void()> effect = {});

  // Used for argv without a canned answer, when set.
  std::function<Result<Captured>(const std::vector<std::string>& argv)> fallback;

  // How often `argv` was run (captured or attached).
  int calls(const std::vector<std::string>& argv) const;
  int total_calls() const { return static_cast<int>(log.size()); }
  std::vector<Call> log;

  using Process::capture;
  Result<Captured> capture(const std::vector<std::string>& argv, const Environment& env,
                           std::chrono::milliseconds timeout) override;
  Result<AttachedExit> run_attached(const std::vector<std::string>& argv, const Environment& env,
                                    const std::string& cwd) override;

 private:
  struct Run {
    AttachedExit exit;
    std::function<void()> effect;
  };
  std::map<std::vector<std::string>, Captured> m_answers;
  std::map<std::vector<std::string>, Run> m_runs;
};

// Hand-made planner inputs (no parser, no discovery), shared by the flag, plan and bundle
// tests. The kernel "relu" lives in /src/relu:
//   [torch] src = torch-ext/torch_binding.cpp, torch-ext/torch_binding.h; include = csrc
//   [kernel.relu_cuda] (cuda) src = relu_cuda/relu.cu, relu_cuda/relu.cuh, relu_cuda/launch.cpp,
//       include = relu_cuda, cuda-flags = -lineinfo, -static-global-template-stub=false,
//       cxx-flags = -Wno-unused
//   [kernel.relu_cpu] (cpu) src = relu_cpu/relu.cpp, cxx-flags = -fopenmp
// general: backends cuda+cpu, python-depends einops, [general.cuda] python-depends
// nvidia-cutlass-dsl, upstream set.
Config sample_config();
// torches[0]: 2.11 (CUDA 13.0; its CMake package defines USE_DISTRIBUTED, USE_C10D_GLOO,
// USE_RPC, USE_TENSORPIPE for torch_cpu and USE_NVSHMEM, USE_C10D_NCCL for torch_cuda),
// torches[1]: 2.12 (CUDA 12.6, cxx11_abi false: TORCH_CXX_FLAGS -D_GLIBCXX_USE_CXX11_ABI=0,
// the torch_cpu definitions only); cuda[0]: 13.0, cuda[1]: 12.6; cxx: /usr/bin/g++.
Toolchains sample_toolchains();
// A torch arch variant (torch index, cuda index when backend is cuda) with the sections of
// `config` for `backend`, cuda sections getting `archs`.
Variant sample_variant(const Config& config, Backend backend, size_t torch,
                       std::optional<size_t> cuda, std::vector<std::string> archs = {});
// torch-<backend>.
Variant sample_noarch_variant(Backend backend);

// Compares `actual` with tests/data/golden/<name>. With KB_UPDATE_GOLDEN=1 in the
// environment it rewrites the file instead (review the diff before committing it).
// Returns "" when they match (or after rewriting), else a message with both texts.
std::string golden_mismatch(const std::string& name, const std::string& actual);

}  // namespace kb
