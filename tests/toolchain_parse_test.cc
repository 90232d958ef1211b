// The pure parsers of toolchains/, on outputs captured from real tools (tests/data/toolchains).

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "toolchains/cuda.h"
#include "toolchains/host.h"
#include "toolchains/rocm.h"
#include "toolchains/torch.h"
#include "toolchains/torch_cmake.h"

namespace kb::toolchains {
namespace {

std::string data(const std::string& name) {
  std::ifstream in(std::string(KB_TEST_DATA) + "/toolchains/" + name);
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(NvccParse, VersionFromCapturedOutput) {
  auto v = parse_nvcc_version(data("nvcc-13.0-version.txt"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->major_minor(), "13.0");
  EXPECT_EQ(v->str(), "13");
}

TEST(NvccParse, VersionOfOlderToolkit) {
  auto v = parse_nvcc_version("Cuda compilation tools, release 12.8, V12.8.93\n");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str(), "12.8");
}

TEST(NvccParse, VersionRejectsOtherText) {
  auto v = parse_nvcc_version("nvcc fatal : Unknown option '--version'\n");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.errors().list[0].message.find("Unknown option"), std::string::npos);
}

TEST(NvccParse, GpuCodesSortedByCapability) {
  auto codes = parse_nvcc_gpu_codes(data("nvcc-13.0-list-gpu-code.txt"));
  ASSERT_TRUE(codes.ok());
  std::vector<std::string> expected = {"sm_75", "sm_80",  "sm_86",  "sm_87",  "sm_88",  "sm_89",
                                       "sm_90", "sm_100", "sm_103", "sm_110", "sm_120", "sm_121"};
  EXPECT_EQ(*codes, expected);
}

TEST(NvccParse, GpuCodesRejectEmpty) { EXPECT_FALSE(parse_nvcc_gpu_codes("\n").ok()); }

TEST(TorchParse, VersionPy) {
  auto f = parse_torch_version_py(data("torch-2.11-version.py"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->version_string, "2.11.0+cu130");
  EXPECT_EQ(f->cuda, "13.0");
  EXPECT_FALSE(f->hip);
}

TEST(TorchParse, VersionPyOldStyleWithoutAnnotations) {
  auto f = parse_torch_version_py(
      "__version__ = \"1.13.0a0\"\ndebug = False\ncuda = None\nhip = None\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->version_string, "1.13.0a0");
  EXPECT_FALSE(f->cuda);
}

TEST(TorchParse, VersionPyWithoutVersionFails) {
  EXPECT_FALSE(parse_torch_version_py("cuda = '12.8'\n").ok());
}

TEST(TorchParse, ProbeOfCapturedTorch211) {
  auto a = parse_torch_probe(data("torch-probe-2.11.json"), "/x/python");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->install) << a->problem;
  const TorchInstall& t = *a->install;
  EXPECT_EQ(t.python, "/root/.cache/kb-deps/torch-2.11/bin/python");
  EXPECT_EQ(t.version_string, "2.11.0+cu130");
  EXPECT_EQ(t.version.str(), "2.11");
  ASSERT_TRUE(t.cuda);
  EXPECT_EQ(t.cuda->major_minor(), "13.0");
  EXPECT_FALSE(t.hip);
  EXPECT_TRUE(t.cxx11_abi);
  std::string root = "/root/.cache/kb-deps/torch-2.11/lib/python3.11/site-packages/torch";
  EXPECT_EQ(t.root, root);
  EXPECT_EQ(t.include_dirs, (std::vector<std::string>{root + "/include",
                                                      root + "/include/torch/csrc/api/include"}));
  EXPECT_EQ(t.lib_dir, root + "/lib");
  EXPECT_EQ(t.python_include_dir, "/root/.pyenv/versions/3.11.7/include/python3.11");
  EXPECT_EQ(t.python_version, "3.11");
  EXPECT_EQ(a->version_py, root + "/version.py");
  EXPECT_EQ(a->site_dirs.back(), "/root/.cache/kb-deps/torch-2.11/lib/python3.11/site-packages");
}

TEST(TorchParse, ProbeOfCapturedTorch212) {
  auto a = parse_torch_probe(data("torch-probe-2.12.json"), "/x/python");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->install);
  EXPECT_EQ(a->install->version.str(), "2.12");
  EXPECT_EQ(a->install->version_string, "2.12.0+cu130");
}

TEST(TorchParse, ProbeWithoutTorchIsAnAnswerWithAProblem) {
  auto a = parse_torch_probe(data("torch-probe-no-torch.json"), "/root/.pyenv/shims/python3");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->install);
  EXPECT_EQ(a->problem, "torch is not installed for this interpreter");
  EXPECT_EQ(a->executable, "/root/.pyenv/versions/3.11.7/bin/python3");
  EXPECT_EQ(a->python_version, "3.11");
  EXPECT_FALSE(a->site_dirs.empty());
}

TEST(TorchParse, ProbeOfRocmWheelWithOldAbi) {
  auto a = parse_torch_probe(data("torch-probe-rocm-sample.json"), "/x/python");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->install);
  EXPECT_FALSE(a->install->cuda);
  ASSERT_TRUE(a->install->hip);
  EXPECT_EQ(a->install->hip->major_minor(), "6.2");
  EXPECT_FALSE(a->install->cxx11_abi);
  EXPECT_EQ(a->install->version.str(), "2.5.1");
}

