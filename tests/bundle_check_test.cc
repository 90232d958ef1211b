// check_bundle on in-memory bundles, find_stale, and check_build_tree over the fake disk.

#include "kb/bundle_check.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kb/bundle_files.h"
#include "kb/digest.h"
#include "tests/fakes.h"

namespace kb {
namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

constexpr const char* k_cuda = "torch211-cxx11-cu130-x86_64-linux";
constexpr const char* k_cpu = "torch211-cxx11-cpu-x86_64-linux";

// A complete bundle of `relu` for `backend` with unique id `uid`: its files and metadata text.
std::pair<Files, std::string> bundle(const std::string& backend, const std::string& uid,
                                     bool noarch = false) {
  const std::string id = "_relu_" + backend + "_" + uid;
  Files files{{"__init__.py", "from ._ops import ops\n"},
              {"_ops.py", noarch ? noarch_ops_py("relu", uid) : arch_ops_py(id)}};
  if (!noarch)
    files.push_back({id + ".abi3.so",
                     "\x7f"
                     "ELF..."});
  nlohmann::json digest_files = nlohmann::json::object();
  for (const auto& [path, hash] : compute_digest(files).files) digest_files[path] = hash;
  nlohmann::json m = {{"name", "relu"},
                      {"id", id},
                      {"version", 1},
                      {"license", "Apache-2.0"},
                      {"python-depends", nlohmann::json::array()},
                      {"kernel-depends", nlohmann::json::array()},
                      {"backend", {{"type", backend}}},
                      {"digest", {{"algorithm", "sha256"}, {"files", digest_files}}},
                      {"provenance",
                       {{"kernel-builder", {{"version", "kb 0.1"}}},
                        {"kernel", {{"commit", std::string(40, 'a')}, {"dirty", false}}}}}};
  return {files, m.dump(2)};
}

std::vector<std::string> problem_files(const BundleCheck& c) {
  std::vector<std::string> out;
  for (const auto& p : c.problems) out.push_back(p.file);
  return out;
}

TEST(CheckBundle, CompleteArchAndNoarchBundlesPass) {
  auto [files, meta] = bundle("cuda", "abc1234");
  BundleCheck c = check_bundle(k_cuda, files, meta);
  EXPECT_TRUE(c.complete()) << c.problems.front().file << ": " << c.problems.front().message;
  EXPECT_EQ(c.id, "_relu_cuda_abc1234");
  EXPECT_EQ(c.unique_id, "abc1234");
  EXPECT_EQ(format_bundle_line(c), std::string("ok: ") + k_cuda + " (_relu_cuda_abc1234)");

  auto [nfiles, nmeta] = bundle("cuda", "abc1234", /*noarch=*/true);
  BundleCheck n = check_bundle("torch-cuda", nfiles, nmeta);
  EXPECT_TRUE(n.complete()) << n.problems.front().file << ": " << n.problems.front().message;
}

TEST(CheckBundle, ChangedMissingAndAddedFilesAreNamed) {
  auto [files, meta] = bundle("cuda", "abc1234");
  files[0].second += "# edited\n";    // __init__.py changed
  files.push_back({"extra.py", ""});  // added after the build
  files.erase(files.begin() + 2);     // the .so removed
  BundleCheck c = check_bundle(k_cuda, files, meta);
  EXPECT_FALSE(c.complete());
  EXPECT_EQ(problem_files(c), (std::vector<std::string>{"__init__.py", "_relu_cuda_abc1234.abi3.so",
                                                        "extra.py", "_relu_cuda_abc1234.abi3.so"}));
  EXPECT_EQ(c.problems[0].message, "content differs from the digest");
  EXPECT_EQ(c.problems[1].message, "listed in the digest but missing");
  EXPECT_EQ(c.problems[2].message, "not in the digest (added after the build)");
  EXPECT_EQ(format_bundle_line(c),
            std::string("INCOMPLETE: ") + k_cuda +
                ": __init__.py: content differs from the digest (and 3 more)");
}

TEST(CheckBundle, CachesAreOutsideTheDigest) {
  auto [files, meta] = bundle("cpu", "abc1234");
  files.push_back({"__pycache__/_ops.cpython-311.pyc", "bytecode"});
  EXPECT_TRUE(check_bundle(k_cpu, files, meta).complete());
}

TEST(CheckBundle, OpsPyMustNameTheId) {
  auto [files, meta] = bundle("cpu", "abc1234");
  files[1].second = arch_ops_py("_relu_cpu_0ld1d00");
  // Re-digest so only the id mismatch remains.
  auto m = nlohmann::json::parse(meta);
  for (const auto& [path, hash] : compute_digest(files).files) m["digest"]["files"][path] = hash;
  BundleCheck c = check_bundle(k_cpu, files, m.dump());
  ASSERT_EQ(c.problems.size(), 1u);
  EXPECT_EQ(c.problems[0],
            (BundleProblem{"_ops.py", "does not name metadata \"id\" '_relu_cpu_abc1234'"}));
}

TEST(CheckBundle, MetadataIsCheckedAgainstTheReferenceSchema) {
  auto [files, meta] = bundle("cpu", "abc1234");
  auto m = nlohmann::json::parse(meta);
  EXPECT_EQ(check_bundle(k_cpu, files, "{not json").problems,
            (std::vector<BundleProblem>{{"metadata.json", "is no JSON"}}));

  auto with = [&](auto edit) {
    auto copy = m;
    edit(copy);
    return check_bundle(k_cpu, files, copy.dump()).problems.front().message;
  };
  EXPECT_EQ(with([](auto& j) { j.erase("license"); }), "no \"license\"");
  EXPECT_EQ(with([](auto& j) { j["version"] = "1"; }), "\"version\" is no non-negative integer");
  EXPECT_EQ(with([](auto& j) { j["name"] = "Relu"; }),
            "\"name\" is no kernel name (^[a-z][-a-z0-9]*[a-z0-9]$)");
  EXPECT_EQ(with([](auto& j) { j["backend"]["type"] = "tensorcore"; }),
            "\"backend.type\" is no backend (cann cpu cuda metal neuron rocm tpu xpu)");
  EXPECT_EQ(with([](auto& j) { j["backend"]["archs"] = {8.0}; }),
            "\"backend.archs\" is no list of strings");
  EXPECT_EQ(with([](auto& j) { j["provenance"]["kernel"].erase("dirty"); }),
            "\"provenance.kernel\": commit and dirty must appear together");
  EXPECT_EQ(with([](auto& j) { j["provenance"]["kernel"]["commit"] = "ABC"; }),
            "\"provenance.kernel.commit\" is no lowercase 40 or 64 hex object id");
  EXPECT_EQ(with([](auto& j) { j.erase("digest"); }),
            "no \"digest\" (kb and the Nix builds always write one)");
  EXPECT_EQ(with([](auto& j) { j["digest"]["algorithm"] = "md5"; }),
            "digest algorithm 'md5' is neither sha256 nor sha512");
  EXPECT_EQ(with([](auto& j) { j["id"] = "_relu_cuda_abc1234"; }),
            "\"id\" '_relu_cuda_abc1234' is not _relu_cpu_<unique id>");
  EXPECT_EQ(with([](auto& j) {
              j["backend"]["type"] = "cuda";
              j["id"] = "_relu_cuda_abc1234";
            }),
            "\"backend.type\" is cuda, the directory name says cpu");
}

TEST(ForeignReason, NamesAndMetadata) {
  EXPECT_EQ(foreign_reason(k_cuda, true), std::nullopt);
  EXPECT_EQ(foreign_reason("torch-cuda", true), std::nullopt);
  EXPECT_EQ(foreign_reason(k_cuda, false), "no metadata.json");
  auto stray = foreign_reason("my-notes", true);
  ASSERT_TRUE(stray.has_value());
  EXPECT_TRUE(stray->starts_with("not a variant name: ")) << *stray;
}

BundleCheck checked(const std::string& variant, const std::string& uid, int64_t mtime) {
  BundleCheck c;
  c.variant = variant;
  c.unique_id = uid;
  c.id = "_relu_cpu_" + uid;
  c.metadata_mtime_ns = mtime;
  return c;
}

TEST(FindStale, TheNewestBundleSetsTheUniqueId) {
  std::vector<BundleCheck> checks{checked(k_cpu, "old0001", 10), checked(k_cuda, "new0002", 20),
                                  checked("torch212-cxx11-cpu-x86_64-linux", "new0002", 15)};
  find_stale(checks, nullptr);
  ASSERT_TRUE(checks[0].stale.has_value());
  EXPECT_EQ(*checks[0].stale, std::string("unique id old0001, the newest bundle (") + k_cuda +
                                  ") has new0002: an older build");
  EXPECT_FALSE(checks[1].stale);
  EXPECT_FALSE(checks[2].stale);
  EXPECT_EQ(format_bundle_line(checks[0]),
            std::string("stale: ") + k_cpu + ": " + *checks[0].stale);
}

TEST(FindStale, WhatTheConfigNoLongerAsksFor) {
  auto config = parse_config(R"(
[general]
name = "relu"
version = 1
edition = 5
license = "Apache-2.0"
backends = ["cpu"]
[torch]
src = ["torch-ext/torch_binding.cpp"]
minver = "2.11"
[kernel.relu_cpu]
backend = "cpu"
depends = []
src = ["relu_cpu/relu.cpp"]
)",
                             "build.toml");
  ASSERT_TRUE(config.ok()) << config.errors().list[0].message;
  std::vector<BundleCheck> checks{checked(k_cpu, "a", 1), checked(k_cuda, "a", 1),
                                  checked("torch210-cxx11-cpu-x86_64-linux", "a", 1),
                                  checked("torch-cpu", "a", 1)};
  find_stale(checks, &*config);
  EXPECT_FALSE(checks[0].stale);
  EXPECT_EQ(checks[1].stale, "cuda is not in general.backends");
  EXPECT_EQ(checks[2].stale, "Torch 2.10 is outside [torch] minver/maxver");
  EXPECT_EQ(checks[3].stale, "noarch, but build.toml has [kernel.*] sections for cpu");
}

