#include "src/flags.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Not;

// Whether `seq` occurs in `argv` as consecutive elements.
bool has_run(const std::vector<std::string>& argv, const std::vector<std::string>& seq) {
  return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end();
}

class Flags : public ::testing::Test {
 protected:
  Config config = sample_config();
  Toolchains tc = sample_toolchains();

  FlagContext context(Backend backend, size_t torch, const CudaToolkit* cuda = nullptr) {
    FlagContext ctx;
    ctx.backend = backend;
    ctx.cxx = "/usr/bin/g++";
    ctx.torch = &tc.torches[torch];
    ctx.cuda = cuda;
    ctx.kernel_dir = "/src/relu";
    ctx.generated_include_dir = "/src/relu/build/.kb/v/gen";
    ctx.extension_name = "_relu_cuda_abc1234";
    return ctx;
  }
  CompileIo io(const std::string& name) {
    return {"/src/relu/" + name, "/b/obj/" + name + ".o", "/b/obj/" + name + ".o.d"};
  }
};

TEST_F(Flags, StandardFollowsTorchVersion) {
  EXPECT_EQ(cxx_standard_flag(Version({2, 11})), "-std=c++17");
  EXPECT_EQ(cxx_standard_flag(Version({2, 11, 3})), "-std=c++17");
  EXPECT_EQ(cxx_standard_flag(Version({2, 12})), "-std=c++20");
  EXPECT_EQ(cxx_standard_flag(Version({2, 13})), "-std=c++20");
  EXPECT_EQ(cxx_standard_flag(Version({3})), "-std=c++20");
}

TEST_F(Flags, TorchTargetVersionIsTheReferenceHex) {
  EXPECT_EQ(torch_target_version_define(Version({2, 11})),
            "-DTORCH_TARGET_VERSION=0x20b000000000000");
  EXPECT_EQ(torch_target_version_define(Version({2, 9})),
            "-DTORCH_TARGET_VERSION=0x209000000000000");
  EXPECT_EQ(torch_target_version_define(Version({2, 12})),
            "-DTORCH_TARGET_VERSION=0x20c000000000000");
}

TEST_F(Flags, BackendDefines) {
  EXPECT_THAT(backend_defines(Backend::cuda), ElementsAre("-DUSE_CUDA=1", "-DCUDA_KERNEL"));
  EXPECT_THAT(backend_defines(Backend::cpu), ElementsAre("-DCPU_KERNEL"));
  EXPECT_THAT(backend_defines(Backend::rocm), ElementsAre("-DUSE_ROCM=1", "-DROCM_KERNEL"));
}

TEST_F(Flags, ClassifiesSources) {
  EXPECT_EQ(classify_source("a/b.cpp"), SourceKind::cxx);
  EXPECT_EQ(classify_source("b.cc"), SourceKind::cxx);
  EXPECT_EQ(classify_source("b.cxx"), SourceKind::cxx);
  EXPECT_EQ(classify_source("k.cu"), SourceKind::cuda);
  EXPECT_EQ(classify_source("k.cuh"), SourceKind::not_compiled);
  EXPECT_EQ(classify_source("b.h"), SourceKind::not_compiled);
  EXPECT_EQ(classify_source("b.hpp"), SourceKind::not_compiled);
  EXPECT_EQ(classify_source("dir.cu/README"), SourceKind::not_compiled);
}

TEST_F(Flags, StaticGlobalTemplateStubOnlyFromCuda128) {
  std::vector<std::string> flags{"-lineinfo", "-static-global-template-stub=false",
                                 "--static-global-template-stub=true"};
  EXPECT_THAT(filter_cuda_flags(flags, Version({12, 6})), ElementsAre("-lineinfo"));
  EXPECT_EQ(filter_cuda_flags(flags, Version({12, 8})), flags);
  EXPECT_EQ(filter_cuda_flags(flags, Version({13})), flags);
}

