// The discovery cache: JSON round trip, hits, misses and invalidation by witness files.
// Uses RealDisk in a temporary directory.

#include "toolchains/toolchain_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "kb/disk.h"

namespace kb::toolchains {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kb-cache-test-XXXXXX").string();
    m_path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  std::string operator/(const std::string& rel) const { return m_path + "/" + rel; }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

Toolchains sample_toolchains() {
  Toolchains t;
  TorchInstall ti;
  ti.python = "/venv/bin/python";
  ti.version_string = "2.11.0+cu130";
  ti.version = *Version::parse("2.11.0");
  ti.cuda = *Version::parse("13.0");
  ti.cxx11_abi = true;
  ti.root = "/venv/torch";
  ti.include_dirs = {"/venv/torch/include", "/venv/torch/include/torch/csrc/api/include"};
  ti.lib_dir = "/venv/torch/lib";
  ti.python_include_dir = "/py/include/python3.11";
  ti.python_version = "3.11";
  ti.cmake.found = true;
  ti.cmake.cpu_definitions = {"USE_DISTRIBUTED", "USE_RPC"};
  ti.cmake.cuda_definitions = {"USE_C10D_NCCL"};
  t.torches.push_back(ti);
  TorchInstall rocm_torch = ti;
  rocm_torch.python = "/venv2/bin/python";
  rocm_torch.cuda.reset();
  rocm_torch.hip = *Version::parse("6.2");
  rocm_torch.cxx11_abi = false;
  rocm_torch.cmake = {};
  rocm_torch.cmake.cxx_flags = {"-D_GLIBCXX_USE_CXX11_ABI=0"};
  rocm_torch.cmake.hip_definitions = {"USE_ROCM_X"};
  t.torches.push_back(rocm_torch);
  t.cuda.push_back({"/usr/local/cuda",
                    "/usr/local/cuda/bin/nvcc",
                    *Version::parse("13.0"),
                    {"sm_75", "sm_90"},
                    "/usr/local/cuda/include",
                    "/usr/local/cuda/lib64"});
  t.rocm.push_back({"/usr",
                    "/usr/bin/hipcc",
                    "/usr/lib/llvm-15/bin/clang++",
                    *Version::parse("5.2"),
                    "5.2.21153-0",
                    {"gfx90a", "gfx940"},
                    "/usr/lib/x86_64-linux-gnu/amdgcn/bitcode"});
  t.cxx = HostCompiler{"/usr/bin/g++",
                       "12.2.0",
                       {{"lld", "/usr/bin/ld.lld", "Debian LLD 14.0.6 (compatible with GNU linkers)"},
                        {"gold", "/usr/bin/ld.gold", "GNU gold (GNU Binutils for Debian 2.40) 1.16"}}};
  t.ninja = NinjaTool{"/usr/bin/ninja", *Version::parse("1.11.1")};
  t.rejected.push_back({"torch", "/usr/bin/python3 (from PATH)", "torch is not installed"});
  return t;
}

nlohmann::json key_for(const std::string& path_var) {
  DiscoveryRequest r;
  Environment env;
  env.set("PATH", path_var);
  return cache_key(r, env);
}

TEST(ToolchainJson, RoundTrips) {
  Toolchains t = sample_toolchains();
  auto j = toolchains_to_json_value(t);
  auto back = toolchains_from_json_value(j);
  ASSERT_TRUE(back.ok()) << back.errors().list[0].message;
  EXPECT_EQ(toolchains_to_json_value(*back), j);
  EXPECT_EQ(back->torches[0].cuda->major_minor(), "13.0");
  EXPECT_FALSE(back->torches[1].cuda);
  EXPECT_EQ(back->torches[1].hip->major_minor(), "6.2");
  EXPECT_FALSE(back->torches[1].cxx11_abi);
  EXPECT_EQ(back->torches[0].cmake, t.torches[0].cmake);
  EXPECT_EQ(back->torches[1].cmake, t.torches[1].cmake);
  EXPECT_TRUE(back->torches[0].cmake.found);
  EXPECT_EQ(back->ninja->version.str(), "1.11.1");
  ASSERT_EQ(back->cxx->linkers.size(), 2u);
  EXPECT_EQ(back->cxx->linkers[1].name, "gold");
  EXPECT_EQ(back->cxx->linkers[1].path, "/usr/bin/ld.gold");
}

TEST(ToolchainJson, EmptyToolchainsRoundTrip) {
  Toolchains t;
  auto j = toolchains_to_json_value(t);
  EXPECT_TRUE(j["cxx"].is_null());
  auto back = toolchains_from_json_value(j);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->cxx);
  EXPECT_TRUE(back->torches.empty());
}

TEST(ToolchainJson, RejectsMistypedFields) {
  auto j = toolchains_to_json_value(sample_toolchains());
  j["cuda"][0]["gpu_codes"] = 7;
  EXPECT_FALSE(toolchains_from_json_value(j).ok());
  EXPECT_FALSE(toolchains_from_json_value(nlohmann::json::array()).ok());
}

TEST(CacheKey, DependsOnRequestAndEnvironment) {
  EXPECT_EQ(key_for("/bin"), key_for("/bin"));
  EXPECT_NE(key_for("/bin"), key_for("/usr/bin:/bin"));
  DiscoveryRequest a, b;
  b.torch = {"/venv"};
  Environment env;
  EXPECT_NE(cache_key(a, env), cache_key(b, env));
  Environment env2;
  env2.set("CUDA_HOME", "/usr/local/cuda-12.8");
  EXPECT_NE(cache_key(a, env), cache_key(a, env2));
  Environment env3;
  env3.set("HOME", "/elsewhere");  // not a discovery input
  EXPECT_EQ(cache_key(a, env), cache_key(a, env3));
}

