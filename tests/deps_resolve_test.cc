// Resolving dependencies through the seams (kb/deps_resolve.h): every route, the cache's
// verification and refetch, and the reasons when nothing provides a version. pip and git are
// FakeProcess answers that write into the FakeDisk what the real programs would.

#include "kb/deps_resolve.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kb/digest.h"
#include "kb/path.h"
#include "src/deps_fetch.h"
#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr const char* k_cache = "/home/u/.cache/kb/deps";

std::string version_h(const std::string& version) {
  auto a = version.find('.'), b = version.rfind('.');
  return "#pragma once\n#define CUTLASS_MAJOR " + version.substr(0, a) +
         "\n#define CUTLASS_MINOR " + version.substr(a + 1, b - a - 1) +
         "\n#define CUTLASS_PATCH " + version.substr(b + 1) + "\n";
}

// A small CUTLASS include tree under `include`.
void add_tree(FakeDisk& disk, const std::string& include, const std::string& version) {
  disk.add_file(join_path(include, "cutlass/version.h"), version_h(version));
  disk.add_file(join_path(include, "cutlass/gemm/gemm.h"), "// gemm " + version + "\n");
  disk.add_file(join_path(include, "cute/tensor.hpp"), "// cute\n");
}

// The hash `sha256sum` would give the tree (kb/deps.h, tree_content_hash).
std::string expected_hash(const FakeDisk& disk, const std::string& include) {
  std::vector<std::pair<std::string, std::string>> files;
  auto listed = disk.list_files_recursive(include);
  for (const auto& rel : *listed)
    files.emplace_back(rel, sha256_hex(disk.content(join_path(include, rel))));
  return tree_content_hash(files);
}

DepRequirement requirement(const std::string& name, int line = 14) {
  return {*find_dep_pin(name), {{"gemm_cuda", Backend::cuda, {"build.toml", line, 21}}}};
}

Environment env_of(std::map<std::string, std::string> vars) { return Environment(std::move(vars)); }