TEST_F(Flags, CpuBindingTu) {
  FlagContext ctx = context(Backend::cpu, 0);
  ctx.extension_name = "_relu_cpu_abc1234";
  auto argv = binding_compile_argv(ctx, config.torch, io("torch-ext/torch_binding.cpp"));
  std::vector<std::string> expected{
      "/usr/bin/g++", "-std=c++17", "-O3", "-DNDEBUG", "-fPIC", "-fno-gnu-unique",
      "-DUSE_DISTRIBUTED", "-DUSE_C10D_GLOO", "-DUSE_RPC", "-DUSE_TENSORPIPE", "-DCPU_KERNEL",
      "-DPy_LIMITED_API=0x03090000", "-DTORCH_EXTENSION_NAME=_relu_cpu_abc1234",
      // [torch] include = csrc: listed once, although csrc is on every TU's path anyway.
      "-I/src/relu/build/.kb/v/gen", "-I/src/relu/csrc", "-isystem", "/venv211/torch/include",
      "-isystem", "/venv211/torch/include/torch/csrc/api/include", "-isystem",
      "/usr/include/python3.11", "-MD", "-MF", "/b/obj/torch-ext/torch_binding.cpp.o.d", "-c",
      "/src/relu/torch-ext/torch_binding.cpp", "-o", "/b/obj/torch-ext/torch_binding.cpp.o"};
  EXPECT_EQ(argv, expected);
}

TEST_F(Flags, CudaBindingTuGetsCudaIncludeAndTorch212Std) {
  FlagContext ctx = context(Backend::cuda, 1, &tc.cuda[1]);
  config.torch.cxx_flags = {"-Wall"};
  auto argv = binding_compile_argv(ctx, config.torch, io("torch-ext/torch_binding.cpp"));
  EXPECT_THAT(argv, Contains("-std=c++20"));
  // torches[1]'s CMake package states TORCH_CXX_FLAGS (a cxx98 build).
  EXPECT_THAT(argv, Contains("-D_GLIBCXX_USE_CXX11_ABI=0"));
  EXPECT_TRUE(has_run(argv, {"-DUSE_CUDA=1", "-DCUDA_KERNEL"}));
  EXPECT_TRUE(has_run(argv, {"-isystem", "/usr/local/cuda-12.6/include"}));
  EXPECT_THAT(argv, Contains("-DTORCH_EXTENSION_NAME=_relu_cuda_abc1234"));
  // The author's flags come after kb's, so they can override them.
  auto wall = std::find(argv.begin(), argv.end(), "-Wall");
  auto o3 = std::find(argv.begin(), argv.end(), "-O3");
  ASSERT_NE(wall, argv.end());
  EXPECT_LT(o3, wall);
}

TEST_F(Flags, TorchPackageFlagsFollowTheBackend) {
  const TorchInstall& t = tc.torches[0];
  EXPECT_THAT(torch_package_flags(t, Backend::cpu),
              ElementsAre("-DUSE_DISTRIBUTED", "-DUSE_C10D_GLOO", "-DUSE_RPC", "-DUSE_TENSORPIPE"));
  // torch_cuda's definitions only where the CUDA libraries are linked.
  EXPECT_THAT(torch_package_flags(t, Backend::cuda),
              ElementsAre("-DUSE_DISTRIBUTED", "-DUSE_C10D_GLOO", "-DUSE_RPC", "-DUSE_TENSORPIPE",
                          "-DUSE_NVSHMEM", "-DUSE_C10D_NCCL"));
  TorchInstall rocm = t;
  rocm.cmake.hip_definitions = {"USE_C10D_NCCL", "USE_ROCM_KERNEL"};
  EXPECT_THAT(torch_package_flags(rocm, Backend::rocm),
              ElementsAre("-DUSE_DISTRIBUTED", "-DUSE_C10D_GLOO", "-DUSE_RPC", "-DUSE_TENSORPIPE",
                          "-DUSE_C10D_NCCL", "-DUSE_ROCM_KERNEL"));
  // TORCH_CXX_FLAGS come first; a define given twice is passed once.
  TorchInstall old = t;
  old.cmake.cxx_flags = {"-D_GLIBCXX_USE_CXX11_ABI=1"};
  old.cmake.cuda_definitions = {"USE_RPC", "USE_NVSHMEM"};
  EXPECT_THAT(torch_package_flags(old, Backend::cuda),
              ElementsAre("-D_GLIBCXX_USE_CXX11_ABI=1", "-DUSE_DISTRIBUTED", "-DUSE_C10D_GLOO",
                          "-DUSE_RPC", "-DUSE_TENSORPIPE", "-DUSE_NVSHMEM"));
  // No CMake package found: nothing.
  EXPECT_THAT(torch_package_flags(TorchInstall{}, Backend::cuda), ElementsAre());
}