TEST(TorchParse, ProbeRejectsGarbage) {
  EXPECT_FALSE(parse_torch_probe("Traceback (most recent call last):\n", "/x/python").ok());
  EXPECT_FALSE(parse_torch_probe("{\"foo\": 1}", "/x/python").ok());
}

TEST(TorchParse, ProbeReportsUnreadableVersionFile) {
  auto a = parse_torch_probe(
      R"({"executable": "/p", "python_version": "3.11", "torch_root": "/t",
          "error": "cannot read torch/version.py: [Errno 2] No such file"})",
      "/p");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->install);
  EXPECT_NE(a->problem.find("version.py"), std::string::npos);
}

TEST(RocmParse, DebianHipcc) {
  auto v = parse_hipcc_version(data("hipcc-5.2-debian-version.txt"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->hip_version, "5.2.21153-0");
  EXPECT_EQ(v->clang_dir, "/usr/bin");
  EXPECT_EQ(v->clang_line, "Debian clang version 15.0.6");
  // /usr/bin/clang++ is Debian's default clang 14; HIP's is the versioned one.
  EXPECT_EQ(hip_clang_candidates(*v),
            (std::vector<std::string>{"/usr/bin/clang++-15", "/usr/bin/clang++"}));
}

TEST(RocmParse, OptRocmHipcc) {
  auto v = parse_hipcc_version(data("hipcc-6.2-opt-rocm-version.txt"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->hip_version, "6.2.41133-dd7f95766");
  EXPECT_EQ(v->clang_dir, "/opt/rocm-6.2.0/lib/llvm/bin");
  EXPECT_EQ(hip_clang_candidates(*v),
            (std::vector<std::string>{"/opt/rocm-6.2.0/lib/llvm/bin/clang++-18",
                                      "/opt/rocm-6.2.0/lib/llvm/bin/clang++"}));
  EXPECT_TRUE(hip_clang_candidates(HipccVersion{}).empty());
}

TEST(RocmParse, HipccWithoutVersionFails) {
  EXPECT_FALSE(parse_hipcc_version("clang version 15.0.6\n").ok());
}

TEST(RocmParse, HipVersionHeader) {
  auto v = parse_hip_version_header(data("hip_version-5.2.h"));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, "5.2.21153");
  EXPECT_FALSE(parse_hip_version_header("#define HIP_VERSION_MAJOR 5\n").ok());
}

TEST(RocmParse, RocmInfoVersion) {
  auto v = parse_rocm_info_version("6.2.0-66\n");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->major_minor(), "6.2");
  EXPECT_FALSE(parse_rocm_info_version("unknown").ok());
}

