// merge_bundles over the fake disk: bundles of one build merge, mixes and tampered bundles are
// refused before anything is written, and the output never loses what it held.

#include "kb/bundle_merge.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kb/bundle_files.h"
#include "kb/digest.h"
#include "tests/fakes.h"

namespace kb {
namespace {

constexpr const char* k_cuda = "torch211-cxx11-cu130-x86_64-linux";
constexpr const char* k_cpu = "torch211-cxx11-cpu-x86_64-linux";
const std::string k_commit(40, 'a');

struct BundleSpec {
  std::string backend = "cpu";
  std::string uid = "abc1234";
  std::string name = "relu";
  std::string commit = k_commit;
  std::string so_bytes =
      "\x7f"
      "ELF...";
};

// Writes a complete bundle `spec` into `dir` on `disk`.
void add_bundle(FakeDisk& disk, const std::string& dir, const BundleSpec& spec) {
  std::string module = spec.name;
  for (char& c : module)
    if (c == '-') c = '_';
  const std::string id = "_" + module + "_" + spec.backend + "_" + spec.uid;
  std::vector<std::pair<std::string, std::string>> files{{"__init__.py", "from ._ops import ops\n"},
                                                         {"_ops.py", arch_ops_py(id)},
                                                         {id + ".abi3.so", spec.so_bytes}};
  nlohmann::json digest_files = nlohmann::json::object();
  for (const auto& [path, hash] : compute_digest(files).files) digest_files[path] = hash;
  nlohmann::json m = {{"name", spec.name},
                      {"id", id},
                      {"version", 1},
                      {"license", "Apache-2.0"},
                      {"backend", {{"type", spec.backend}}},
                      {"digest", {{"algorithm", "sha256"}, {"files", digest_files}}},
                      {"provenance", {{"kernel", {{"commit", spec.commit}, {"dirty", false}}}}}};
  for (const auto& [rel, bytes] : files) disk.add_file(dir + "/" + rel, bytes);
  disk.add_file(dir + "/metadata.json", m.dump(2));
}

// The bundle files below `dir` (relative path -> content).
std::map<std::string, std::string> tree(const FakeDisk& disk, const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& f : disk.all_files())
    if (f.starts_with(dir + "/")) out[f.substr(dir.size() + 1)] = disk.content(f);
  return out;
}

std::string first_error(const Result<MergeOutcome>& r) {
  return r ? std::string("(no error)") : r.errors().list.front().message;
}

TEST(BundleIdentity, ReadsNameUniqueIdAndProvenance) {
  FakeDisk disk;
  add_bundle(disk, "/a/" + std::string(k_cpu), {.name = "fused-ops"});
  auto id = bundle_identity(disk.content("/a/" + std::string(k_cpu) + "/metadata.json"));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->name, "fused-ops");
  EXPECT_EQ(id->unique_id, "abc1234");
  EXPECT_EQ(id->commit, k_commit);
  EXPECT_EQ(id->dirty, "false");
  EXPECT_FALSE(bundle_identity("[1]").ok());
  EXPECT_FALSE(bundle_identity(R"({"name": "relu"})").ok());
}

TEST(BundleIdentity, DifferenceNamesTheFirstFieldWithBothValues) {
  BundleIdentity a{"relu", "abc", "c1", "false"};
  EXPECT_EQ(identity_difference(a, a), std::nullopt);
  BundleIdentity b = a;
  b.unique_id = "def";
  EXPECT_EQ(identity_difference(a, b), "unique id (def vs abc)");
  b = a;
  b.commit = "";
  EXPECT_EQ(identity_difference(a, b), "source commit (none vs c1)");
  b.name = "gelu";
  EXPECT_EQ(identity_difference(a, b), "kernel name (gelu vs relu)");
}

TEST(MergeBundles, MergesTwoOutDirsIntoANewBuildDir) {
  FakeDisk disk;
  add_bundle(disk, "/r1/" + std::string(k_cpu), {});
  add_bundle(disk, "/r2/" + std::string(k_cuda), {.backend = "cuda"});
  disk.add_dir("/r1/.kb");  // a kb build's work dir: hidden, ignored
  disk.add_file("/r1/compile_commands.json", "[]");
  auto r = merge_bundles({"/r1", "/r2"}, "/out", disk);
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r->added, (std::vector<std::string>{k_cpu, k_cuda}));
  EXPECT_TRUE(r->unchanged.empty());
  EXPECT_EQ(tree(disk, "/out/" + std::string(k_cpu)), tree(disk, "/r1/" + std::string(k_cpu)));
  EXPECT_EQ(tree(disk, "/out/" + std::string(k_cuda)), tree(disk, "/r2/" + std::string(k_cuda)));
  // Each variant came in through one rename from a stage, which is gone afterwards.
  int replaces = 0;
  for (const auto& line : disk.log) replaces += line.starts_with("replace /out/.kb-merge-");
  EXPECT_EQ(replaces, 2);
  for (const auto& f : disk.all_files()) EXPECT_FALSE(f.starts_with("/out/.kb-merge-")) << f;
}