TEST_F(Flags, TorchNvccFlagsAsTorchsPackageGivesThem) {
  for (const Version& v : {Version({2, 11}), Version({2, 12})}) {
    auto flags = torch_nvcc_flags(v);
    EXPECT_THAT(flags, Contains("--expt-extended-lambda"));
    EXPECT_THAT(flags, Contains("--expt-relaxed-constexpr"));
    EXPECT_THAT(flags, Contains("-DONNX_NAMESPACE=onnx_c2"));
    EXPECT_TRUE(has_run(flags, {"-Xcudafe",
                                "--diag_suppress=cc_clobber_ignored,"
                                "--diag_suppress=field_without_dll_interface,"
                                "--diag_suppress=base_class_has_different_dll_interface,"
                                "--diag_suppress=dll_interface_conflict_none_assumed,"
                                "--diag_suppress=dll_interface_conflict_dllexport_assumed,"
                                "--diag_suppress=bad_friend_decl"}));
    for (const auto& f : flags) EXPECT_EQ(f.find("-gencode"), std::string::npos) << f;
  }
}

TEST_F(Flags, EveryTuGetsTheExtensionNameCsrcAndTheLimitedApi) {
  FlagContext ctx = context(Backend::cuda, 0, &tc.cuda[0]);
  ctx.extension_name = "_relu_cuda";  // late-bound: no id
  const KernelSection& cuda = config.kernels[0];
  auto binding = binding_compile_argv(ctx, config.torch, io("torch-ext/torch_binding.cpp"));
  auto host = kernel_cxx_compile_argv(ctx, cuda, io("relu_cuda/launch.cpp"));
  auto device = nvcc_compile_argv(ctx, cuda, {"8.0", "9.0+PTX"}, 2, io("relu_cuda/relu.cu"));
  for (const auto* argv : {&binding, &host, &device}) {
    EXPECT_THAT(*argv, Contains("-DTORCH_EXTENSION_NAME=_relu_cuda"));
    EXPECT_THAT(*argv, Contains("-DPy_LIMITED_API=0x03090000"));
    EXPECT_THAT(*argv, Contains("-I/src/relu/csrc"));
    EXPECT_THAT(*argv, Contains("-DUSE_C10D_NCCL"));
    for (const auto& a : *argv) EXPECT_EQ(a.find("abc1234"), std::string::npos) << a;
  }
  // Only the binding sees the generated registration.h.
  EXPECT_THAT(binding, Contains("-I/src/relu/build/.kb/v/gen"));
  EXPECT_THAT(host, Not(Contains("-I/src/relu/build/.kb/v/gen")));
  EXPECT_THAT(device, Not(Contains("-I/src/relu/build/.kb/v/gen")));
  // The section's own include dirs come before csrc, as CMake orders per-source and target
  // include dirs.
  EXPECT_TRUE(has_run(host, {"-I/src/relu/relu_cuda", "-I/src/relu/csrc"}));
  EXPECT_TRUE(has_run(device, {"-I/src/relu/relu_cuda", "-I/src/relu/csrc"}));
}