TEST(RocmParse, GfxTargetsFromDebianBitcode) {
  std::vector<std::string> names;
  std::istringstream in(data("bitcode-debian-5.2.txt"));
  for (std::string line; std::getline(in, line);) names.push_back(line);
  auto targets = gfx_targets_from_bitcode(names);
  ASSERT_EQ(targets.size(), 34u);
  EXPECT_EQ(targets.front(), "gfx600");
  EXPECT_EQ(targets.back(), "gfx1036");
  auto has = [&](const std::string& t) {
    return std::find(targets.begin(), targets.end(), t) != targets.end();
  };
  EXPECT_TRUE(has("gfx90a"));
  EXPECT_TRUE(has("gfx940"));
  EXPECT_TRUE(has("gfx1030"));
  EXPECT_FALSE(has("gfx942"));  // LLVM 15 cannot build MI300
  EXPECT_FALSE(has("gfx1100"));
  // gfx90a (9.0 stepping a) sorts between gfx909 and gfx90c, before gfx940.
  auto pos = [&](const std::string& t) {
    return std::find(targets.begin(), targets.end(), t) - targets.begin();
  };
  EXPECT_LT(pos("gfx909"), pos("gfx90a"));
  EXPECT_LT(pos("gfx90a"), pos("gfx90c"));
  EXPECT_LT(pos("gfx90c"), pos("gfx940"));
  EXPECT_LT(pos("gfx940"), pos("gfx1010"));
}

TEST(RocmParse, GfxTargetsIgnoreOtherFilesAndKeepGenerics) {
  auto targets = gfx_targets_from_bitcode(
      {"ocml.bc", "oclc_isa_version_942.bc", "oclc_isa_version_9-4-generic.bc",
       "oclc_isa_version_1100.bc", "oclc_isa_version_.bc", "oclc_isa_version_90a.bc.sig"});
  EXPECT_EQ(targets, (std::vector<std::string>{"gfx942", "gfx1100", "gfx9-4-generic"}));
}

TEST(HostParse, CompilerVersions) {
  EXPECT_EQ(*parse_compiler_version(data("gxx-12-dumpfullversion.txt")), "12.2.0");
  EXPECT_EQ(*parse_compiler_version(data("clang-14-dumpversion.txt")), "14.0.6");
  EXPECT_FALSE(parse_compiler_version("clang: error: no input files\n").ok());
}

TEST(HostParse, SharedLibstdcxx) {
  // Debian's g++ 12 (`g++ -print-file-name=libstdc++.so` on this machine).
  EXPECT_TRUE(has_shared_libstdcxx("/usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.so\n"));
  // The GPU machine's /opt/gcc/bin/g++: the name echoed back, i.e. no shared runtime.
  EXPECT_FALSE(has_shared_libstdcxx("libstdc++.so\n"));
  EXPECT_FALSE(has_shared_libstdcxx(""));
}

TEST(HostParse, NinjaVersions) {
  EXPECT_EQ(parse_ninja_version(data("ninja-1.11-version.txt"))->str(), "1.11.1");
  EXPECT_EQ(parse_ninja_version("1.13.0.git\n")->str(), "1.13");
  EXPECT_FALSE(parse_ninja_version("ninja: fatal\n").ok());
}

TEST(HostParse, LinkerVersions) {
  EXPECT_EQ(*parse_linker_version("lld", data("gxx-12-fuse-ld-lld-version.txt")),
            "Debian LLD 14.0.6 (compatible with GNU linkers)");
  EXPECT_EQ(*parse_linker_version("gold", data("gxx-12-fuse-ld-gold-version.txt")),
            "GNU gold (GNU Binutils for Debian 2.40) 1.16");
  EXPECT_EQ(*parse_linker_version("mold", "mold 1.10.1 (compatible with GNU ld)\n"),
            "mold 1.10.1 (compatible with GNU ld)");
  // GNU ld answering in place of the requested linker, or another linker's answer, is no proof.
  auto bfd = parse_linker_version("gold", data("gxx-12-fuse-ld-bfd-version.txt"));
  ASSERT_FALSE(bfd.ok());
  EXPECT_EQ(
      bfd.errors().list[0].message,
      "-fuse-ld=gold did not run gold: the linker said 'GNU ld (GNU Binutils for Debian) 2.40'");
  EXPECT_FALSE(parse_linker_version("mold", data("gxx-12-fuse-ld-lld-version.txt")).ok());
}

TEST(LeadingVersion, StopsAtFirstNonVersionCharacter) {
  EXPECT_EQ(leading_version("5.2.21153-0")->str(), "5.2.21153");
  EXPECT_EQ(leading_version("2.11.0+cu130")->str(), "2.11");
  EXPECT_EQ(leading_version("12.")->str(), "12");
  EXPECT_FALSE(leading_version("v12").ok());
}

