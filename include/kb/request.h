#pragma once
// What the user asked kb for, as one value: every command's options after parsing, with
// paths made absolute. The CLI and the Python module fill it; the pipeline (kb/pipeline.h)
// reads it and nothing else.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/disk.h"
#include "kb/error.h"

namespace kb {

// Which backend builds: kb's own Ninja build, or the kernel's flake through Nix.
enum class BuildBackend { native, nix };

// "native" or "nix". Fails on anything else, naming the closest of the two.
Result<BuildBackend> parse_build_backend(std::string_view text);

// The spelling parse_build_backend reads.
std::string_view to_string(BuildBackend backend);

// Where to look for toolchains (from --torch/--cuda/--rocm/--no-cache) and for the header
// trees of the kernel's dependencies (--dep). Torch, CUDA and ROCm entries are as given
// (discovery makes them absolute and looks bare names up in PATH).
struct ToolchainQuery {
  std::vector<std::string> torch;
  std::vector<std::string> cuda;
  std::vector<std::string> rocm;
  bool use_cache = true;
  std::vector<std::string> deps = {};  // --dep NAME=PATH, PATH absolute (kb/deps.h)
  bool operator==(const ToolchainQuery&) const = default;
};

// Facts about the machine and this process that shape a request's defaults, read once.
struct MachineFacts {
  int cores = 1;                                   // hardware threads, at least 1
  int64_t mem_available_bytes = int64_t{8} << 30;  // MemAvailable, else 8 GiB
  std::string self_exe;                            // absolute path of the kb binary
  std::string pid;  // this process's id, as text (the build lock's owner)
};

// The MemAvailable of a /proc/meminfo text, in bytes. nullopt when the text has no such
// line or its value is no number. Pure.
std::optional<int64_t> parse_mem_available(std::string_view meminfo);

// MachineFacts of this machine: cores from the C++ runtime, MemAvailable read from
// /proc/meminfo through `disk` (8 GiB when it cannot be read), `self_exe` and `pid` as
// given. Never fails.
MachineFacts read_machine_facts(const Disk& disk, std::string self_exe, std::string pid);

// One kb command's request. Every field has the meaning of the option named beside it.
struct Request {
  std::string command;                // "build", "test", ... (the CLI's command name)
  std::string kernel_dir_given;       // DIR as typed ("." when none): what messages name
  std::string kernel_dir;             // DIR made absolute, without a trailing '/'
  std::string out_dir;                // --out made absolute; default kernel_dir/build
  std::string cwd;                    // the directory relative --torch/--cuda/--rocm are in
  ToolchainQuery query;               // --torch --cuda --rocm --no-cache --dep
  std::vector<std::string> variants;  // --variant; empty = all buildable
  int jobs = 1;                       // -j
  bool jobs_given = false;            // -j was given (kb build then never widens it)
  int local_cores = 1;                // this machine's cores (MachineFacts::cores)
  // Set by `kb build` when sccache sends compiles to a build farm (docs/distributed.md), not
  // by an option: links and bundles run at most this many at a time; 0: no such limit.
  int local_jobs = 0;
  int64_t memory_budget_bytes = int64_t{8} << 30;  // what nvcc concurrency is planned against
  std::optional<std::string> unique_id;            // --unique-id
  std::optional<std::string> launcher;             // --launcher
  std::string linker = "auto";                     // --linker (kb/linker.h)
  std::optional<std::string> cuda_archs;  // --cuda-archs native|all|LIST (kb/arch_select.h)
  std::optional<std::string> rocm_archs;  // --rocm-archs native|all|LIST
  bool id_in_binding = false;             // --id-in-binding: never late-bind the namespace
  bool serial_nvcc = false;               // --serial-nvcc: nvcc's steps not overlapped
  std::string kb_path;                    // absolute path of this kb binary
  std::string lock_owner;                 // what names this process in the build lock (its pid)
  BuildBackend backend = BuildBackend::native;  // --backend
  bool dry_run = false;                         // --dry-run
  bool generate_only = false;                   // --generate-only
  bool verbose = false;                         // --verbose
  // --timings[=html|json|trace]: which timings reports to write after a native build
  // (docs/timings.md): "" none, "html" (timings.html and timings.json), "json" (timings.json
  // only), "trace" (both, and timings.trace.json).
  std::string timings;
  bool wait = false;                          // --wait
  std::optional<std::string> kernel_builder;  // --kernel-builder (nix)
  int nix_max_jobs = 0;                       // --max-jobs (nix); 0 = Nix's default
  int nix_cores = 0;                          // --cores (nix); 0 = Nix's default
  bool allow_unsandboxed = false;             // --allow-unsandboxed (nix)
  bool json = false;                          // --json
  std::string abi = "warn";                   // build --abi: warn (print each verdict), error, off
  std::string manylinux = "manylinux_2_28";   // check-abi --manylinux (kb/abi_check.h)
  std::string python_abi = "3.9";             // check-abi --python-abi
  bool all = false;                           // matrix --all
  bool force = false;                         // init-flake --force
  bool fetch = false;                         // `kb deps fetch`
  std::vector<std::string> bundle_inputs;     // `kb bundle merge DIR...`, made absolute
  std::vector<std::string> passthrough;       // after "--": pytest's or the shell's arguments
  // The native-only options the user gave (--jobs, --unique-id, ...), for the nix backend's
  // note that it ignores them.
  std::vector<std::string> native_only_given;
  bool operator==(const Request&) const = default;
};

// The request for `kernel_dir` (absolute) when the user names nothing else: out_dir
// kernel_dir/build, -j cores, the nvcc memory budget MemAvailable, kb_path and lock_owner
// from `facts`. The CLI and the Python module both start from it.
Request default_request(const std::string& kernel_dir, const MachineFacts& facts);

// The `kb build` options that reproduce `request`'s plan, as the regeneration edge passes
// them after `kb build DIR --out OUT --generate-only`: --torch, --cuda and --rocm made
// absolute against request.cwd, --dep, --unique-id, --variant, --launcher, --linker,
// --cuda-archs, --rocm-archs, --id-in-binding, --serial-nvcc and -j. Pure.
std::vector<std::string> to_argv(const Request& request);

// `path` made absolute against `cwd` and normalised lexically ("a/../b" is "b"); a trailing
// '/' is kept. Pure: no disk access, no links resolved.
std::string absolute_in(const std::string& cwd, const std::string& path);

// absolute_in without a trailing '/' (as kb takes every directory argument).
std::string absolute_dir_in(const std::string& cwd, const std::string& path);

}  // namespace kb
