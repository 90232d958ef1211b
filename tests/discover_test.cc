// discover_toolchains end to end on a fake machine (a FakeDisk tree of fake tools, answered
// by a ProbeAnswers), the cache's "no process on a warm run" promise, and one integration
// test against this machine's real nvcc and Torch venv.

#include "kb/discover.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/fakes.h"
#include "toolchains/cuda.h"

namespace kb {
namespace {

namespace fs = std::filesystem;

std::string data(const std::string& name) {
  std::ifstream in(std::string(KB_TEST_DATA) + "/toolchains/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// CPU time of this thread in microseconds: unlike wall time, it is not inflated when other
// work shares the machine.
double thread_cpu_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// Answers capture() by (argv[0], argv[1]) with canned output and counts every call.
class ProbeAnswers : public Process {
 public:
  void on(const std::string& program, const std::string& arg, std::string out, int exit_code = 0) {
    m_answers[{program, arg}] = Captured{exit_code, std::move(out), ""};
  }
  using Process::capture;
  Result<Captured> capture(const std::vector<std::string>& argv, const Environment&,
                           std::chrono::milliseconds timeout) override {
    ++calls;
    timeouts.push_back(timeout);
    log.push_back(argv[0] + (argv.size() > 1 ? " " + argv[1] : ""));
    if (m_hanging.count(argv[0])) return Captured{128 + 9, "", "", /*timed_out=*/true};
    auto it = m_answers.find({argv[0], argv.size() > 1 ? argv[1] : ""});
    if (it == m_answers.end())
      return Error{"cannot run '" + argv[0] + "': not found in PATH", {}, ""};
    return it->second;
  }
  Result<AttachedExit> run_attached(const std::vector<std::string>&, const Environment&,
                                    const std::string&) override {
    ++calls;
    return AttachedExit{};
  }
  // `program` never finishes: every capture of it comes back timed out, as RealProcess
  // returns a process it killed at the time limit.
  void hang(const std::string& program) { m_hanging.insert(program); }
  int calls = 0;
  std::vector<std::chrono::milliseconds> timeouts;
  std::vector<std::string> log;

 private:
  std::map<std::pair<std::string, std::string>, Captured> m_answers;
  std::set<std::string> m_hanging;
};

// A machine on a FakeDisk, below a root standing in for "/" (DiscoveryRequest::system_root).
class FakeMachine : public ::testing::Test {
 protected:
  void SetUp() override {
    request.system_root = root;
    env.set("PATH", root + "/bin");
    disk.cwd = root + "/home";
  }

  std::string at(const std::string& rel) const { return root + "/" + rel; }
  // Creates a file (and its parents); executable when `exec`.
  void file(const std::string& rel, const std::string& content = "", bool exec = false) {
    disk.add_file(at(rel), content, exec);
  }
  void tool(const std::string& rel) { file(rel, "#!/bin/sh\nexit 1\n", true); }
  void symlink(const std::string& target, const std::string& rel) {
    disk.add_symlink(at(rel), target);
  }

  // A venv with torch 2.11 (+cu130) and, optionally, the CUDA 13 nvcc wheel; returns what
  // its interpreter answers to the probe.
  std::string make_torch_venv(const std::string& venv, bool with_nvcc_wheel) {
    std::string site = venv + "/lib/python3.11/site-packages";
    tool(venv + "/bin/python");
    file(site + "/torch/version.py", data("torch-2.11-version.py"));
    nlohmann::json answer = {{"executable", at(venv + "/bin/python")},
                             {"python_version", "3.11"},
                             {"python_include", "/py/include/python3.11"},
                             {"python_h", true},
                             {"sys_path", {at(site)}},
                             {"torch_root", at(site + "/torch")},
                             {"version_py", data("torch-2.11-version.py")},
                             {"cxx11_abi", "1"},
                             {"cxx11_abi_source", "lib/libc10.so symbols"}};
    process.on(at(venv + "/bin/python"), "-c", answer.dump());
    if (with_nvcc_wheel) {
      std::string cu13 = site + "/nvidia/cu13";
      tool(cu13 + "/bin/nvcc");
      file(cu13 + "/include/cuda_runtime.h");
      file(cu13 + "/lib/libcudart.so.13");
      process.on(at(cu13 + "/bin/nvcc"), "--version", data("nvcc-13.0-version.txt"));
      process.on(at(cu13 + "/bin/nvcc"), "--list-gpu-code", data("nvcc-13.0-list-gpu-code.txt"));
    }
    return answer.dump();
  }

  // An interpreter without torch.
  void make_plain_python(const std::string& venv) {
    tool(venv + "/bin/python");
    nlohmann::json answer = {{"executable", at(venv + "/bin/python")},
                             {"python_version", "3.11"},
                             {"python_include", "/py/include/python3.11"},
                             {"sys_path", nlohmann::json::array()}};
    process.on(at(venv + "/bin/python"), "-c", answer.dump());
  }

  // /usr/local/cuda-12.8 with a /usr/local/cuda symlink to it.
  void make_cuda_12_8() {
    tool("usr/local/cuda-12.8/bin/nvcc");
    file("usr/local/cuda-12.8/include/cuda_runtime.h");
    file("usr/local/cuda-12.8/lib64/libcudart.so");
    symlink("cuda-12.8", "usr/local/cuda");
    process.on(
        at("usr/local/cuda/bin/nvcc"), "--version",
        "nvcc: NVIDIA (R) Cuda compiler driver\nCuda compilation tools, release 12.8, V12.8.93\n");
    process.on(at("usr/local/cuda/bin/nvcc"), "--list-gpu-code", "sm_50\nsm_90\nsm_120\n");
  }

  void make_host_tools() {
    tool("bin/g++");
    tool("bin/ninja");
    process.on(at("bin/g++"), "-dumpfullversion", data("gxx-12-dumpfullversion.txt"));
    process.on(at("bin/ninja"), "--version", data("ninja-1.11-version.txt"));
  }

  Toolchains discover() {
    auto r = discover_toolchains(request, process, disk, env);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : format_error(r.errors().list[0]));
    return r.ok() ? *r : Toolchains{};
  }

  static bool rejected_with(const Toolchains& t, const std::string& kind,
                            const std::string& candidate_part, const std::string& reason_part) {
    return std::any_of(t.rejected.begin(), t.rejected.end(), [&](const RejectedCandidate& r) {
      return r.kind == kind && r.candidate.find(candidate_part) != std::string::npos &&
             r.reason.find(reason_part) != std::string::npos;
    });
  }

  std::string root = "/machine";
  DiscoveryRequest request;
  Environment env;
  ProbeAnswers process;
  FakeDisk disk;
};

TEST_F(FakeMachine, FindsTorchCudaAndHostTools) {
  make_torch_venv("venv", /*with_nvcc_wheel=*/true);
  make_plain_python("plain");
  make_cuda_12_8();
  disk.add_dir(at("usr/local/cuda-11.0"));  // a leftover directory without nvcc
  make_host_tools();
  request.torch = {at("venv"), at("plain/bin/python")};

  Toolchains t = discover();
  ASSERT_EQ(t.torches.size(), 1u);
  EXPECT_EQ(t.torches[0].python, at("venv/bin/python"));
  EXPECT_EQ(t.torches[0].version_string, "2.11.0+cu130");
  EXPECT_TRUE(rejected_with(t, "torch", at("plain/bin/python"), "torch is not installed"));

  ASSERT_EQ(t.cuda.size(), 2u);
  EXPECT_EQ(t.cuda[0].root, at("usr/local/cuda"));  // found first, under its stable name
  EXPECT_EQ(t.cuda[0].version.str(), "12.8");
  EXPECT_EQ(t.cuda[0].gpu_codes, (std::vector<std::string>{"sm_50", "sm_90", "sm_120"}));
  EXPECT_EQ(t.cuda[0].lib_dir, at("usr/local/cuda/lib64"));
  std::string cu13 = at("venv/lib/python3.11/site-packages/nvidia/cu13");
  EXPECT_EQ(t.cuda[1].nvcc, cu13 + "/bin/nvcc");
  EXPECT_EQ(t.cuda[1].version.major_minor(), "13.0");
  EXPECT_EQ(t.cuda[1].include_dir, cu13 + "/include");
  EXPECT_EQ(t.cuda[1].lib_dir, cu13 + "/lib");
  EXPECT_TRUE(rejected_with(t, "cuda", "cuda-11.0", "no nvcc"));

  ASSERT_TRUE(t.cxx);
  EXPECT_EQ(t.cxx->path, at("bin/g++"));
  EXPECT_EQ(t.cxx->version, "12.2.0");
  ASSERT_TRUE(t.ninja);
  EXPECT_EQ(t.ninja->version.str(), "1.11.1");
  EXPECT_TRUE(t.rocm.empty());

  std::string text = toolchains_to_text(t);
  EXPECT_NE(text.find("torch 2.11.0+cu130 (CUDA 13.0, C++11 ABI, Python 3.11)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("torch is not installed"), std::string::npos) << text;
  EXPECT_NE(text.find("no nvcc"), std::string::npos) << text;
  auto j = nlohmann::json::parse(toolchains_to_json(t));
  EXPECT_EQ(j["cuda"].size(), 2u);
  EXPECT_EQ(j["torch"][0]["cuda"], "13.0");
  EXPECT_EQ(j["cuda"][0]["version"], "12.8");
  EXPECT_EQ(j["torch"][0]["version"], "2.11");
}

// The machine image's layout: /usr/local/bin/nvcc is a two-line script that execs the
// toolkit's nvcc, and /usr/local/include and /usr/local/lib64 mirror the toolkit's files.
TEST_F(FakeMachine, WrapperNvccOverASymlinkFarmIsTheSameToolkit) {
  make_cuda_12_8();
  file("usr/local/bin/nvcc", "#!/bin/sh\nexec /usr/local/cuda-12.8/bin/nvcc \"$@\"\n", true);
  disk.add_dir(at("usr/local/include"));
  symlink(at("usr/local/cuda-12.8/include/cuda_runtime.h"), "usr/local/include/cuda_runtime.h");
  symlink(at("usr/local/cuda-12.8/lib64"), "usr/local/lib64");
  std::string wrapper = at("usr/local/bin/nvcc");
  process.on(wrapper, "--version", "Cuda compilation tools, release 12.8, V12.8.93\n");
  process.on(wrapper, "--list-gpu-code", "sm_90\n");

  // Whichever name is probed first, one toolkit remains, under the root that owns the headers.
  env.set("PATH", at("usr/local/bin"));
  for (bool cuda_home_first : {false, true}) {
    if (cuda_home_first) env.set("CUDA_HOME", at("usr/local/cuda"));
    Toolchains t = discover();
    ASSERT_EQ(t.cuda.size(), 1u) << toolchains_to_text(t);
    EXPECT_EQ(t.cuda[0].root, at("usr/local/cuda"));
    EXPECT_EQ(t.cuda[0].include_dir, at("usr/local/cuda/include"));
    EXPECT_TRUE(rejected_with(t, "cuda", wrapper, "the same CUDA 12.8 as " + at("usr/local/cuda")))
        << toolchains_to_text(t);
  }
}

// ld.lld and ld.gold work with g++; ld.mold is on PATH but g++ cannot drive it (it answers
// with an error). Found linkers are listed fastest first, the broken one with its reason.
TEST_F(FakeMachine, FindsTheLinkersTheCompilerCanUse) {
  make_host_tools();
  for (const char* name : {"bin/ld.mold", "bin/ld.lld", "bin/ld.gold"}) tool(name);
  process.on(at("bin/g++"), "-fuse-ld=mold", "", 1);
  process.on(at("bin/g++"), "-fuse-ld=lld", "Debian LLD 14.0.6 (compatible with GNU linkers)\n");
  process.on(at("bin/g++"), "-fuse-ld=gold",
             "GNU gold (GNU Binutils for Debian 2.40) 1.16\nCopyright (C) 2023\n");
  Toolchains t = discover();
  ASSERT_TRUE(t.cxx);
  ASSERT_EQ(t.cxx->linkers.size(), 2u) << toolchains_to_text(t);
  EXPECT_EQ(t.cxx->linkers[0].name, "lld");
  EXPECT_EQ(t.cxx->linkers[0].path, at("bin/ld.lld"));
  EXPECT_EQ(t.cxx->linkers[0].version, "Debian LLD 14.0.6 (compatible with GNU linkers)");
  EXPECT_EQ(t.cxx->linkers[1].name, "gold");
  EXPECT_TRUE(rejected_with(t, "linker", at("bin/ld.mold"), "exited with code 1"))
      << toolchains_to_text(t);
  EXPECT_NE(toolchains_to_text(t).find("linker   lld: " + at("bin/ld.lld")), std::string::npos)
      << toolchains_to_text(t);
}

// Without any ld.<name> on PATH nothing extra is probed: the compiler's default linker it is.
TEST_F(FakeMachine, NoFastLinkerMeansNone) {
  make_host_tools();
  Toolchains t = discover();
  ASSERT_TRUE(t.cxx);
  EXPECT_TRUE(t.cxx->linkers.empty());
  for (const auto& call : process.log) EXPECT_EQ(call.find("-fuse-ld"), std::string::npos) << call;
}

TEST_F(FakeMachine, Cuda12WheelUsesTheSiblingRuntimePackage) {
  make_torch_venv("venv", false);
  std::string site = "venv/lib/python3.11/site-packages/";
  tool(site + "nvidia/cuda_nvcc/bin/nvcc");
  file(site + "nvidia/cuda_runtime/include/cuda_runtime.h");
  file(site + "nvidia/cuda_runtime/lib/libcudart.so.12");
  std::string nvcc = at(site + "nvidia/cuda_nvcc/bin/nvcc");
  process.on(nvcc, "--version", "Cuda compilation tools, release 12.8, V12.8.93\n");
  process.on(nvcc, "--list-gpu-code", "sm_90\n");
  request.torch = {at("venv")};
  Toolchains t = discover();
  ASSERT_EQ(t.cuda.size(), 1u) << toolchains_to_text(t);
  EXPECT_EQ(t.cuda[0].nvcc, nvcc);
  EXPECT_EQ(t.cuda[0].include_dir, at(site + "nvidia/cuda_runtime/include"));
  EXPECT_EQ(t.cuda[0].lib_dir, at(site + "nvidia/cuda_runtime/lib"));
}

TEST_F(FakeMachine, WheelNvccListedOnlyInRecordIsFound) {
  std::string site = "site/";
  tool(site + "nvidia/future/bin/nvcc");
  file(site + "nvidia_cuda_nvcc-14.0.1.dist-info/RECORD",
       "nvidia/future/bin/ptxas,sha256=abc,10\nnvidia/future/bin/nvcc,sha256=def,20\n"
       "nvidia_cuda_nvcc-14.0.1.dist-info/RECORD,,\n");
  auto found = toolchains::find_wheel_nvccs(disk, {at("site"), at("no-such-site")});
  EXPECT_EQ(found, (std::vector<std::string>{at(site + "nvidia/future/bin/nvcc")}));
}

TEST_F(FakeMachine, ToolkitWithoutRuntimeIsRejectedWithReason) {
  tool("opt/cuda/bin/nvcc");
  file("opt/cuda/include/cuda_runtime.h");
  process.on(at("opt/cuda/bin/nvcc"), "--version", data("nvcc-13.0-version.txt"));
  process.on(at("opt/cuda/bin/nvcc"), "--list-gpu-code", data("nvcc-13.0-list-gpu-code.txt"));
  env.set("CUDA_HOME", at("opt/cuda"));
  Toolchains t = discover();
  EXPECT_TRUE(t.cuda.empty());
  EXPECT_TRUE(rejected_with(t, "cuda", "CUDA_HOME", "libcudart.so is missing"));
}

TEST_F(FakeMachine, FailingNvccIsRejectedWithItsMessage) {
  tool("usr/local/cuda-13.0/bin/nvcc");
  process.on(at("usr/local/cuda-13.0/bin/nvcc"), "--version",
             "nvcc fatal : cannot find nvcc.profile", 1);
  Toolchains t = discover();
  EXPECT_TRUE(t.cuda.empty());
  EXPECT_TRUE(rejected_with(t, "cuda", "cuda-13.0", "exited with code 1"));
}

TEST_F(FakeMachine, KbTorchListIsUsedWithoutRequest) {
  make_torch_venv("a", false);
  make_plain_python("b");
  env.set("KB_TORCH", at("a") + ":" + at("b/bin/python"));
  Toolchains t = discover();
  ASSERT_EQ(t.torches.size(), 1u);
  EXPECT_TRUE(rejected_with(t, "torch", "KB_TORCH", "not installed"));
}

TEST_F(FakeMachine, BrokenKbTorchBesideAGoodOneIsAWarningEvenFromTheCache) {
  make_torch_venv("a", false);
  make_plain_python("b");
  make_host_tools();
  env.set("KB_TORCH", at("a") + ":" + at("b/bin/python"));
  request.cache_file = at("cache/toolchains.json");
  for (int run = 0; run < 2; ++run) {  // cold, then from the cache
    Toolchains t = discover();
    ASSERT_EQ(t.torches.size(), 1u);
    auto warnings = unusable_named_toolchains(t);
    ASSERT_EQ(warnings.size(), 1u) << "run " << run;
    EXPECT_THAT(warnings[0].message, ::testing::HasSubstr(at("b/bin/python")));
    EXPECT_THAT(warnings[0].message, ::testing::HasSubstr("torch is not installed"));
    EXPECT_THAT(warnings[0].message, ::testing::HasSubstr("going on with the other 1 Torch"));
    EXPECT_THAT(warnings[0].hint, ::testing::HasSubstr("KB_TORCH"));
  }
}

TEST_F(FakeMachine, BadCxxIsAWarningNamingTheCompilerUsedInstead) {
  make_host_tools();
  env.set("CXX", "clang++-99");
  Toolchains t = discover();
  ASSERT_TRUE(t.cxx.has_value());
  auto warnings = unusable_named_toolchains(t);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0].message, ::testing::HasSubstr("clang++-99 (from CXX)"));
  EXPECT_THAT(warnings[0].message, ::testing::HasSubstr("not found"));
  EXPECT_THAT(warnings[0].message, ::testing::HasSubstr("using " + at("bin/g++") + " instead"));
}

TEST_F(FakeMachine, CandidatesFoundByLookingAreNoWarning) {
  tool("bin/python3");  // PATH's python3 without torch: kb looked, nobody asked for it
  process.on(at("bin/python3"), "-c",
             nlohmann::json{{"executable", "/real/python3.11"}, {"python_version", "3.11"}}.dump());
  make_host_tools();
  Toolchains t = discover();
  EXPECT_FALSE(t.rejected.empty());
  EXPECT_TRUE(unusable_named_toolchains(t).empty());
}

TEST_F(FakeMachine, Python3OnPathIsTheDefault) {
  tool("bin/python3");
  process.on(at("bin/python3"), "-c",
             nlohmann::json{{"executable", "/real/python3.11"}, {"python_version", "3.11"}}.dump());
  Toolchains t = discover();
  EXPECT_TRUE(t.torches.empty());
  EXPECT_TRUE(
      rejected_with(t, "torch", at("bin/python3") + " (from PATH)", "torch is not installed"));
}

TEST_F(FakeMachine, MissingRequestedPathsFailTogether) {
  request.torch = {at("no-venv")};
  request.cuda = {at("no-cuda")};
  auto r = discover_toolchains(request, process, disk, env);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors().list.size(), 2u);
  EXPECT_NE(r.errors().list[0].message.find("--torch"), std::string::npos);
  EXPECT_NE(r.errors().list[1].message.find("--cuda"), std::string::npos);
  EXPECT_EQ(process.calls, 0);
}

// `--torch python3.12` means the python3.12 that PATH finds, as in a shell; a bare name found
// nowhere is an error that says it was looked for in PATH too.
TEST_F(FakeMachine, BareTorchNameIsLookedUpInPath) {
  std::string answer = make_torch_venv("venv", false);
  disk.add_dir(at("bin"));
  symlink(at("venv/bin/python"), "bin/python3.12");
  env.set("PATH", at("bin"));
  request.torch = {"python3.12"};
  process.on(at("bin/python3.12"), "-c", answer);
  Toolchains t = discover();
  ASSERT_EQ(t.torches.size(), 1u) << toolchains_to_text(t);

  request.torch = {"python9.99"};
  auto r = discover_toolchains(request, process, disk, env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message,
            "--torch python9.99: no such file or directory, and not in PATH");
}

TEST_F(FakeMachine, DebianRocmLayout) {
  tool("usr/bin/hipcc");
  tool("usr/bin/clang++");     // Debian's default clang 14: not HIP's
  tool("usr/bin/clang++-15");  // what hipcc runs
  file("usr/include/hip/hip_version.h", data("hip_version-5.2.h"));
  std::istringstream names(data("bitcode-debian-5.2.txt"));
  for (std::string n; std::getline(names, n);) file("usr/lib/x86_64-linux-gnu/amdgcn/bitcode/" + n);
  std::string hipcc_out = data("hipcc-5.2-debian-version.txt");
  hipcc_out.replace(hipcc_out.find("InstalledDir: /usr/bin"), 22, "InstalledDir: " + at("usr/bin"));
  process.on(at("usr/bin/hipcc"), "--version", hipcc_out);
  env.set("PATH", at("bin") + ":" + at("usr/bin"));
  env.set("ROCM_PATH", at("usr"));

  Toolchains t = discover();
  ASSERT_EQ(t.rocm.size(), 1u) << toolchains_to_text(
      t);  // ROCM_PATH, PATH and /usr/bin/hipcc: one prefix
  const RocmToolkit& r = t.rocm[0];
  EXPECT_EQ(r.root, at("usr"));
  EXPECT_EQ(r.hipcc, at("usr/bin/hipcc"));
  EXPECT_EQ(r.clang, at("usr/bin/clang++-15"));
  EXPECT_EQ(r.hip_version, "5.2.21153-0");
  EXPECT_EQ(r.version.major_minor(), "5.2");
  EXPECT_EQ(r.device_lib_path, at("usr/lib/x86_64-linux-gnu/amdgcn/bitcode"));
  auto has = [&](const std::string& g) {
    return std::count(r.gfx_targets.begin(), r.gfx_targets.end(), g) == 1;
  };
  EXPECT_TRUE(has("gfx90a"));
  EXPECT_TRUE(has("gfx940"));
  EXPECT_FALSE(has("gfx942"));
}

TEST_F(FakeMachine, OptRocmWithoutHipccUsesHeaderAndReleaseFile) {
  std::string p = "opt/rocm-6.2.0/";
  file(p + "include/hip/hip_version.h",
       "#define HIP_VERSION_MAJOR 6\n#define HIP_VERSION_MINOR 2\n#define HIP_VERSION_PATCH "
       "41133\n");
  tool(p + "lib/llvm/bin/clang++");
  file(p + "amdgcn/bitcode/oclc_isa_version_942.bc");
  file(p + "amdgcn/bitcode/oclc_isa_version_90a.bc");
  file(p + "amdgcn/bitcode/ocml.bc");
  file(p + ".info/version", "6.2.0-66\n");
  symlink("rocm-6.2.0", "opt/rocm");
  disk.add_dir(at("opt/rocm-5.0.0"));  // an empty leftover

  Toolchains t = discover();
  ASSERT_EQ(t.rocm.size(), 1u);
  EXPECT_EQ(t.rocm[0].root, at("opt/rocm"));
  EXPECT_EQ(t.rocm[0].hipcc, "");
  EXPECT_EQ(t.rocm[0].clang, at("opt/rocm/lib/llvm/bin/clang++"));
  EXPECT_EQ(t.rocm[0].hip_version, "6.2.41133");
  EXPECT_EQ(t.rocm[0].version.major_minor(), "6.2");
  EXPECT_EQ(t.rocm[0].gfx_targets, (std::vector<std::string>{"gfx90a", "gfx942"}));
  EXPECT_TRUE(rejected_with(t, "rocm", "rocm-5.0.0", "neither bin/hipcc"));
  EXPECT_EQ(process.calls, 0);
}

TEST_F(FakeMachine, RocmWithoutDeviceLibraryIsRejected) {
  file("opt/rocm/include/hip/hip_version.h", data("hip_version-5.2.h"));
  tool("opt/rocm/llvm/bin/clang++");
  Toolchains t = discover();
  EXPECT_TRUE(t.rocm.empty());
  EXPECT_TRUE(rejected_with(t, "rocm", at("opt/rocm"), "no amdgcn/bitcode"));
}

// A warm discovery answers from the cache without starting any process.
TEST_F(FakeMachine, RepeatedDiscoveryStartsNoProcess) {
  make_torch_venv("venv", true);
  make_cuda_12_8();
  make_host_tools();
  request.torch = {at("venv")};
  request.cache_file = at("cache/toolchains.json");

  Toolchains cold = discover();
  int cold_calls = process.calls;
  EXPECT_GE(cold_calls, 6);  // python, 2x2 nvcc, g++, ninja
  ASSERT_TRUE(disk.exists(request.cache_file));

  Toolchains warm = discover();
  EXPECT_EQ(process.calls, cold_calls) << "a warm discovery started a process";
  EXPECT_EQ(toolchains_to_json(warm), toolchains_to_json(cold));

  // Timing of the warm path (read, parse, stat the witnesses).
  auto start = std::chrono::steady_clock::now();
  double cpu_start = thread_cpu_us();
  constexpr int k_runs = 100;
  for (int i = 0; i < k_runs; ++i) (void)discover_toolchains(request, process, disk, env);
  double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      k_runs;
  double cpu_us = (thread_cpu_us() - cpu_start) / k_runs;
  EXPECT_EQ(process.calls, cold_calls);
  std::printf(
      "[ timing   ] warm discover_toolchains (fake machine), mean of %d: %.0f us wall, %.0f us "
      "CPU\n",
      k_runs, us, cpu_us);
}

TEST_F(FakeMachine, CacheInvalidatedByChangedWitness) {
  make_torch_venv("venv", false);
  make_cuda_12_8();
  request.torch = {at("venv")};
  request.cache_file = at("cache/toolchains.json");
  (void)discover();
  int calls = process.calls;

  // Upgrading torch rewrites version.py.
  file("venv/lib/python3.11/site-packages/torch/version.py",
       "__version__ = '2.11.1+cu130'\ncuda = '13.0'\n");
  (void)discover();
  EXPECT_GT(process.calls, calls);
  calls = process.calls;
  (void)discover();
  EXPECT_EQ(process.calls, calls);

  // A new toolkit appears in /usr/local.
  tool("usr/local/cuda-13.0/bin/nvcc");
  (void)discover();
  EXPECT_GT(process.calls, calls);
  calls = process.calls;

  // A tool installed into a PATH directory.
  tool("bin/ninja");
  (void)discover();
  EXPECT_GT(process.calls, calls);
}

TEST_F(FakeMachine, CacheInvalidatedByEnvironmentAndRequest) {
  make_torch_venv("venv", false);
  make_plain_python("plain");
  request.torch = {at("venv")};
  request.cache_file = at("cache/toolchains.json");
  (void)discover();
  int calls = process.calls;

  env.set("CUDA_HOME", at("usr/local/cuda-12.8"));
  (void)discover();
  EXPECT_GT(process.calls, calls);
  calls = process.calls;

  request.torch = {at("plain")};
  Toolchains t = discover();
  EXPECT_GT(process.calls, calls);
  EXPECT_TRUE(t.torches.empty());
  calls = process.calls;

  // Both keys stay in the file: going back is a hit.
  request.torch = {at("venv")};
  env = Environment();
  env.set("PATH", root + "/bin");
  t = discover();
  EXPECT_EQ(process.calls, calls);
  EXPECT_EQ(t.torches.size(), 1u);
}

// A cache entry whose witness has a wrongly typed field (issue 15: every kb command aborted
// until the file was deleted) is probed again and written back with proper types.
TEST_F(FakeMachine, MistypedCacheEntryIsProbedAgainAndRewritten) {
  make_torch_venv("venv", false);
  make_host_tools();
  request.torch = {at("venv")};
  request.cache_file = at("cache/toolchains.json");
  Toolchains cold = discover();
  int calls = process.calls;
  for (const char* field : {"exists", "is_dir", "mtime_ns", "size", "path"}) {
    SCOPED_TRACE(field);
    auto doc = nlohmann::json::parse(*disk.read_file(request.cache_file));
    doc["entries"][0]["witnesses"][0][field] = "yes";
    ASSERT_TRUE(disk.write_file_atomic(request.cache_file, doc.dump()).ok());
    Toolchains again = discover();
    EXPECT_GT(process.calls, calls) << "the damaged entry was used";
    calls = process.calls;
    EXPECT_EQ(toolchains_to_json(again), toolchains_to_json(cold));
    auto rewritten = nlohmann::json::parse(*disk.read_file(request.cache_file));
    ASSERT_EQ(rewritten["entries"].size(), 1u);
    EXPECT_NE(rewritten["entries"][0]["witnesses"][0][field], "yes");
    (void)discover();
    EXPECT_EQ(process.calls, calls) << "the rewritten entry is not used";
  }
}

// A KB_TORCH interpreter that never answers: its probe is stopped at the time limit and
// rejected with a reason naming it and the limit; the other install is still found; the
// answer is not cached (a hang says nothing lasting about the machine).
TEST_F(FakeMachine, HangingTorchProbeIsRejectedAndTheOthersAreUsed) {
  make_torch_venv("venv", false);
  tool("stuck/bin/python");
  process.hang(at("stuck/bin/python"));
  make_host_tools();
  request.torch = {at("stuck"), at("venv")};
  request.cache_file = at("cache/toolchains.json");
  request.probe_timeout = std::chrono::milliseconds(2500);
  Toolchains t = discover();
  ASSERT_EQ(t.torches.size(), 1u);
  EXPECT_EQ(t.torches[0].python, at("venv/bin/python"));
  EXPECT_TRUE(rejected_with(t, "torch", at("stuck/bin/python"),
                            "did not finish within 2.5 s and was stopped"))
      << toolchains_to_text(t);
  ASSERT_FALSE(process.timeouts.empty());
  for (auto timeout : process.timeouts) EXPECT_EQ(timeout, std::chrono::milliseconds(2500));
  EXPECT_FALSE(disk.exists(request.cache_file));
}

// The real thing: this machine's nvcc and the torch-2.11 venv.
TEST(DiscoverIntegration, RealMachine) {
  Environment env = Environment::from_process();
  std::string home = env.get("HOME").value_or("/root");
  std::string venv = home + "/.cache/kb-deps/torch-2.11";
  if (!fs::exists(venv + "/bin/python")) GTEST_SKIP() << "no Torch venv at " << venv;
  auto nvcc = find_in_path("nvcc", env, RealDisk());
  if (!nvcc) GTEST_SKIP() << "no nvcc on PATH";

  std::string tmpl = (fs::temp_directory_path() / "kb-discover-real-XXXXXX").string();
  std::string dir = ::mkdtemp(tmpl.data());
  RealProcess process;
  RealDisk disk;
  DiscoveryRequest request;
  request.torch = {venv};
  request.cache_file = dir + "/toolchains.json";

  auto t0 = std::chrono::steady_clock::now();
  auto cold = discover_toolchains(request, process, disk, env);
  auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(cold.ok()) << format_error(cold.errors().list[0]);
  auto warm = discover_toolchains(request, process, disk, env);
  auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(warm.ok());
  constexpr int k_runs = 50;
  double cpu_start = thread_cpu_us();
  for (int i = 0; i < k_runs; ++i) (void)discover_toolchains(request, process, disk, env);
  double cpu_us = (thread_cpu_us() - cpu_start) / k_runs;
  auto t3 = std::chrono::steady_clock::now();
  std::printf(
      "[ timing   ] real discovery: cold %.1f ms, first warm %.3f ms, warm mean of %d: %.3f ms "
      "wall, "
      "%.3f ms CPU\n",
      std::chrono::duration<double, std::milli>(t1 - t0).count(),
      std::chrono::duration<double, std::milli>(t2 - t1).count(), k_runs,
      std::chrono::duration<double, std::milli>(t3 - t2).count() / k_runs, cpu_us / 1000);
  std::printf("%s", toolchains_to_text(*cold).c_str());

  ASSERT_EQ(cold->torches.size(), 1u);
  const TorchInstall& torch = cold->torches[0];
  EXPECT_EQ(torch.python, venv + "/bin/python");
  EXPECT_EQ(torch.version.major_minor(), "2.11");
  ASSERT_TRUE(torch.cuda);
  EXPECT_EQ(torch.cuda->major_minor(), "13.0");
  EXPECT_TRUE(torch.cxx11_abi);
  EXPECT_TRUE(fs::exists(torch.include_dirs[0] + "/torch/library.h"));
  EXPECT_TRUE(fs::exists(torch.lib_dir + "/libc10.so"));
  EXPECT_TRUE(fs::exists(torch.python_include_dir + "/Python.h"));

  ASSERT_FALSE(cold->cuda.empty());
  const CudaToolkit& cuda = cold->cuda[0];
  // The nvcc on PATH may be the toolkit's own or a wrapper script that execs it (this
  // machine's image has one at /usr/local/bin/nvcc): it must have led to one toolkit, listed
  // once, that reports the same release.
  auto path_version = process.capture({*nvcc, "--version"}, env);
  ASSERT_TRUE(path_version.ok());
  auto release = toolchains::parse_nvcc_version(path_version->out);
  ASSERT_TRUE(release.ok()) << path_version->out;
  EXPECT_EQ(cuda.version, *release);
  std::set<std::string> headers;
  for (const CudaToolkit& tk : cold->cuda)
    EXPECT_TRUE(headers.insert(fs::canonical(tk.include_dir + "/cuda_runtime.h")).second)
        << "listed twice: " << tk.nvcc;
  EXPECT_TRUE(std::count(cuda.gpu_codes.begin(), cuda.gpu_codes.end(), "sm_90"));
  EXPECT_TRUE(fs::exists(cuda.include_dir + "/cuda_runtime.h"));
  EXPECT_TRUE(cold->cxx);
  EXPECT_EQ(toolchains_to_json(*warm), toolchains_to_json(*cold));

  // Debian's ROCm 5.2 (apt-get install hipcc), when installed: clang 15 limits the targets.
  if (fs::exists("/usr/bin/hipcc") && fs::exists("/usr/lib/x86_64-linux-gnu/amdgcn/bitcode")) {
    ASSERT_FALSE(cold->rocm.empty());
    const RocmToolkit& rocm = cold->rocm[0];
    EXPECT_EQ(fs::canonical(rocm.clang), fs::canonical("/usr/bin/clang++-15"));
    auto has = [&](const char* g) {
      return std::count(rocm.gfx_targets.begin(), rocm.gfx_targets.end(), g) == 1;
    };
    EXPECT_TRUE(has("gfx90a"));
    EXPECT_FALSE(has("gfx942"));
  }

  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace kb