TEST(CacheKey, RelativeRequestPathsAreMadeAbsolute) {
  DiscoveryRequest r;
  r.torch = {"venv"};
  auto key = cache_key(r, Environment());
  EXPECT_EQ(key["torch"][0].get<std::string>().front(), '/');
}

TEST(Cache, MissWithoutFileOrWithoutName) {
  TempDir dir;
  RealDisk disk;
  EXPECT_FALSE(load_cached(disk, dir / "absent.json", key_for("/bin")));
  EXPECT_FALSE(load_cached(disk, "", key_for("/bin")));
}

TEST(Cache, HitWhenKeyAndWitnessesMatch) {
  TempDir dir;
  RealDisk disk;
  ASSERT_TRUE(disk.write_file_atomic(dir / "nvcc", "fake").ok());
  std::string file = dir / "cache/toolchains.json";
  auto witnesses = take_witnesses(disk, {dir / "nvcc", dir / "not-there"});
  ASSERT_TRUE(store_cached(disk, file, key_for("/bin"), sample_toolchains(), witnesses).ok());
  auto hit = load_cached(disk, file, key_for("/bin"));
  ASSERT_TRUE(hit);
  EXPECT_EQ(toolchains_to_json_value(*hit), toolchains_to_json_value(sample_toolchains()));
  EXPECT_FALSE(load_cached(disk, file, key_for("/usr/bin")));
}

TEST(Cache, MissWhenWitnessChanges) {
  TempDir dir;
  RealDisk disk;
  ASSERT_TRUE(disk.write_file_atomic(dir / "version.py", "__version__ = '2.11.0'\n").ok());
  std::string file = dir / "toolchains.json";
  ASSERT_TRUE(store_cached(disk, file, key_for("/bin"), sample_toolchains(),
                           take_witnesses(disk, {dir / "version.py"}))
                  .ok());
  ASSERT_TRUE(load_cached(disk, file, key_for("/bin")));
  // Same size, new mtime: an upgrade in place.
  struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "version.py").c_str(), times, 0), 0);
  EXPECT_FALSE(load_cached(disk, file, key_for("/bin")));
}

TEST(Cache, MissWhenWitnessAppearsOrDisappears) {
  TempDir dir;
  RealDisk disk;
  std::string file = dir / "toolchains.json";
  ASSERT_TRUE(disk.write_file_atomic(dir / "present", "x").ok());
  ASSERT_TRUE(store_cached(disk, file, key_for("/bin"), sample_toolchains(),
                           take_witnesses(disk, {dir / "present", dir / "absent"}))
                  .ok());
  ASSERT_TRUE(load_cached(disk, file, key_for("/bin")));
  ASSERT_TRUE(disk.write_file_atomic(dir / "absent", "now here").ok());
  EXPECT_FALSE(load_cached(disk, file, key_for("/bin")));
  ASSERT_TRUE(disk.remove_all(dir / "absent").ok());
  ASSERT_TRUE(load_cached(disk, file, key_for("/bin")));
  ASSERT_TRUE(disk.remove_all(dir / "present").ok());
  EXPECT_FALSE(load_cached(disk, file, key_for("/bin")));
}

TEST(Cache, DamagedFileIsAMiss) {
  TempDir dir;
  RealDisk disk;
  std::string file = dir / "toolchains.json";
  ASSERT_TRUE(disk.write_file_atomic(file, "{\"entries\": [ {\"key\": ").ok());
  EXPECT_FALSE(load_cached(disk, file, key_for("/bin")));
  // A damaged file is replaced by the next store.
  ASSERT_TRUE(store_cached(disk, file, key_for("/bin"), sample_toolchains(), {}).ok());
  EXPECT_TRUE(load_cached(disk, file, key_for("/bin")));
}

TEST(Cache, StoreKeepsOtherKeysAndReplacesItsOwn) {
  TempDir dir;
  RealDisk disk;
  std::string file = dir / "toolchains.json";
  Toolchains a = sample_toolchains();
  Toolchains b;
  b.cxx = HostCompiler{"/opt/gcc/bin/g++", "13.1.0", {}};
  ASSERT_TRUE(store_cached(disk, file, key_for("/a"), a, {}).ok());
  ASSERT_TRUE(store_cached(disk, file, key_for("/b"), b, {}).ok());
  ASSERT_TRUE(load_cached(disk, file, key_for("/a")));
  ASSERT_EQ(load_cached(disk, file, key_for("/b"))->cxx->version, "13.1.0");
  b.cxx->version = "13.2.0";
  ASSERT_TRUE(store_cached(disk, file, key_for("/b"), b, {}).ok());
  EXPECT_EQ(load_cached(disk, file, key_for("/b"))->cxx->version, "13.2.0");
  auto doc = nlohmann::json::parse(*disk.read_file(file));
  EXPECT_EQ(doc["entries"].size(), 2u);
}

TEST(Cache, KeepsABoundedNumberOfEntries) {
  TempDir dir;
  RealDisk disk;
  std::string file = dir / "toolchains.json";
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(store_cached(disk, file, key_for("/p" + std::to_string(i)), Toolchains(), {}).ok());
  auto doc = nlohmann::json::parse(*disk.read_file(file));
  EXPECT_LE(doc["entries"].size(), 8u);
  EXPECT_TRUE(load_cached(disk, file, key_for("/p19")));  // newest kept
  EXPECT_FALSE(load_cached(disk, file, key_for("/p0")));  // oldest dropped
}

}  // namespace
}  // namespace kb::toolchains