TEST(CheckBuildTree, WalksTheBuildDirAndReportsForeignDirectories) {
  FakeDisk disk;
  auto [files, meta] = bundle("cpu", "abc1234");
  for (const auto& [path, bytes] : files)
    disk.add_file(std::string("/k/build/") + k_cpu + "/" + path, bytes);
  disk.add_file(std::string("/k/build/") + k_cpu + "/metadata.json", meta);
  disk.add_file("/k/build/.kb/torch211-cxx11-cpu-x86_64-linux/bundle.json", "{}");
  disk.add_file("/k/build/CARD.md", "# relu");
  disk.add_dir("/k/build/benchmarks");
  disk.add_dir("/k/build/scratch");
  disk.add_dir("/k/build/torch211-cxx11-cu130-x86_64-linux");
  auto r = check_build_tree(disk, "/k", nullptr);
  ASSERT_TRUE(r.ok()) << r.errors().list[0].message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].variant, "scratch");
  EXPECT_TRUE(format_bundle_line((*r)[0]).starts_with("foreign: scratch: not a variant name: "));
  EXPECT_TRUE((*r)[1].complete());
  EXPECT_EQ((*r)[1].dir, std::string("/k/build/") + k_cpu);
  EXPECT_EQ(format_bundle_line((*r)[2]),
            "foreign: torch211-cxx11-cu130-x86_64-linux: no metadata.json");

  // The build dir itself works as well; one bundle is no build dir.
  auto direct = check_build_tree(disk, "/k/build", nullptr);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->size(), 3u);
  EXPECT_FALSE(check_build_tree(disk, std::string("/k/build/") + k_cpu, nullptr).ok());
  FakeDisk unbuilt;
  unbuilt.add_file("/u/build.toml", "");
  unbuilt.add_dir("/u/torch-ext");
  auto none = check_build_tree(unbuilt, "/u", nullptr);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.errors().list[0].message, "no build directory: /u/build");
  FakeDisk empty;
  empty.add_dir("/e/build");
  EXPECT_FALSE(check_build_tree(empty, "/e", nullptr).ok());
}

TEST(CheckBuildTree, JsonNamesStateAndProblems) {
  auto [files, meta] = bundle("cpu", "abc1234");
  files.push_back({"late.py", ""});
  std::vector<BundleCheck> checks{check_bundle(k_cpu, files, meta)};
  auto j = nlohmann::json::parse(format_bundle_checks_json(checks));
  EXPECT_EQ(j[0]["state"], "incomplete");
  EXPECT_EQ(j[0]["problems"][0]["file"], "late.py");
  EXPECT_TRUE(j[0]["stale"].is_null());
}

}  // namespace
}  // namespace kb