TEST(MergeBundles, TakesKernelDirsSingleBundlesAndSkipsForeignDirs) {
  FakeDisk disk;
  disk.add_file("/k/build.toml", "");
  add_bundle(disk, "/k/build/" + std::string(k_cpu), {});
  disk.add_dir("/k/build/notes");  // no variant name: skipped with a note
  add_bundle(disk, "/artifact/" + std::string(k_cuda), {.backend = "cuda"});
  disk.add_file("/artifact/" + std::string(k_cuda) + "/__pycache__/_ops.cpython-312.pyc", "bc");
  auto r = merge_bundles({"/k", "/artifact/" + std::string(k_cuda)}, "/out", disk);
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r->added, (std::vector<std::string>{k_cpu, k_cuda}));
  ASSERT_EQ(r->skipped.size(), 1u);
  EXPECT_TRUE(r->skipped[0].starts_with("/k/build/notes: not a variant name")) << r->skipped[0];
  EXPECT_FALSE(disk.has_file("/out/" + std::string(k_cuda) + "/__pycache__/_ops.cpython-312.pyc"));
}

TEST(MergeBundles, RefusesBundlesOfDifferentBuildsNamingVariantAndField) {
  FakeDisk disk;
  add_bundle(disk, "/r1/" + std::string(k_cpu), {});
  add_bundle(disk, "/r2/" + std::string(k_cuda), {.backend = "cuda", .uid = "fff0000"});
  auto r = merge_bundles({"/r1", "/r2"}, "/out", disk);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors().list.size(), 1u);
  const std::string msg = first_error(r);
  EXPECT_NE(msg.find(k_cuda), std::string::npos) << msg;
  EXPECT_NE(msg.find("unique id (fff0000 vs abc1234)"), std::string::npos) << msg;
  EXPECT_FALSE(disk.has_dir("/out"));  // nothing written

  FakeDisk kernels;
  add_bundle(kernels, "/r1/" + std::string(k_cpu), {});
  add_bundle(kernels, "/r2/" + std::string(k_cuda), {.backend = "cuda", .name = "gelu"});
  auto mixed = merge_bundles({"/r1", "/r2"}, "/out", kernels);
  EXPECT_NE(first_error(mixed).find("kernel name (gelu vs relu)"), std::string::npos)
      << first_error(mixed);

  FakeDisk commits;
  add_bundle(commits, "/r1/" + std::string(k_cpu), {});
  add_bundle(commits, "/r2/" + std::string(k_cuda),
             {.backend = "cuda", .commit = std::string(40, 'b')});
  EXPECT_NE(first_error(merge_bundles({"/r1", "/r2"}, "/out", commits)).find("source commit"),
            std::string::npos);
}

TEST(MergeBundles, RefusesATamperedBundleNamingTheFile) {
  FakeDisk disk;
  add_bundle(disk, "/r1/" + std::string(k_cpu), {});
  add_bundle(disk, "/r2/" + std::string(k_cuda), {.backend = "cuda"});
  disk.add_file("/r2/" + std::string(k_cuda) + "/__init__.py", "import os\n");
  auto r = merge_bundles({"/r1", "/r2"}, "/out", disk);
  const std::string msg = first_error(r);
  EXPECT_NE(msg.find(k_cuda), std::string::npos) << msg;
  EXPECT_NE(msg.find("__init__.py: content differs from the digest"), std::string::npos) << msg;
  EXPECT_FALSE(disk.has_dir("/out"));

  FakeDisk broken;
  add_bundle(broken, "/r1/" + std::string(k_cpu), {});
  broken.add_file("/r1/" + std::string(k_cpu) + "/metadata.json", "{not json");
  EXPECT_NE(first_error(merge_bundles({"/r1"}, "/out", broken)).find("metadata.json: is no JSON"),
            std::string::npos);
}

