// The discovery cache: JSON round trip, hits, misses and invalidation by witness files.
// Uses RealDisk in a temporary directory.

#include "toolchains/toolchain_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <set>

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
  t.cxx =
      HostCompiler{"/usr/bin/g++",
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
  return cache_key(r, env, "/cwd");
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
  EXPECT_NE(cache_key(a, env, "/cwd"), cache_key(b, env, "/cwd"));
  Environment env2;
  env2.set("CUDA_HOME", "/usr/local/cuda-12.8");
  EXPECT_NE(cache_key(a, env, "/cwd"), cache_key(a, env2, "/cwd"));
  Environment env3;
  env3.set("HOME", "/elsewhere");  // not a discovery input
  EXPECT_EQ(cache_key(a, env, "/cwd"), cache_key(a, env3, "/cwd"));
}

TEST(CacheKey, RelativeRequestPathsAreMadeAbsolute) {
  DiscoveryRequest r;
  r.torch = {"venv"};
  auto key = cache_key(r, Environment(), "/cwd");
  EXPECT_EQ(key["torch"][0].get<std::string>().front(), '/');
}

// A cache file written by store_cached, edited by `edit`, then read back. A hand-edited or
// damaged file must never throw: the worst it may cost is a re-probe.
std::optional<Toolchains> load_after_edit(const TempDir& dir,
                                          const std::function<void(nlohmann::json&)>& edit) {
  RealDisk disk;
  std::string file = dir / "toolchains.json";
  EXPECT_TRUE(disk.write_file_atomic(dir / "nvcc", "fake").ok());
  EXPECT_TRUE(store_cached(disk, file, key_for("/bin"), sample_toolchains(),
                           take_witnesses(disk, {dir / "nvcc"}))
                  .ok());
  auto doc = nlohmann::json::parse(*disk.read_file(file));
  edit(doc);
  EXPECT_TRUE(disk.write_file_atomic(file, doc.dump()).ok());
  std::optional<Toolchains> got;
  EXPECT_NO_THROW(got = load_cached(disk, file, key_for("/bin")));
  return got;
}

// Values of every JSON type but the one `v` has (null counts as a type of its own).
std::vector<nlohmann::json> other_types(const nlohmann::json& v) {
  std::vector<nlohmann::json> all = {nullptr,
                                     true,
                                     int64_t{7},
                                     1.5,
                                     "text",
                                     nlohmann::json::array({1}),
                                     nlohmann::json::object({{"a", 1}})};
  std::vector<nlohmann::json> out;
  for (const auto& x : all) {
    bool same = x.type() == v.type() ||
                (x.is_number_integer() && v.is_number_integer());  // signed and unsigned
    if (!same) out.push_back(x);
  }
  return out;
}

TEST(Cache, UneditedFileIsAHit) {
  TempDir dir;
  EXPECT_TRUE(load_after_edit(dir, [](nlohmann::json&) {}));
}

TEST(Cache, MistypedWitnessFieldIsAMissNotAnAbort) {
  for (const char* field : {"path", "exists", "is_dir", "mtime_ns", "size"}) {
    for (const auto& wrong :
         other_types(field == std::string("path") ? nlohmann::json("p")
                     : field == std::string("exists") || field == std::string("is_dir")
                         ? nlohmann::json(true)
                         : nlohmann::json(int64_t{1}))) {
      SCOPED_TRACE(std::string(field) + " = " + wrong.dump());
      TempDir dir;
      EXPECT_FALSE(load_after_edit(
          dir, [&](nlohmann::json& doc) { doc["entries"][0]["witnesses"][0][field] = wrong; }));
    }
    SCOPED_TRACE(std::string(field) + " missing");
    TempDir dir;
    EXPECT_FALSE(load_after_edit(
        dir, [&](nlohmann::json& doc) { doc["entries"][0]["witnesses"][0].erase(field); }));
  }
}

TEST(Cache, MistypedStructureIsAMissNotAnAbort) {
  const std::vector<std::pair<std::string, std::function<void(nlohmann::json&)>>> edits = {
      {"document is an array", [](nlohmann::json& d) { d = nlohmann::json::array({d}); }},
      {"entries is an object",
       [](nlohmann::json& d) {
         d["entries"] = {{"0", d["entries"][0]}};
       }},
      {"entries is a string", [](nlohmann::json& d) { d["entries"] = "x"; }},
      {"witnesses is an object",
       [](nlohmann::json& d) {
         d["entries"][0]["witnesses"] = {{"a", 1}};
       }},
      {"witnesses is a number", [](nlohmann::json& d) { d["entries"][0]["witnesses"] = 3; }},
      {"a witness is a string", [](nlohmann::json& d) { d["entries"][0]["witnesses"][0] = "w"; }},
      {"a witness is an array",
       [](nlohmann::json& d) {
         d["entries"][0]["witnesses"][0] = {1, 2};
       }},
      {"toolchains is missing", [](nlohmann::json& d) { d["entries"][0].erase("toolchains"); }},
      {"toolchains is an array", [](nlohmann::json& d) { d["entries"][0]["toolchains"] = {1}; }},
  };
  for (const auto& [what, edit] : edits) {
    SCOPED_TRACE(what);
    TempDir dir;
    EXPECT_FALSE(load_after_edit(dir, edit));
  }
}

// Every value of the toolchains record, one at a time, given each other JSON type.
TEST(Cache, MistypedToolchainsFieldIsAMissNotAnAbort) {
  std::vector<nlohmann::json::json_pointer> pointers;
  std::function<void(const nlohmann::json&, const nlohmann::json::json_pointer&)> walk =
      [&](const nlohmann::json& v, const nlohmann::json::json_pointer& at) {
        if (!at.empty()) pointers.push_back(at);
        if (v.is_object())
          for (const auto& [k, child] : v.items()) walk(child, at / k);
        if (v.is_array())
          for (size_t i = 0; i < v.size(); ++i) walk(v[i], at / i);
      };
  const nlohmann::json record = toolchains_to_json_value(sample_toolchains());
  walk(record, nlohmann::json::json_pointer());
  ASSERT_GT(pointers.size(), 60u);
  // Fields that may be null ("none found").
  const std::set<std::string> nullable = {"/torch/0/cuda", "/torch/0/hip", "/torch/1/cuda",
                                          "/torch/1/hip",  "/cxx",         "/ninja"};
  for (const auto& p : pointers) {
    for (const auto& wrong : other_types(record[p])) {
      if (wrong.is_null() && nullable.contains(p.to_string())) continue;
      SCOPED_TRACE(p.to_string() + " = " + wrong.dump());
      nlohmann::json edited = record;
      edited[p] = wrong;
      EXPECT_NO_THROW(EXPECT_FALSE(toolchains_from_json_value(edited).ok()));
    }
  }
  // And through the cache file, for one field of each kind.
  for (const char* p :
       {"/torch/0/cxx11_abi", "/cuda/0/gpu_codes", "/ninja/version", "/cxx/linkers"}) {
    SCOPED_TRACE(p);
    TempDir dir;
    EXPECT_FALSE(load_after_edit(dir, [&](nlohmann::json& doc) {
      doc["entries"][0]["toolchains"][nlohmann::json::json_pointer(p)] = 42;
    }));
  }
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