TEST_F(Flags, HostKernelTuOfCudaSection) {
  FlagContext ctx = context(Backend::cuda, 0, &tc.cuda[0]);
  auto argv = kernel_cxx_compile_argv(ctx, config.kernels[0], io("relu_cuda/launch.cpp"));
  std::vector<std::string> expected{"/usr/bin/g++",
                                    "-std=c++17",
                                    "-O3",
                                    "-DNDEBUG",
                                    "-fPIC",
                                    "-fno-gnu-unique",
                                    "-DUSE_DISTRIBUTED",
                                    "-DUSE_C10D_GLOO",
                                    "-DUSE_RPC",
                                    "-DUSE_TENSORPIPE",
                                    "-DUSE_NVSHMEM",
                                    "-DUSE_C10D_NCCL",
                                    "-DUSE_CUDA=1",
                                    "-DCUDA_KERNEL",
                                    "-DPy_LIMITED_API=0x03090000",
                                    "-DTORCH_EXTENSION_NAME=_relu_cuda_abc1234",
                                    "-I/src/relu/relu_cuda",
                                    "-I/src/relu/csrc",
                                    "-isystem",
                                    "/venv211/torch/include",
                                    "-isystem",
                                    "/venv211/torch/include/torch/csrc/api/include",
                                    "-isystem",
                                    "/usr/include/python3.11",
                                    "-isystem",
                                    "/usr/local/cuda-13.0/include",
                                    "-Wno-unused",
                                    "-MD",
                                    "-MF",
                                    "/b/obj/relu_cuda/launch.cpp.o.d",
                                    "-c",
                                    "/src/relu/relu_cuda/launch.cpp",
                                    "-o",
                                    "/b/obj/relu_cuda/launch.cpp.o"};
  EXPECT_EQ(argv, expected);
}

TEST_F(Flags, CpuKernelTuHasNoCudaInclude) {
  FlagContext ctx = context(Backend::cpu, 0);
  ctx.extension_name = "_relu_cpu_abc1234";
  auto argv = kernel_cxx_compile_argv(ctx, config.kernels[1], io("relu_cpu/relu.cpp"));
  EXPECT_THAT(argv, Contains("-DCPU_KERNEL"));
  EXPECT_THAT(argv, Contains("-fopenmp"));
  EXPECT_THAT(argv, Not(Contains("-DUSE_CUDA=1")));
  for (const auto& a : argv) EXPECT_EQ(a.find("cuda"), std::string::npos) << a;
}

TEST_F(Flags, NvccTu) {
  FlagContext ctx = context(Backend::cuda, 0, &tc.cuda[0]);
  auto argv =
      nvcc_compile_argv(ctx, config.kernels[0], {"8.0", "9.0+PTX"}, 2, io("relu_cuda/relu.cu"));
  std::vector<std::string> expected{
      "/usr/local/cuda-13.0/bin/nvcc", "-std=c++17", "-O3", "-DNDEBUG",
      "-Xcompiler=-fPIC,-fno-gnu-unique",
      // Torch's CMake package, then the reference's GPU flags (--expt-relaxed-constexpr once).
      "-DONNX_NAMESPACE=onnx_c2", "-Xcudafe",
      "--diag_suppress=cc_clobber_ignored,--diag_suppress=field_without_dll_interface,"
      "--diag_suppress=base_class_has_different_dll_interface,"
      "--diag_suppress=dll_interface_conflict_none_assumed,"
      "--diag_suppress=dll_interface_conflict_dllexport_assumed,--diag_suppress=bad_friend_decl",
      "--expt-relaxed-constexpr", "--expt-extended-lambda", "-DENABLE_FP8", "-ccbin",
      "/usr/bin/g++", "-DUSE_DISTRIBUTED", "-DUSE_C10D_GLOO", "-DUSE_RPC", "-DUSE_TENSORPIPE",
      "-DUSE_NVSHMEM", "-DUSE_C10D_NCCL", "-DUSE_CUDA=1", "-DCUDA_KERNEL",
      "-DPy_LIMITED_API=0x03090000", "-DTORCH_EXTENSION_NAME=_relu_cuda_abc1234", "-gencode",
      "arch=compute_80,code=sm_80", "-gencode", "arch=compute_90,code=sm_90", "-gencode",
      "arch=compute_90,code=compute_90", "--threads", "2", "-I/src/relu/relu_cuda",
      "-I/src/relu/csrc", "-isystem", "/venv211/torch/include", "-isystem",
      "/venv211/torch/include/torch/csrc/api/include", "-isystem", "/usr/include/python3.11",
      "-isystem", "/usr/local/cuda-13.0/include", "-lineinfo", "-static-global-template-stub=false",
      "-MD", "-MF", "/b/obj/relu_cuda/relu.cu.o.d", "-c", "/src/relu/relu_cuda/relu.cu", "-o",
      "/b/obj/relu_cuda/relu.cu.o"};
  EXPECT_EQ(argv, expected);
}

