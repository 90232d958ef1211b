#pragma once
// `kb test` and `kb develop` (native backend): which built variant each Torch install loads,
// and the environment the kernel's tests run in. Pure, except venv_root (through Disk).
//
// The tests load the kernel the way users do, through the `kernels` package:
// LOCAL_KERNELS=<repo-id>=<build dir> makes kernels.get_kernel("<repo-id>") read build/
// (loader-contract.md A.1, A.12), and the loader then picks the variant itself. kb picks the
// same variant (A.4/A.5) only to put it on PYTHONPATH, as the reference's ci-test does, and
// to say which one a Torch will load.

#include <optional>
#include <string>
#include <vector>

#include "kb/config.h"
#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"
#include "kb/toolchain.h"

namespace kb {

// The id the tests load the kernel by: general.hub.repo-id, else "kernels-community/<name>".
std::string test_repo_id(const Config& config);

// The backend the kernels loader detects for a Torch install (A.2): cuda when Torch was
// built with CUDA, rocm with HIP, else cpu.
Backend loader_backend(const TorchInstall& torch);

// The folder of `folders` (variant names in a build dir) that the kernels loader would load
// for `torch` when asked for `backend`, ranked as the loader ranks (A.4, A.5: stable ABI
// first, newest ABI, then the Torch arch variant, then noarch; a higher CUDA minor breaks
// ties). nullopt when none is accepted. Names kb cannot parse are skipped, as the loader
// skips them.
std::optional<std::string> loader_pick(const std::vector<std::string>& folders,
                                       const TorchInstall& torch, Backend backend,
                                       const std::string& cpu, const std::string& os);

// One Torch install's test run.
struct TestTarget {
  std::string python;                  // the interpreter that runs pytest
  std::string torch_version;           // torch.__version__
  std::optional<std::string> variant;  // the bundle it loads; nullopt: none suits it
  Backend backend = Backend::cpu;      // the backend of `variant`
  std::string why_none;                // when variant is nullopt: what was looked for
};

// For each Torch, the variant of `folders` it loads: one for the loader's backend, else a
// cpu one (tests load it with backend="cpu"). Keeps the order of `torches`.
std::vector<TestTarget> plan_test_targets(const std::vector<TorchInstall>& torches,
                                          const std::vector<std::string>& folders,
                                          const std::string& cpu, const std::string& os);

// What the test environment is made of.
struct KernelTestEnv {
  std::string repo_id;                 // test_repo_id()
  std::string build_dir;               // absolute
  std::optional<std::string> variant;  // the chosen bundle, if any
  std::optional<std::string> venv;     // the Torch's venv: its bin/ goes first on PATH
};

// Where `import <mod>` finds a bundle by name: <build dir>/.kb/import/<variant>, which holds
// <mod>/__init__.py written from import_shim_source(). The current bundle layout has no
// <mod>/ folder of its own (kernel-builder-format.md §3.1), so PYTHONPATH=<build>/<variant>
// alone does not make the package importable by name.
std::string import_shim_dir(const std::string& build_dir, const std::string& variant);

// The <mod>/__init__.py of the import shim: the package's __path__ is the bundle directory
// `variant_dir`, and the bundle's own __init__.py runs as the package's code, so relative
// imports (`from ._ops import ops`, the .so) resolve inside the bundle.
std::string import_shim_source(const std::string& variant_dir);

// Writes <import_shim_dir>/<module_name>/__init__.py for the bundle <build_dir>/<variant>
// (only when its text changes). Fails when a directory or the file cannot be written.
Result<Ok> write_import_shim(const std::string& build_dir, const std::string& variant,
                             const std::string& module_name, Disk& disk);

// `base` plus LOCAL_KERNELS=<repo-id>=<build dir> (other entries of an existing value kept,
// one for the same repo id dropped), KB_KERNEL_BUILD=<build dir>, and with a variant
// PYTHONPATH=<import shim dir>:<build dir>/<variant> prepended and KB_VARIANT=<variant>;
// with a venv, VIRTUAL_ENV=<venv> and <venv>/bin prepended to PATH.
Environment kernel_test_environment(const Environment& base, const KernelTestEnv& spec);

// `<python> -m pytest <tests_dir> -p no:cacheprovider <args...>`.
std::vector<std::string> pytest_argv(const std::string& python, const std::string& tests_dir,
                                     const std::vector<std::string>& args);

// What a pytest exit status means ("tests failed", "no tests were collected", ...).
std::string pytest_exit_meaning(int code);

// The venv an interpreter belongs to: <dir> when `python` is <dir>/bin/<name> and
// <dir>/pyvenv.cfg exists; nullopt otherwise.
std::optional<std::string> venv_root(const std::string& python, const Disk& disk);

// <kernel_dir>/tests when it is a directory. Fails, with how to add one, when it is not.
Result<std::string> kernel_tests_dir(const std::string& kernel_dir, const Config& config,
                                     const Disk& disk);

}  // namespace kb
