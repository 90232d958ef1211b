#include "src/flags.h"

#include "kb/manylinux_compat.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "kb/arch.h"
#include "kb/path.h"

namespace kb {

namespace {

using Argv = std::vector<std::string>;

void append(Argv& out, const Argv& more) { out.insert(out.end(), more.begin(), more.end()); }

// Appends the flags of `more` that `out` does not hold yet (single-token flags only).
void append_missing(Argv& out, const Argv& more) {
  for (const auto& f : more)
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
}

std::string under(const std::string& dir, const std::string& rel) {
  if (!rel.empty() && rel.front() == '/') return rel;
  if (dir.empty()) return rel;
  return dir.back() == '/' ? dir + rel : dir + "/" + rel;
}

// What every TU of the variant gets, as the reference's CMake target gives it to all its
// sources: Torch's CMake package's flags, the stable-ABI target, the backend defines, the
// limited Python API (Python3_add_library(... USE_SABI ...)) and the extension name.
Argv tu_defines(const FlagContext& ctx) {
  Argv out = torch_package_flags(*ctx.torch, ctx.backend);
  if (ctx.stable_abi) out.push_back(torch_target_version_define(*ctx.stable_abi));
  append(out, backend_defines(ctx.backend));
  if (ctx.backend == Backend::rocm) append(out, rocm_platform_defines());
  // A TU that includes Python.h (the binding's REGISTER_EXTENSION) must only use the abi3
  // subset, 3.9 and later; the reference defines Py_LIMITED_API target-wide too.
  out.push_back("-DPy_LIMITED_API=0x03090000");
  out.push_back("-DTORCH_EXTENSION_NAME=" + ctx.extension_name);
  return out;
}

// `dirs` (relative to the kernel dir), then csrc, each once: CMake puts the reference's
// per-source include dirs before the one its extension target adds for every source.
Argv kernel_includes(const FlagContext& ctx, const std::vector<std::string>& dirs) {
  Argv out;
  for (const auto& d : dirs) append_missing(out, {"-I" + under(ctx.kernel_dir, d)});
  append_missing(out, {"-I" + under(ctx.kernel_dir, k_csrc_dir)});
  return out;
}

// ROCm's own prefix, unless it is /usr (Debian): -isystem /usr/include would reorder the
// compiler's system directories and break libstdc++'s #include_next, and /usr/lib is
// searched anyway.
bool rocm_prefix_is_system(const RocmToolkit& rocm) {
  std::string root = without_trailing_slash(rocm.root);
  return root == "/usr" || root.empty();
}

// The dependencies' headers (first), Torch's and Python's are system headers: -isystem keeps
// their warnings out of the author's output, as CMake's imported targets do.
// `with_gpu`: also the toolkit's headers (cuda_runtime.h for CUDA; hip/hip_runtime.h for
// ROCm, which ROCm Torch's c10/hip headers include) for a host TU of a GPU variant.
Argv system_includes(const FlagContext& ctx, bool with_gpu) {
  Argv out;
  for (const auto& d : ctx.dependency_includes) append(out, {"-isystem", d});
  for (const auto& d : ctx.torch->include_dirs) append(out, {"-isystem", d});
  if (!ctx.torch->python_include_dir.empty())
    append(out, {"-isystem", ctx.torch->python_include_dir});
  if (with_gpu && ctx.cuda && !ctx.cuda->include_dir.empty())
    append(out, {"-isystem", ctx.cuda->include_dir});
  if (with_gpu && ctx.rocm && !rocm_prefix_is_system(*ctx.rocm))
    append(out, {"-isystem", under(ctx.rocm->root, "include")});
  return out;
}

// Host-compiler flags of every kb host TU (the reference's Release build of a MODULE
// library, plus -fno-gnu-unique so static template data of two kernels loaded into one
// process cannot be unified across their .so files).
Argv host_prefix(const FlagContext& ctx) {
  return {ctx.cxx,          cxx_standard_flag(ctx.torch->version), "-O3", "-DNDEBUG", "-fPIC",
          "-fno-gnu-unique"};
}

Argv io_suffix(const CompileIo& io) {
  return {"-MD", "-MF", io.depfile, "-c", io.source, "-o", io.object};
}

}  // namespace

std::string cxx_standard_flag(const Version& torch) {
  return torch < Version({2, 12}) ? "-std=c++17" : "-std=c++20";
}

std::string torch_target_version_define(const Version& stable_abi) {
  uint64_t v = (static_cast<uint64_t>(stable_abi.major()) << 56) |
               (static_cast<uint64_t>(stable_abi.minor()) << 48);
  return fmt::format("-DTORCH_TARGET_VERSION={:#x}", v);
}

std::vector<std::string> torch_package_flags(const TorchInstall& torch, Backend backend) {
  Argv out = torch.cmake.cxx_flags;
  auto define_all = [&](const std::vector<std::string>& defs) {
    for (const auto& d : defs) append_missing(out, {"-D" + d});
  };
  define_all(torch.cmake.cpu_definitions);
  if (backend == Backend::cuda) define_all(torch.cmake.cuda_definitions);
  if (backend == Backend::rocm) define_all(torch.cmake.hip_definitions);
  return out;
}

std::vector<std::string> torch_nvcc_flags(const Version& /*torch*/) {
  // One row: Torch 2.11 and 2.12 give the same (tests/e2e/torch_cmake_oracle.sh checks every
  // Torch CI uses; a Torch whose package differs turns it red, and gets a row here).
  return {
      "-DONNX_NAMESPACE=onnx_c2", "-Xcudafe",
      "--diag_suppress=cc_clobber_ignored,--diag_suppress=field_without_dll_interface,"
      "--diag_suppress=base_class_has_different_dll_interface,"
      "--diag_suppress=dll_interface_conflict_none_assumed,"
      "--diag_suppress=dll_interface_conflict_dllexport_assumed,--diag_suppress=bad_friend_decl",
      "--expt-relaxed-constexpr", "--expt-extended-lambda"};
}

std::vector<std::string> backend_defines(Backend backend) {
  switch (backend) {
    case Backend::cuda: return {"-DUSE_CUDA=1", "-DCUDA_KERNEL"};
    case Backend::rocm: return {"-DUSE_ROCM=1", "-DROCM_KERNEL"};
    case Backend::cpu: return {"-DCPU_KERNEL"};
    case Backend::metal: return {"-DMETAL_KERNEL"};
    case Backend::xpu: return {"-DXPU_KERNEL", "-DUSE_XPU"};
    default: return {};
  }
}

std::vector<std::string> filter_cuda_flags(const std::vector<std::string>& cuda_flags,
                                           const Version& cuda) {
  if (cuda >= Version({12, 8})) return cuda_flags;
  std::vector<std::string> out;
  for (const auto& f : cuda_flags) {
    std::string_view v = f;
    while (v.starts_with("-")) v.remove_prefix(1);
    if (v.starts_with("static-global-template-stub=")) continue;
    out.push_back(f);
  }
  return out;
}

SourceKind classify_source(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return SourceKind::not_compiled;
  std::string_view ext = name.substr(dot + 1);
  if (ext == "cpp" || ext == "cc" || ext == "cxx" || ext == "C") return SourceKind::cxx;
  if (ext == "cu") return SourceKind::cuda;
  if (ext == "hip") return SourceKind::hip;
  return SourceKind::not_compiled;
}

std::vector<std::string> binding_compile_argv(const FlagContext& ctx, const TorchSection& torch,
                                              const CompileIo& io) {
  Argv out = host_prefix(ctx);
  append(out, tu_defines(ctx));
  out.push_back("-I" + ctx.generated_include_dir);
  append(out, kernel_includes(ctx, torch.include));
  append(out, system_includes(ctx, ctx.backend == Backend::cuda || ctx.backend == Backend::rocm));
  append(out, torch.cxx_flags);
  append(out, io_suffix(io));
  return out;
}

std::vector<std::string> ops_id_compile_argv(const FlagContext& ctx, const CompileIo& io) {
  // The host C++ driver compiles C with -x c (g++ and clang++ both do).
  Argv out{ctx.cxx, "-x", "c", "-std=c11", "-O2", "-fPIC", "-DPy_LIMITED_API=0x03090000"};
  if (!ctx.torch->python_include_dir.empty())
    append(out, {"-isystem", ctx.torch->python_include_dir});
  append(out, io_suffix(io));
  return out;
}

std::vector<std::string> manylinux_compat_compile_argv(const FlagContext& ctx,
                                                       const CompileIo& io) {
  Argv out{ctx.cxx};
  append(out, manylinux_compat_compile_args());
  append(out, io_suffix(io));
  return out;
}

std::vector<std::string> kernel_cxx_compile_argv(const FlagContext& ctx,
                                                 const KernelSection& section,
                                                 const CompileIo& io) {
  Argv out = host_prefix(ctx);
  append(out, tu_defines(ctx));
  append(out, kernel_includes(ctx, section.include));
  append(out, system_includes(
                  ctx, section.backend == Backend::cuda || section.backend == Backend::rocm));
  append(out, section.cxx_flags);
  append(out, io_suffix(io));
  return out;
}

std::vector<std::string> nvcc_compile_argv(const FlagContext& ctx, const KernelSection& section,
                                           const std::vector<std::string>& archs, int threads,
                                           const CompileIo& io) {
  Argv out{ctx.cuda->nvcc, cxx_standard_flag(ctx.torch->version), "-O3", "-DNDEBUG",
           "-Xcompiler=-fPIC,-fno-gnu-unique"};
  // Torch's package's CMAKE_CUDA_FLAGS, then the reference's GPU flags (Torch's
  // COMMON_NVCC_FLAGS as it rewrites them for CUDA >= 11.8).
  append(out, torch_nvcc_flags(ctx.torch->version));
  append_missing(out, {"--expt-relaxed-constexpr", "-DENABLE_FP8"});
  append(out, {"-ccbin", ctx.cxx});
  append(out, tu_defines(ctx));
  append(out, gencode_flags(archs));
  append(out, {"--threads", std::to_string(threads)});
  append(out, kernel_includes(ctx, section.include));
  append(out, system_includes(ctx, /*with_gpu=*/true));
  append(out, filter_cuda_flags(section.cuda_flags, ctx.cuda->version));
  append(out, io_suffix(io));
  return out;
}

std::vector<std::string> rocm_platform_defines() { return {"-D__HIP_PLATFORM_AMD__=1"}; }

std::vector<std::string> rocm_path_flags(const RocmToolkit& rocm) {
  Argv out{"--rocm-path=" + rocm.root, "--rocm-device-lib-path=" + rocm.device_lib_path};
  // "5.2.21153-0" -> "5.2.21153": clang wants the numeric version only.
  size_t end = rocm.hip_version.find_first_not_of("0123456789.");
  std::string version = rocm.hip_version.substr(0, end);
  while (!version.empty() && version.back() == '.') version.pop_back();
  if (!version.empty()) out.push_back("--hip-version=" + version);
  return out;
}

std::vector<std::string> offload_arch_flags(const std::vector<std::string>& archs) {
  Argv out;
  for (const auto& a : archs) out.push_back("--offload-arch=" + a);
  return out;
}

std::vector<std::string> hip_compile_argv(const FlagContext& ctx, const KernelSection& section,
                                          const std::vector<std::string>& archs,
                                          const HipIncludes& includes, const CompileIo& io) {
  Argv out{ctx.rocm->clang, "-x",       "hip",   cxx_standard_flag(ctx.torch->version),
           "-O3",           "-DNDEBUG", "-fPIC", "-fno-gpu-rdc"};
  append(out, rocm_path_flags(*ctx.rocm));
  append(out, offload_arch_flags(archs));
  append(out, tu_defines(ctx));
  std::vector<std::string> dirs = section.include;
  dirs.push_back(k_csrc_dir);
  for (const auto& d : dirs) {
    if (!includes.hipify_dir.empty() && !d.empty() && d.front() != '/')
      append_missing(out, {"-I" + under(includes.hipify_dir, d)});
    append_missing(out, {"-I" + under(ctx.kernel_dir, d)});
  }
  if (!includes.original_dir.empty()) append(out, {"-iquote", includes.original_dir});
  append(out, system_includes(ctx, /*with_gpu=*/false));  // --rocm-path brings HIP's headers
  if (includes.from_cuda) append(out, {"-include", "hip/hip_runtime.h"});
  append(out, section.hip_flags);
  append(out, io_suffix(io));
  return out;
}

std::vector<std::string> hipify_argv(const std::string& kb_path, const std::string& in,
                                     const std::string& out) {
  return {kb_path, "internal-hipify", in, out};
}

std::vector<std::string> link_argv(const FlagContext& ctx, const std::vector<std::string>& objects,
                                   const std::string& output) {
  // No -Wl,-rpath: the reference strips rpaths from distributed builds, and by the time
  // Python imports the module, `import torch` has loaded libc10/libtorch (and cudart).
  Argv out{ctx.cxx, "-shared"};
  if (!ctx.fuse_ld.empty()) out.push_back("-fuse-ld=" + ctx.fuse_ld);
  append(out, {"-o", output});
  append(out, objects);
  // Within manylinux_2_28 on a newer GCC: libgcc's helpers copied in (docs/abi.md).
  append(out, manylinux_compat_link_args());
  append(out, {"-L" + ctx.torch->lib_dir, "-lc10", "-ltorch", "-ltorch_cpu"});
  if (ctx.backend == Backend::cuda) {
    append(out, {"-lc10_cuda", "-ltorch_cuda"});
    if (ctx.cuda && !ctx.cuda->lib_dir.empty()) out.push_back("-L" + ctx.cuda->lib_dir);
    out.push_back("-lcudart");
  }
  if (ctx.backend == Backend::rocm) {
    // ROCm wheels ship libamdhip64 in torch/lib (found first, through the -L above: the copy
    // Python will load); a system ROCm has it in <root>/lib.
    append(out, {"-lc10_hip", "-ltorch_hip"});
    if (ctx.rocm && !rocm_prefix_is_system(*ctx.rocm))
      out.push_back("-L" + under(ctx.rocm->root, "lib"));
    out.push_back("-lamdhip64");
  }
  return out;
}

}  // namespace kb