bool has(const std::vector<std::string>& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

std::string after(const std::vector<std::string>& argv, const std::string& word) {
  auto it = std::find(argv.begin(), argv.end(), word);
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

// pip and git stand-ins: what they download holds `version` (by default the one asked for).
struct FakeNet {
  FakeDisk& disk;
  bool pypi = true;  // the index has the version
  bool git = true;   // the remote has the tag
  bool python_has_pip = true;
  int pip_exit = 1;                 // exit code when the index lacks the version (124: a timeout)
  std::string served_version = {};  // "" = as asked
  int pip_runs = 0, unpack_runs = 0, git_runs = 0;

  Result<Captured> operator()(const std::vector<std::string>& argv) {
    EXPECT_EQ(argv.at(0), "timeout") << "every fetch runs under timeout";
    const bool git_run = argv.at(3) == "git";  // timeout --kill-after=10 SECONDS PROGRAM ...
    if (!git_run && has(argv, "pip")) {
      ++pip_runs;
      if (argv.at(3) == "/usr/bin/python3" && !python_has_pip)
        return Captured{1, "", "/usr/bin/python3: No module named pip\n"};
      std::string req = argv.back();
      if (!pypi)
        return Captured{pip_exit, "",
                        "ERROR: Could not find a version that satisfies the requirement " + req +
                            "\nERROR: No matching distribution found for " + req + "\n"};
      std::string version = req.substr(req.find("==") + 2);
      disk.add_file(
          join_path(after(argv, "--dest"), "nvidia_cutlass-" + version + "-py3-none-any.whl"),
          "zip");
      return Captured{0, "Saved wheel\n", ""};
    }
    if (!git_run && has(argv, "-c")) {  // unpacking: ... python -c SCRIPT WHEEL PREFIX DEST
      ++unpack_runs;
      EXPECT_EQ(argv[argv.size() - 2], "cutlass_library/source/include/");
      std::string wheel = argv[argv.size() - 3];
      wheel = wheel.substr(wheel.rfind('/') + 1);  // nvidia_cutlass-3.8.0.0-py3-none-any.whl
      std::string v = wheel.substr(wheel.find("cutlass-") + 8);
      v = v.substr(0, v.find(".0-py3"));
      add_tree(disk, argv.back(), served_version.empty() ? v : served_version);
      return Captured{0, "", ""};
    }
    if (git_run) {
      ++git_runs;
      EXPECT_TRUE(has(argv, "--depth"));
      if (!git)
        return Captured{
            128, "",
            "fatal: Remote branch " + after(argv, "--branch") + " not found in upstream origin\n"};
      std::string tag = after(argv, "--branch");
      add_tree(disk, join_path(argv.back(), "include"),
               served_version.empty() ? tag.substr(1) : served_version);
      disk.add_file(join_path(argv.back(), "README.md"), "cutlass\n");
      return Captured{0, "", ""};
    }
    return Error{"unexpected program", {}, ""};
  }
};

struct DepsResolveTest : ::testing::Test {
  FakeDisk disk;
  FakeProcess process;
  Environment env = env_of({{"HOME", "/home/u"}});
  FakeNet net{disk};
  DepLookup lookup;

  void SetUp() override {
    process.fallback = [this](const std::vector<std::string>& argv) { return net(argv); };
    lookup.cache_dir = k_cache;
    lookup.pythons = {"/venv/bin/python", "/usr/bin/python3"};
  }

  Result<std::vector<DepStatus>> resolve(const std::vector<DepRequirement>& reqs) {
    return resolve_dependencies(reqs, lookup, disk, process, env);
  }

  DepStatus one(const std::string& name = "cutlass_3_8") {
    auto r = resolve({requirement(name)});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : format_error(r.errors().list.front()));
    return r.ok() ? r->front() : DepStatus{};
  }
};

TEST(DepsFetchTest, QuotesTheLineThatSaysWhy) {
  // git: the first fatal line names the cause; the rest is advice.
  EXPECT_EQ(
      failure_line({128, "",
                    "Cloning into '/c/src'...\nfatal: '/x/cutlass.git' does not appear to be a git "
                    "repository\nfatal: Could not read from remote repository.\n\nPlease make sure "
                    "you have the correct access rights\nand the repository exists.\n"}),
      "fatal: '/x/cutlass.git' does not appear to be a git repository");
  // pip: its last ERROR line sums up.
  EXPECT_EQ(failure_line(
                {1, "Looking in links: /w\n",
                 "ERROR: Could not find a version that satisfies the requirement "
                 "nvidia-cutlass==4.5.2.0 (from versions: none)\nERROR: No matching distribution "
                 "found for nvidia-cutlass==4.5.2.0\n"}),
            "ERROR: No matching distribution found for nvidia-cutlass==4.5.2.0");
  EXPECT_EQ(
      failure_line({1, "",
                    "Traceback (most recent call last):\n  ...\n  zipfile.BadZipFile: File is "
                    "not a zip file\n\n"}),
      "zipfile.BadZipFile: File is not a zip file");
  EXPECT_EQ(failure_line({1, "", ""}), "");
}

TEST_F(DepsResolveTest, CacheDirSitsBesideTheToolchainCache) {
  EXPECT_EQ(dep_cache_dir(env_of({{"KB_CACHE_DIR", "/c"}, {"HOME", "/h"}})), "/c/deps");
  EXPECT_EQ(dep_cache_dir(env_of({{"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}})), "/x/kb/deps");
  EXPECT_EQ(dep_cache_dir(env_of({{"HOME", "/h"}})), "/h/.cache/kb/deps");
  EXPECT_EQ(dep_cache_dir(Environment()), "");
}

TEST_F(DepsResolveTest, FetchTimeoutComesFromTheEnvironment) {
  EXPECT_EQ(*dep_fetch_timeout(Environment()), 600);
  EXPECT_EQ(*dep_fetch_timeout(env_of({{"KB_FETCH_TIMEOUT", "30"}})), 30);
  EXPECT_FALSE(dep_fetch_timeout(env_of({{"KB_FETCH_TIMEOUT", "30s"}})).ok());
  EXPECT_FALSE(dep_fetch_timeout(env_of({{"KB_FETCH_TIMEOUT", "0"}})).ok());
  env.set("KB_FETCH_TIMEOUT", "soon");
  lookup.fetch = true;
  EXPECT_FALSE(resolve({requirement("cutlass_3_8")}).ok());
  lookup.fetch = false;  // looking runs nothing, so the timeout does not matter
  EXPECT_TRUE(resolve({requirement("cutlass_3_8")}).ok());
}

TEST_F(DepsResolveTest, TorchIsTheFrameworkAndSyclTlaIsNotBuiltHere) {
  auto r = resolve({requirement("torch"), requirement("sycl_tla")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].state, DepStatus::State::framework);
  EXPECT_EQ((*r)[1].state, DepStatus::State::unsupported);
  EXPECT_EQ(process.total_calls(), 0);
}

TEST_F(DepsResolveTest, ExplicitPathWinsAsSourceTreeOrIncludeDir) {
  add_tree(disk, "/src/cutlass/include", "3.8.0");
  lookup.explicit_paths = {{"cutlass_3_8", "/src/cutlass"}};
  lookup.fetch = true;
  DepStatus s = one();
  EXPECT_EQ(s.state, DepStatus::State::resolved);
  EXPECT_EQ(s.route, DepRoute::option);
  EXPECT_EQ(s.include_dir, "/src/cutlass/include");
  EXPECT_EQ(s.origin, "/src/cutlass");
  EXPECT_EQ(s.content_hash, "");  // builds do not hash explicit trees
  EXPECT_EQ(process.total_calls(), 0);

  lookup.explicit_paths = {{"cutlass_3_8", "/src/cutlass/include"}};
  lookup.full_verify = true;
  s = one();
  EXPECT_EQ(s.include_dir, "/src/cutlass/include");
  EXPECT_EQ(s.content_hash, expected_hash(disk, "/src/cutlass/include"));
}

TEST_F(DepsResolveTest, WrongExplicitTreeIsAnErrorNeverSkipped) {
  add_tree(disk, "/src/cutlass-3.9/include", "3.9.2");
  add_tree(disk, std::string(k_cache) + "/cutlass-3.8.0/include", "3.8.0");  // would be there
  disk.add_dir("/empty");
  lookup.fetch = true;
  struct Case {
    std::string path, says;
  };
  for (const Case& c :
       {Case{"/src/cutlass-3.9", "holds CUTLASS 3.9.2, but cutlass_3_8 is pinned to 3.8.0"},
        Case{"/empty", "holds no CUTLASS headers"},
        Case{"relative/cutlass", "not an absolute path"}}) {
    lookup.explicit_paths = {{"cutlass_3_8", c.path}};
    auto r = resolve({requirement("cutlass_3_8", 14)});
    ASSERT_FALSE(r.ok()) << c.path;
    const Error& e = r.errors().list.front();
    EXPECT_THAT(e.message, HasSubstr(c.says));
    EXPECT_THAT(e.message, HasSubstr("--dep cutlass_3_8"));
    ASSERT_TRUE(e.loc.has_value());
    EXPECT_EQ(e.loc->line, 14);
  }
  lookup.explicit_paths.clear();
  env.set("CUTLASS_SRC_DIR", "/src/cutlass-3.9");
  auto r = resolve({requirement("cutlass_3_8")});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.errors().list.front().message, HasSubstr("CUTLASS_SRC_DIR is '/src/cutlass-3.9'"));
  EXPECT_THAT(r.errors().list.front().hint, HasSubstr("never builds against another version"));
  EXPECT_EQ(process.total_calls(), 0);
}

TEST_F(DepsResolveTest, DepForADependencyTheKernelLacksIsAnError) {
  lookup.explicit_paths = {{"cutlass_3_9", "/src/cutlass"}};
  auto r = resolve({requirement("torch"), requirement("cutlass_3_8")});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.errors().list.front().message, HasSubstr("--dep cutlass_3_9=/src/cutlass"));
  EXPECT_THAT(r.errors().list.front().hint, HasSubstr("cutlass_3_8"));
}

TEST_F(DepsResolveTest, CutlassSrcDirIsTheSecondRoute) {
  add_tree(disk, "/opt/cutlass/include", "3.8.0");
  env.set("CUTLASS_SRC_DIR", "/opt/cutlass");
  DepStatus s = one();
  EXPECT_EQ(s.route, DepRoute::environment);
  EXPECT_EQ(s.include_dir, "/opt/cutlass/include");
  // --dep comes first.
  add_tree(disk, "/src/mine/include", "3.8.0");
  lookup.explicit_paths = {{"cutlass_3_8", "/src/mine"}};
  EXPECT_EQ(one().route, DepRoute::option);
}

TEST_F(DepsResolveTest, PypiFetchFillsTheCacheWithARecordedHash) {
  lookup.fetch = true;
  DepStatus s = one();
  ASSERT_EQ(s.state, DepStatus::State::resolved) << (s.reasons.empty() ? "" : s.reasons.back());
  EXPECT_EQ(s.route, DepRoute::pypi);
  const std::string entry = std::string(k_cache) + "/cutlass-3.8.0";
  EXPECT_EQ(s.include_dir, entry + "/include");
  EXPECT_THAT(s.origin, HasSubstr("nvidia-cutlass==3.8.0.0"));
  EXPECT_EQ(s.content_hash, expected_hash(disk, entry + "/include"));
  auto manifest = parse_dep_manifest(disk.content(entry + "/kb-dep.json"));
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->content_hash, s.content_hash);
  EXPECT_EQ(manifest->route, DepRoute::pypi);
  EXPECT_EQ(manifest->files, 3);
  EXPECT_EQ(net.pip_runs, 1);
  EXPECT_EQ(net.git_runs, 0);
  // Nothing is left behind: no wheel, no staging directory.
  for (const auto& f : disk.all_files()) {
    EXPECT_THAT(f, Not(HasSubstr(".whl")));
    EXPECT_THAT(f, Not(HasSubstr(".stage-")));
  }
  // pip was asked for exactly the pinned version, without dependencies, binary only.
  const auto& pip = process.log.front().argv;
  EXPECT_EQ(pip.back(), "nvidia-cutlass==3.8.0.0");
  EXPECT_TRUE(has(pip, "--no-deps"));
  EXPECT_TRUE(has(pip, "--only-binary=:all:"));
  EXPECT_EQ(pip[3], "/venv/bin/python");
}

TEST_F(DepsResolveTest, CacheHitRunsNothingAndServesTwoKernels) {
  lookup.fetch = true;
  std::string first = one().include_dir;
  int calls = process.total_calls();
  // A second kernel (another requirement list, same cache) and a look without fetching.
  auto second = resolve({requirement("torch"), requirement("cutlass_3_8", 30)});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)[1].route, DepRoute::cache);
  EXPECT_EQ((*second)[1].include_dir, first);
  EXPECT_THAT((*second)[1].origin, HasSubstr("(pypi)"));
  lookup.fetch = false;
  lookup.full_verify = true;
  DepStatus s = one();
  EXPECT_EQ(s.route, DepRoute::cache);
  EXPECT_EQ(process.total_calls(), calls);
}

TEST_F(DepsResolveTest, DamagedCacheEntryIsReportedThenRefetched) {
  lookup.fetch = true;
  DepStatus good = one();
  const std::string header = good.include_dir + "/cutlass/gemm/gemm.h";
  disk.add_file(header, "// corrupted\n");

  lookup.fetch = false;
  DepStatus seen = one();
  EXPECT_EQ(seen.state, DepStatus::State::missing);
  EXPECT_THAT(seen.reasons, Contains(AllOf(HasSubstr("is damaged"), HasSubstr(good.content_hash),
                                           HasSubstr("kb deps fetch"))));

  lookup.fetch = true;
  DepStatus again = one();
  EXPECT_EQ(again.state, DepStatus::State::resolved);
  EXPECT_EQ(again.route, DepRoute::pypi);
  EXPECT_EQ(again.content_hash, good.content_hash);
  EXPECT_EQ(disk.content(header), "// gemm 3.8.0\n");
  EXPECT_THAT(again.reasons, Contains(HasSubstr("removed, fetching again")));
  EXPECT_EQ(net.pip_runs, 2);
}

TEST_F(DepsResolveTest, DamagedManifestIsRefetched) {
  lookup.fetch = true;
  DepStatus good = one();
  disk.add_file(std::string(k_cache) + "/cutlass-3.8.0/kb-dep.json", "{\"format\": 1");
  DepStatus again = one();
  EXPECT_EQ(again.route, DepRoute::pypi);
  EXPECT_EQ(net.pip_runs, 2);
}

TEST_F(DepsResolveTest, TouchedButIdenticalEntryStaysAndRecordsItsNewFingerprint) {
  lookup.fetch = true;
  DepStatus good = one();
  const std::string header = good.include_dir + "/cute/tensor.hpp";
  disk.add_file(header, disk.content(header));  // same bytes, new mtime
  auto before =
      *parse_dep_manifest(disk.content(std::string(k_cache) + "/cutlass-3.8.0/kb-dep.json"));
  DepStatus s = one();
  EXPECT_EQ(s.route, DepRoute::cache);
  auto after_ =
      *parse_dep_manifest(disk.content(std::string(k_cache) + "/cutlass-3.8.0/kb-dep.json"));
  EXPECT_NE(after_.stat_fingerprint, before.stat_fingerprint);
  EXPECT_EQ(after_.content_hash, before.content_hash);
  EXPECT_EQ(net.pip_runs, 1);
}

TEST_F(DepsResolveTest, AnEntryFilledMeanwhileByAnotherKbIsKept) {
  // The other kb's tree lands while this one downloads (simulated inside the pip run).
  lookup.fetch = true;
  const std::string entry = std::string(k_cache) + "/cutlass-3.8.0";
  process.fallback = [this, entry](const std::vector<std::string>& argv) {
    if (has(argv, "pip") && !disk.has_dir(entry)) {
      add_tree(disk, entry + "/include", "3.8.0");
      DepCacheManifest m;
      m.name = "cutlass_3_8";
      m.version = "3.8.0";
      m.route = DepRoute::git;
      m.origin = "the other kb's clone";
      m.content_hash = expected_hash(disk, entry + "/include");
      disk.add_file(entry + "/kb-dep.json", render_dep_manifest(m));
    }
    return net(argv);
  };
  DepStatus s = one();
  EXPECT_EQ(s.state, DepStatus::State::resolved);
  EXPECT_EQ(s.include_dir, entry + "/include");
  EXPECT_THAT(s.origin, HasSubstr("the other kb's clone"));
  EXPECT_THAT(disk.log, Not(Contains(HasSubstr("replace "))));
  for (const auto& f : disk.all_files()) EXPECT_THAT(f, Not(HasSubstr(".stage-")));
}

TEST_F(DepsResolveTest, GitIsTriedWhenPypiHasNoWheel) {
  net.pypi = false;
  lookup.fetch = true;
  env.set("KB_CUTLASS_GIT_URL", "file:///srv/cutlass.git");
  DepStatus s = one("cutlass_4_0");
  ASSERT_EQ(s.state, DepStatus::State::resolved);
  EXPECT_EQ(s.route, DepRoute::git);
  EXPECT_EQ(s.origin, "file:///srv/cutlass.git v4.0.0 (git)");
  EXPECT_EQ(s.include_dir, std::string(k_cache) + "/cutlass-4.0.0/include");
  EXPECT_FALSE(disk.has_file(std::string(k_cache) + "/cutlass-4.0.0/README.md"));
  EXPECT_THAT(s.reasons,
              Contains(HasSubstr("No matching distribution found for nvidia-cutlass==4.0.0.0")));
  const auto& git = process.log.back().argv;
  EXPECT_EQ(after(git, "--branch"), "v4.0.0");
  EXPECT_EQ(after(git, "--"), "file:///srv/cutlass.git");
}

TEST_F(DepsResolveTest, DefaultGitRemoteIsNvidias) {
  net.pypi = false;
  lookup.fetch = true;
  DepStatus s = one("cutlass_3_9");
  EXPECT_EQ(s.route, DepRoute::git);
  EXPECT_EQ(after(process.log.back().argv, "--"), "https://github.com/NVIDIA/cutlass.git");
}

TEST_F(DepsResolveTest, NothingProvidesItEveryRouteSaysWhy) {
  net.pypi = false;
  net.git = false;
  lookup.fetch = true;
  DepStatus s = one("cutlass_4_5");
  EXPECT_EQ(s.state, DepStatus::State::missing);
  ASSERT_THAT(s.reasons, SizeIs(4));
  EXPECT_THAT(s.reasons[0], HasSubstr("no --dep cutlass_4_5=PATH, and CUTLASS_SRC_DIR is not set"));
  EXPECT_THAT(s.reasons[1], HasSubstr("cache: no entry"));
  EXPECT_THAT(s.reasons[2], HasSubstr("pypi: pip download nvidia-cutlass==4.5.2.0"));
  EXPECT_THAT(s.reasons[3], HasSubstr("git: git clone --depth 1 --branch v4.5.2"));
  EXPECT_THAT(s.reasons[3], HasSubstr("Remote branch v4.5.2 not found"));
  for (const auto& f : disk.all_files()) EXPECT_THAT(f, Not(HasSubstr(".stage-")));
  Error e = missing_dependency_error(s);
  EXPECT_THAT(e.message, HasSubstr("cutlass_4_5 (CUTLASS 4.5.2)"));
  EXPECT_THAT(e.message, HasSubstr("Remote branch v4.5.2 not found"));
}

TEST_F(DepsResolveTest, WithoutFetchingNothingRuns) {
  DepStatus s = one();
  EXPECT_EQ(s.state, DepStatus::State::missing);
  EXPECT_THAT(s.reasons.back(), HasSubstr("not tried here"));
  EXPECT_EQ(process.total_calls(), 0);
}

TEST_F(DepsResolveTest, AnotherVersionIsNeverStored) {
  net.served_version = "3.8.1";
  net.git = true;
  lookup.fetch = true;
  DepStatus s = one();
  EXPECT_EQ(s.state, DepStatus::State::missing);
  EXPECT_THAT(s.reasons, Contains(HasSubstr("holds CUTLASS 3.8.1, not 3.8.0")));
  EXPECT_FALSE(disk.has_dir(std::string(k_cache) + "/cutlass-3.8.0"));
}

TEST_F(DepsResolveTest, TimeoutIsNamed) {
  net.pypi = false;
  net.pip_exit = 124;
  net.git = false;
  lookup.fetch = true;
  env.set("KB_FETCH_TIMEOUT", "45");
  DepStatus s = one();
  EXPECT_THAT(s.reasons,
              Contains(AllOf(HasSubstr("longer than 45 s"), HasSubstr("KB_FETCH_TIMEOUT"))));
  EXPECT_EQ(process.log.front().argv[2], "45");
}

TEST_F(DepsResolveTest, PipRunsWithTheFirstPythonThatHasIt) {
  lookup.pythons = {"/usr/bin/python3", "/venv/bin/python"};
  net.python_has_pip = false;
  lookup.fetch = true;
  DepStatus s = one();
  EXPECT_EQ(s.route, DepRoute::pypi);
  EXPECT_EQ(net.pip_runs, 2);
  lookup.pythons = {"/usr/bin/python3"};
  disk.remove_all(k_cache).value();
  net.git = false;
  s = one();
  EXPECT_THAT(s.reasons, Contains(HasSubstr("no Python with pip")));
}

TEST_F(DepsResolveTest, NoCacheDirectoryMeansNoFetch) {
  lookup.cache_dir = "";
  lookup.fetch = true;
  DepStatus s = one();
  EXPECT_EQ(s.state, DepStatus::State::missing);
  EXPECT_THAT(s.reasons, Contains(HasSubstr("no cache directory")));
  EXPECT_EQ(process.total_calls(), 0);
}

}  // namespace
}  // namespace kb