TEST_F(Flags, NvccOnCuda126DropsTheStubFlag) {
  FlagContext ctx = context(Backend::cuda, 1, &tc.cuda[1]);
  auto argv = nvcc_compile_argv(ctx, config.kernels[0], {"8.0"}, 1, io("relu_cuda/relu.cu"));
  EXPECT_THAT(argv, Contains("-lineinfo"));
  EXPECT_THAT(argv, Not(Contains("-static-global-template-stub=false")));
  EXPECT_THAT(argv, Contains("-std=c++20"));
  EXPECT_EQ(argv[0], "/usr/local/cuda-12.6/bin/nvcc");
}

TEST_F(Flags, StableAbiDefinesTargetVersionOnEveryTu) {
  FlagContext ctx = context(Backend::cuda, 1, &tc.cuda[0]);
  ctx.stable_abi = Version({2, 11});
  std::string define = "-DTORCH_TARGET_VERSION=0x20b000000000000";
  EXPECT_THAT(binding_compile_argv(ctx, config.torch, io("b.cpp")), Contains(define));
  EXPECT_THAT(kernel_cxx_compile_argv(ctx, config.kernels[0], io("k.cpp")), Contains(define));
  EXPECT_THAT(nvcc_compile_argv(ctx, config.kernels[0], {"9.0"}, 1, io("k.cu")), Contains(define));
  // Not stable: no target version.
  ctx.stable_abi.reset();
  for (const auto& a : binding_compile_argv(ctx, config.torch, io("b.cpp")))
    EXPECT_EQ(a.find("TORCH_TARGET_VERSION"), std::string::npos);
}

TEST_F(Flags, LinkCuda) {
  FlagContext ctx = context(Backend::cuda, 0, &tc.cuda[0]);
  auto argv = link_argv(ctx, {"/b/obj/a.o", "/b/obj/b.o"}, "/b/_relu_cuda_abc1234.abi3.so");
  std::vector<std::string> expected{"/usr/bin/g++",
                                    "-shared",
                                    "-o",
                                    "/b/_relu_cuda_abc1234.abi3.so",
                                    "/b/obj/a.o",
                                    "/b/obj/b.o",
                                    "-lgcc",
                                    "-Wl,--push-state,--no-as-needed",
                                    "-l:libdl.so.2",
                                    "-l:libpthread.so.0",
                                    "-Wl,--pop-state",
                                    "-L/venv211/torch/lib",
                                    "-lc10",
                                    "-ltorch",
                                    "-ltorch_cpu",
                                    "-lc10_cuda",
                                    "-ltorch_cuda",
                                    "-L/usr/local/cuda-13.0/lib64",
                                    "-lcudart"};
  EXPECT_EQ(argv, expected);
  for (const auto& a : argv) EXPECT_EQ(a.find("rpath"), std::string::npos);
}

TEST_F(Flags, LinkWithAChosenLinker) {
  FlagContext ctx = context(Backend::cpu, 0);
  ctx.fuse_ld = "lld";
  EXPECT_THAT(link_argv(ctx, {"/b/obj/a.o"}, "/b/x.abi3.so"),
              ElementsAreArray({"/usr/bin/g++", "-shared", "-fuse-ld=lld", "-o", "/b/x.abi3.so",
                                "/b/obj/a.o", "-lgcc", "-Wl,--push-state,--no-as-needed",
                                "-l:libdl.so.2", "-l:libpthread.so.0", "-Wl,--pop-state",
                                "-L/venv211/torch/lib", "-lc10", "-ltorch", "-ltorch_cpu"}));
}

TEST_F(Flags, LinkCpu) {
  FlagContext ctx = context(Backend::cpu, 0);
  auto argv = link_argv(ctx, {"/b/obj/a.o"}, "/b/x.abi3.so");
  EXPECT_THAT(argv, ElementsAreArray({"/usr/bin/g++", "-shared", "-o", "/b/x.abi3.so", "/b/obj/a.o",
                                      "-lgcc", "-Wl,--push-state,--no-as-needed", "-l:libdl.so.2",
                                      "-l:libpthread.so.0", "-Wl,--pop-state",
                                      "-L/venv211/torch/lib", "-lc10", "-ltorch", "-ltorch_cpu"}));
}

}  // namespace
}  // namespace kb
