#pragma once
// Pieces the command functions of src/pipeline*.cc share. Not installed.

#include <memory>
#include <string>
#include <vector>

#include "kb/pipeline.h"
#include "toolchains/gpu_cache.h"

namespace kb::command_parts {

// Locks request.out_dir (native::lock_build_dir) for this process: with request.wait, waits
// for another kb and says so through io.status; else fails naming it.
Result<std::unique_ptr<FileLock>> lock_build_dir(const Request& request, Io& io);

// The variant folders in `out` (what the loader will look at), limited to `wanted` when it
// is not empty. Never fails: an unreadable build dir has none.
std::vector<std::string> built_variants(const std::string& out,
                                        const std::vector<std::string>& wanted, const Disk& disk);

// The file `name` in kb's cache directory ($KB_CACHE_DIR, else $XDG_CACHE_HOME/kb, else
// ~/.cache/kb); "" when none of them is set (nothing is cached).
std::string kb_cache_file(const Environment& env, std::string_view name);

// The ABI verdict (kb/abi_check.h) on each Linux bundle of `plan` that ninja wrote in this
// run (`ran`'s log entries name its bundle stamp), against the request's manylinux policy
// and Python ABI; none with request.abi "off". Fails on a malformed --python-abi or an
// unknown policy.
Result<std::vector<VariantVerdict>> check_built_bundles(const Request& request,
                                                        const BuildPlan& plan,
                                                        const native::NativeOutcome& ran, Io& io);

// The GPUs of `kind` on this machine (toolchains/gpu_cache.h), through kb's gpus.json
// unless `use_cache` is false (--no-cache). Never fails.
toolchains::GpuProbe find_gpus(toolchains::GpuKind kind, bool use_cache, Io& io);

// `kb build --backend=nix`.
Result<command::BuildOutcome> build_with_nix(const Request& request, Io& io);

// `kb matrix --backend=nix`: the flake's variant names.
Result<std::vector<std::string>> matrix_with_nix(const Request& request, Io& io);

// `kb test` (test) or `kb develop` with --backend=nix: the flake's ci-test, test shell or dev
// shell; returns its exit code.
Result<int> shell_with_nix(const Request& request, Io& io, bool test);

}  // namespace kb::command_parts