TEST(MergeBundles, OneVariantTwiceIsFineWhenIdenticalAndRefusedWhenNot) {
  FakeDisk disk;
  add_bundle(disk, "/r1/" + std::string(k_cpu), {});
  add_bundle(disk, "/r2/" + std::string(k_cpu), {});
  auto same = merge_bundles({"/r1", "/r2"}, "/out", disk);
  ASSERT_TRUE(same.ok()) << first_error(same);
  EXPECT_EQ(same->added, (std::vector<std::string>{k_cpu}));

  FakeDisk differ;
  add_bundle(differ, "/r1/" + std::string(k_cpu), {});
  add_bundle(differ, "/r2/" + std::string(k_cpu), {.so_bytes = "other code"});
  auto r = merge_bundles({"/r1", "/r2"}, "/out", differ);
  const std::string msg = first_error(r);
  EXPECT_NE(msg.find(std::string("variant ") + k_cpu + " is given twice with different content"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("their files differ"), std::string::npos) << msg;
}

TEST(MergeBundles, KeepsWhatTheOutputHeld) {
  FakeDisk disk;
  add_bundle(disk, "/r1/" + std::string(k_cpu), {});
  add_bundle(disk, "/r2/" + std::string(k_cuda), {.backend = "cuda"});
  // The output already has the CPU variant, identical, and a file of the user's.
  add_bundle(disk, "/out/" + std::string(k_cpu), {});
  disk.add_file("/out/README", "mine");
  auto r = merge_bundles({"/r1", "/r2"}, "/out", disk);
  ASSERT_TRUE(r.ok()) << first_error(r);
  EXPECT_EQ(r->added, (std::vector<std::string>{k_cuda}));
  EXPECT_EQ(r->unchanged, (std::vector<std::string>{k_cpu}));
  EXPECT_EQ(disk.content("/out/README"), "mine");

  // An existing variant with other content is never replaced.
  FakeDisk other;
  add_bundle(other, "/r1/" + std::string(k_cpu), {});
  add_bundle(other, "/out/" + std::string(k_cpu), {.so_bytes = "older code"});
  const std::string before = other.content("/out/" + std::string(k_cpu) + "/metadata.json");
  auto refused = merge_bundles({"/r1"}, "/out", other);
  EXPECT_NE(first_error(refused).find("exists with other content"), std::string::npos)
      << first_error(refused);
  EXPECT_EQ(other.content("/out/" + std::string(k_cpu) + "/metadata.json"), before);

  // An output holding a bundle of another build would become a mix.
  FakeDisk stale;
  add_bundle(stale, "/r1/" + std::string(k_cpu), {});
  add_bundle(stale, "/out/" + std::string(k_cuda), {.backend = "cuda", .uid = "0ld0000"});
  auto mixed = merge_bundles({"/r1"}, "/out", stale);
  EXPECT_NE(first_error(mixed).find("the output's bundle " + std::string(k_cuda)),
            std::string::npos)
      << first_error(mixed);
}

TEST(MergeBundles, AFailedRenameKeepsEarlierVariantsAndRemovesTheStage) {
  FakeDisk disk;
  add_bundle(disk, "/r1/" + std::string(k_cpu), {});
  add_bundle(disk, "/r2/" + std::string(k_cuda), {.backend = "cuda"});
  disk.fail_if = [](std::string_view op, const std::string& path) {
    return op == "replace" && path.ends_with(k_cuda);
  };
  auto r = merge_bundles({"/r1", "/r2"}, "/out", disk);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(disk.has_file("/out/" + std::string(k_cpu) + "/metadata.json"));
  EXPECT_FALSE(disk.has_dir("/out/" + std::string(k_cuda)));
  for (const auto& f : disk.all_files()) EXPECT_FALSE(f.starts_with("/out/.kb-merge-")) << f;
}

TEST(MergeBundles, FailsOnAnInputWithoutBundles) {
  FakeDisk disk;
  disk.add_dir("/empty");
  EXPECT_NE(first_error(merge_bundles({"/empty"}, "/out", disk)).find("no bundle in /empty"),
            std::string::npos);
  EXPECT_NE(first_error(merge_bundles({"/missing"}, "/out", disk)).find("no such directory"),
            std::string::npos);
  EXPECT_FALSE(merge_bundles({}, "/out", disk).ok());
}

}  // namespace
}  // namespace kb
