#pragma once
// The build.toml model (editions 5 and pre-edition v4) and its parser.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/disk.h"
#include "kb/error.h"
#include "kb/version.h"

namespace kb {

// Values of general.backends; spelled exactly as in build.toml.
enum class Backend { cann, cpu, cuda, metal, neuron, rocm, tpu, xpu };

// "cuda" for Backend::cuda.
std::string_view to_string(Backend b);
// Parses a backend name; nullopt for an unknown name.
std::optional<Backend> parse_backend(std::string_view name);
// All eight backends in build.toml's order.
const std::vector<Backend>& all_backends();

enum class Framework { torch, torch_noarch, tvm_ffi };

// The framework's table name: "torch", "torch-noarch" or "tvm-ffi".
std::string_view to_string(Framework f);

// A string value of build.toml together with where it was written.
struct Located {
  std::string value;
  SourceLoc loc;
};

// One entry of a kernel-depends array.
struct KernelDep {
  std::string repo_id;
  std::optional<int64_t> version;
  std::optional<std::string> revision;
};

// [general.cuda], [general.xpu], [general.neuron], [general.tpu].
struct BackendGeneral {
  std::optional<Version> minver;  // cuda only
  std::optional<Version> maxver;  // cuda only
  std::vector<std::string> python_depends;
  std::vector<KernelDep> kernel_depends;
};

// [torch] (also used for [tvm-ffi], which has the subset src/include/pyext/cxx-flags).
struct TorchSection {
  std::vector<Located> src;
  std::vector<std::string> include;
  std::vector<std::string> pyext{"py", "pyi"};
  std::optional<Version> minver;
  std::optional<Version> maxver;
  // Per-backend stable-ABI version; a single string applies to every backend listed in general.
  std::map<Backend, Version> stable_abi;
  std::vector<std::string> cxx_flags;
};

// [torch-noarch].
struct NoarchSection {
  std::vector<std::string> pyext{"py", "pyi"};
  std::vector<std::string> cuda_capabilities;
  std::vector<std::string> rocm_archs;
};

// One [kernel.<name>] table.
struct KernelSection {
  std::string name;
  SourceLoc loc;  // of the [kernel.<name>] header
  Backend backend = Backend::cpu;
  std::vector<Located> src;
  std::vector<std::string> depends;
  std::vector<SourceLoc> depends_locs;  // where each depends entry is written (same order)
  std::vector<std::string> include;
  std::vector<std::string> cxx_flags;
  std::optional<std::vector<Located>> cuda_capabilities;
  std::vector<std::string> cuda_flags;
  std::optional<Version> cuda_minver;
  std::optional<std::vector<Located>> rocm_archs;
  std::vector<std::string> hip_flags;
  std::vector<std::string> sycl_flags;
};

struct Config {
  std::string path;  // the build.toml path used in messages
  int edition = 5;   // 5, or 4 for a pre-edition file (upgraded in memory)

  // [general]
  std::string name;
  int64_t version = 1;
  std::string license;
  std::optional<std::string> upstream;
  std::optional<std::string> source;
  std::vector<Backend> backends;
  std::vector<std::string> python_depends;
  std::vector<KernelDep> kernel_depends;
  std::optional<std::string> hub_repo_id;
  std::optional<std::string> hub_branch;
  BackendGeneral cuda, xpu, neuron, tpu;

  Framework framework = Framework::torch;
  TorchSection torch;                  // [torch] or [tvm-ffi]
  NoarchSection noarch;                // [torch-noarch]
  std::vector<KernelSection> kernels;  // in file order

  // Non-fatal findings every command shows (a kernel whose backend is not built, ...).
  std::vector<Error> warnings;
  // Facts about the file that only `kb check-config` shows, one line each: a pre-edition
  // (v4) file read as edition 5, a cuda-capabilities entry that serves no target.
  std::vector<Error> notes;

  // general.name with '-' replaced by '_': the Python package name.
  std::string module_name() const;
  // Whether `b` is listed in general.backends.
  bool has_backend(Backend b) const;
  // Whether some [kernel.*] section targets `b` (then `b` builds arch variants).
  bool has_kernels_for(Backend b) const;
  // The python-depends written to metadata for backend `b`: general ones plus the backend's.
  std::vector<std::string> python_depends_for(Backend b) const;
  // The kernel-depends written to metadata for backend `b`.
  std::vector<KernelDep> kernel_depends_for(Backend b) const;
};

// Parses build.toml text. `path` is only used in messages. Pure: no disk access.
// Fails with every problem of the file at once (syntax, unknown keys with did-you-mean,
// wrong types, bad values), each with path:line:col.
Result<Config> parse_config(std::string_view text, std::string_view path);

// Checks that every entry of the src lists names an existing file (not a directory), using
// `stat` (a FileStat for a path relative to the kernel dir). Fails with one error per missing
// file or directory, located at the src entry.
template <class StatFn>
Result<Ok> check_source_files(const Config& config, StatFn&& stat);

}  // namespace kb

#include "kb/detail/config_files.h"