// Torch's CMake package in the shape CMake's export step writes it (our own text, not a copy):
// one set_target_properties per imported target; other targets' properties and generator
// expressions around the ones kb reads.
const char* k_targets = R"CMAKE(
# Create imported target torch_cpu
add_library(torch_cpu SHARED IMPORTED)

set_target_properties(torch_cpu PROPERTIES
  INTERFACE_COMPILE_DEFINITIONS "USE_A;-DUSE_B;USE_C=1"
  INTERFACE_INCLUDE_DIRECTORIES "${_IMPORT_PREFIX}/include"
  INTERFACE_LINK_LIBRARIES "c10"
)

# torch_cpu_library forwards torch_cpu's properties
set_target_properties(torch_cpu_library PROPERTIES
  INTERFACE_COMPILE_DEFINITIONS "\$<TARGET_PROPERTY:torch_cpu,INTERFACE_COMPILE_DEFINITIONS>"
)

set_target_properties(torch_cuda PROPERTIES
  INTERFACE_COMPILE_DEFINITIONS "USE_D;\$<\$<CONFIG:Debug>:DEBUG_ONLY>;USE_E"
  INTERFACE_LINK_LIBRARIES "torch::cudart;(weird)"
)

set_target_properties(torch PROPERTIES
  INTERFACE_LINK_LIBRARIES "torch_cpu_library;torch_cuda_library"
)
)CMAKE";

TEST(TorchCmakeParse, DefinitionsPerImportedTarget) {
  TorchCmakeUsage u = parse_torch_cmake("", k_targets);
  EXPECT_TRUE(u.found);
  EXPECT_EQ(u.cpu_definitions, (std::vector<std::string>{"USE_A", "USE_B", "USE_C=1"}));
  // Generator expressions are not plain data: left out.
  EXPECT_EQ(u.cuda_definitions, (std::vector<std::string>{"USE_D", "USE_E"}));
  EXPECT_TRUE(u.hip_definitions.empty());
  EXPECT_TRUE(u.cxx_flags.empty());
}

TEST(TorchCmakeParse, TorchCxxFlagsFromTorchConfig) {
  TorchCmakeUsage u = parse_torch_cmake(
      "# comment\nif(CMAKE_SYSTEM_NAME STREQUAL \"Linux\")\n"
      "  set(TORCH_CXX_FLAGS \"-D_GLIBCXX_USE_CXX11_ABI=1 -DX\")\nendif()\n",
      "");
  EXPECT_FALSE(u.found);
  EXPECT_EQ(u.cxx_flags, (std::vector<std::string>{"-D_GLIBCXX_USE_CXX11_ABI=1", "-DX"}));
  // Only used, not set: nothing.
  EXPECT_TRUE(parse_torch_cmake("if(TORCH_CXX_FLAGS)\n  set_property(TARGET torch PROPERTY "
                                "INTERFACE_COMPILE_OPTIONS \"${TORCH_CXX_FLAGS}\")\nendif()\n",
                                "")
                  .cxx_flags.empty());
}

TEST(TorchCmakeParse, ProbeAnswerCarriesTheUsage) {
  std::string json = R"({"executable": "/p", "python_version": "3.11", "python_include": "/inc",
      "torch_root": "/t", "version_py": "__version__ = '2.12.0+cu130'\ncuda = '13.0'\n",
      "torch_config_cmake": "set(TORCH_CXX_FLAGS \"-DOLD\")\n",
      "caffe2_targets_cmake": "set_target_properties(torch_cpu PROPERTIES\n  INTERFACE_COMPILE_DEFINITIONS \"USE_RPC\"\n)\n"})";
  auto a = parse_torch_probe(json, "/p");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->install);
  EXPECT_TRUE(a->install->cmake.found);
  EXPECT_EQ(a->install->cmake.cxx_flags, (std::vector<std::string>{"-DOLD"}));
  EXPECT_EQ(a->install->cmake.cpu_definitions, (std::vector<std::string>{"USE_RPC"}));
  // The captured probes of real wheels predate the CMake fields: nothing is found.
  auto old = parse_torch_probe(data("torch-probe-2.12.json"), "/x/python");
  ASSERT_TRUE(old.ok() && old->install);
  EXPECT_FALSE(old->install->cmake.found);
}

}  // namespace
}  // namespace kb::toolchains
