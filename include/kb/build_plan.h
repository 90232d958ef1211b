#pragma once
// The native build plan: for every variant of the matrix, each compile and link command,
// the files of its bundle, and the generated texts. Pure: all inputs are values (the list
// of the author's Python files is collected by the caller).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kb/config.h"
#include "kb/error.h"
#include "kb/bundle_manifest.h"
#include "kb/torch_includes.h"
#include "kb/matrix.h"
#include "kb/toolchain.h"

namespace kb {

// What the caller decides before planning.
struct BuildOptions {
  std::string kernel_dir;  // absolute path of the directory holding build.toml
  std::string build_dir;   // absolute; bundles go to build_dir/<variant>/
  std::string unique_id;   // op namespace suffix: git tree id prefix (+ "_dirty"), or given
  int jobs = 2;            // ninja -j
  int64_t memory_budget_bytes = 8LL << 30;  // for the nvcc pool depth
  // Compiles run on a build farm (sccache-dist, docs/distributed.md): this machine's memory
  // does not bound nvcc (the nvcc pool is as deep as -j), and the steps that always run here
  // (links, bundles, hipify) share the `local` pool of depth local_jobs.
  bool remote_compiles = false;
  int local_jobs = 0;   // the local pool's depth with remote_compiles; 0: none
  std::string kb_path;  // absolute path of the kb binary (bundle and regeneration edges)
  std::string linker;   // -fuse-ld= name for the link steps (kb/linker.h); empty: the default
  std::string kb_version = "0.1.0";
  std::optional<std::string> kernel_commit;  // 40-hex HEAD commit, for provenance
  bool kernel_dirty = false;
  // Keep the unique id out of every TU's command line (kb/binding_scan.h), so a new commit
  // recompiles only gen/ops_id.c and relinks. The caller sets it when no compiled source
  // ([torch] src and [kernel.*] src) uses TORCH_EXTENSION_NAME outside the registration
  // macros. It applies to
  // variants built against Torch 2.11 or newer (the registration types the late-bound
  // registration.h names); older ones keep the id on the command line.
  bool late_bound_namespace = false;
  // What each source (path relative to the kernel dir, as in build.toml) includes of Torch,
  // read by the caller from its #include lines (kb/include_scan.h); only the scheduler's
  // first guess of compile times uses it. A source not listed: a binding TU counts as
  // including all of Torch, a kernel TU as including none.
  std::map<std::string, TorchIncludes> torch_includes;
  // The resolved header tree of each `depends` name (kb/deps.h): a variant's TUs get those
  // of its sections' dependencies as -isystem, first among the system includes.
  std::map<std::string, std::string> dependency_includes;
};

// The Torch headers from which a variant can be late-bound (BuildOptions::late_bound_namespace).
inline constexpr int k_late_bound_min_torch_minor = 11;  // 2.11

// One compiler invocation producing one object file.
struct CompileStep {
  enum class Tool { cxx, nvcc, hip };
  Tool tool = Tool::cxx;
  std::string source;             // absolute
  std::string object;             // absolute, below build_dir/.kb/<variant>/
  std::string depfile;            // absolute; written by the compiler
  std::vector<std::string> argv;  // complete command (launcher excluded), incl. -c, -o, -MD -MF
  std::string description;        // "NVCC torch212-cxx11-cu130-x86_64-linux relu.cu"
  bool binding = false;           // a [torch] src TU
  bool generated = false;         // a C file kb writes (gen/ops_id.c, the manylinux compat source)
  TorchIncludes torch_includes = TorchIncludes::none;  // for the first guess of its duration
  // nvcc/hip: the device code passes it runs (one per -gencode or --offload-arch); 1 for a
  // host compile. Also for the first guess of its duration.
  int device_passes = 1;
  // Its command line carries the unique id (-DTORCH_EXTENSION_NAME=<ops name> on every TU of
  // a variant that is not late-bound).
  bool uses_unique_id = false;
  // Generated files that must exist before the first compile (ROCm: the hipified headers);
  // after it, the depfile says which of them the object really depends on.
  std::vector<std::string> order_only = {};
};

// ROCm: one CUDA source or header of a rocm [kernel.*] section translated to HIP by
// `kb internal-hipify IN OUT` (docs/rocm.md). The output is rewritten only when its text
// changes, so the edge can be `restat`.
struct HipifyStep {
  std::string source;  // absolute, the author's file
  std::string output;  // absolute, <work_dir>/hip/<path relative to the kernel dir>, .cu -> .hip
  std::vector<std::string> argv;
  std::string description;  // "HIPIFY <variant> relu_cuda/relu.cu"
};

// The link of one variant's extension module.
struct LinkStep {
  std::string output;  // absolute path of <ops_name>.abi3.so below build_dir/.kb/<variant>/
  std::vector<std::string> argv;
  std::string description;
};

// Everything about one variant's build.
struct VariantBuild {
  Variant variant;
  std::string ops_name;            // _<mod>_<backend>_<uid>; the module id and op namespace
  bool late_bound = false;         // the id lives in gen/ops_id.c, not on the binding TUs' argv
  std::string work_dir;            // build_dir/.kb/<variant>: objects, generated headers, manifest
  std::string bundle_dir;          // build_dir/<variant>
  std::vector<HipifyStep> hipify;  // ROCm only: run before the compiles that read them
  std::vector<CompileStep> compiles;              // empty for noarch variants
  std::optional<LinkStep> link;                   // none for noarch variants
  std::vector<BundleCopy> copies;                 // author's Python (and pyext data) files, the .so
  std::map<std::string, std::string> generated;   // relpath in bundle -> content (_ops.py)
  std::map<std::string, std::string> work_files;  // abs path -> content (registration.h ...)
  std::string metadata_json;    // metadata.json without digest; the bundler adds the digest
  int nvcc_threads = 1;         // --threads given to nvcc (the largest of its sections)
  std::string bundle_manifest;  // work_dir/bundle.json: `kb internal-bundle` input (in work_files)
  std::string bundle_stamp;     // work_dir/bundle.stamp: written after the bundle is in place
  // What `kb internal-bundle` gets (its text is work_files[bundle_manifest]): made from the
  // fields above by manifest_for, complete in every plan make_build_plan returns.
  BundleManifest manifest;
};

// The manifest of a planned variant: its copies, generated files, metadata and stamp, staged
// in <build_dir>/.kb/stage/<variant> (work_dir's sibling tree). Pure.
BundleManifest manifest_for(const VariantBuild& vb);

// Assumed peak memory of one nvcc process per --threads thread on a TU that includes
// Torch's headers; the measurements behind it: docs/bundle.md, "nvcc concurrency".
inline constexpr int64_t k_nvcc_bytes_per_thread = (5LL << 30) / 2;  // 2.5 GiB

struct BuildPlan {
  std::vector<VariantBuild> variants;
  int nvcc_pool_depth = 1;  // concurrent nvcc processes allowed by the memory budget
  // Links, bundles and hipify steps at most this many at a time (the `local` pool); 0: no
  // such pool (they share -j with the compiles).
  int local_pool_depth = 0;
  int jobs = 2;
  int cuda_sources = 0;      // .cu compiles in the whole plan (all variants)
  int nvcc_threads_max = 1;  // the largest --threads of any nvcc compile
  // nvcc steps of all compiles at once through kb internal-nvcc's shared pool
  // (kb/nvcc_slots.h): one per -j slot, fewer when memory allows fewer (one step needs at
  // most k_nvcc_bytes_per_thread).
  int nvcc_slots = 1;
};

// Plans the build of `matrix.variants` (all of them; the caller filters by --variant).
// `python_files` are paths relative to torch-ext/<mod>/ of every file there (recursively),
// from which the bundle copies *.py and the pyext data extensions.
// Fails when a variant needs a toolchain the matrix did not attach.
Result<BuildPlan> make_build_plan(const Config& config, const Toolchains& toolchains,
                                  const Matrix& matrix, const BuildOptions& options,
                                  const std::vector<std::string>& python_files);

}  // namespace kb
