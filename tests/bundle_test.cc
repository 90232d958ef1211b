#include "kb/bundle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kb/bundle_files.h"
#include "kb/digest.h"
#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::ElementsAre;

class BundleTest : public ::testing::Test {
 protected:
  FakeDisk disk;
  BundleManifest m;

  void SetUp() override {
    disk.add_file("/k/torch-ext/relu/__init__.py", "from ._ops import ops\n");
    disk.add_file("/k/torch-ext/relu/sub/layers.py", "import torch\n");
    disk.add_file("/b/.kb/v/_relu_cpu_abc1234.abi3.so",
                  std::string("\x7f"
                              "ELF\0\1",
                              6),
                  true);
    m.stage_dir = "/b/.kb/stage/v";
    m.bundle_dir = "/b/v";
    m.copies = {{"/k/torch-ext/relu/__init__.py", "__init__.py"},
                {"/k/torch-ext/relu/sub/layers.py", "sub/layers.py"},
                {"/b/.kb/v/_relu_cpu_abc1234.abi3.so", "_relu_cpu_abc1234.abi3.so"}};
    m.generated = {{"_ops.py", arch_ops_py("_relu_cpu_abc1234")}};
    Config c = sample_config();
    m.metadata_json = render_metadata({.config = c,
                                       .backend = Backend::cpu,
                                       .ops_name = "_relu_cpu_abc1234",
                                       .archs = {},
                                       .kb_version = "0.1.0"});
    m.stamp = "/b/.kb/v/bundle.stamp";
  }
};

TEST_F(BundleTest, AssemblesTheBundle) {
  ASSERT_TRUE(assemble_bundle(m, disk).ok());
  EXPECT_EQ(disk.content("/b/v/__init__.py"), "from ._ops import ops\n");
  EXPECT_EQ(disk.content("/b/v/sub/layers.py"), "import torch\n");
  EXPECT_TRUE(disk.has_file("/b/v/_relu_cpu_abc1234.abi3.so"));
  EXPECT_EQ(disk.content("/b/v/_ops.py"), arch_ops_py("_relu_cpu_abc1234"));
  EXPECT_TRUE(disk.has_file("/b/.kb/v/bundle.stamp"));
  EXPECT_FALSE(disk.has_dir("/b/.kb/stage/v"));  // swapped in, nothing left behind

  auto meta = nlohmann::ordered_json::parse(disk.content("/b/v/metadata.json"));
  EXPECT_EQ(meta["id"], "_relu_cpu_abc1234");
  const auto& files = meta["digest"]["files"];
  std::vector<std::string> keys;
  for (auto it = files.begin(); it != files.end(); ++it) keys.push_back(it.key());
  EXPECT_THAT(keys,
              ElementsAre("__init__.py", "_ops.py", "_relu_cpu_abc1234.abi3.so", "sub/layers.py"));
  EXPECT_EQ(files["sub/layers.py"], sha256_base64("import torch\n"));
  EXPECT_EQ(files["_relu_cpu_abc1234.abi3.so"], sha256_base64(std::string("\x7f"
                                                                          "ELF\0\1",
                                                                          6)));
}

TEST_F(BundleTest, MetadataIsWrittenLastThenSwappedThenStamped) {
  ASSERT_TRUE(assemble_bundle(m, disk).ok());
  auto pos = [&](const std::string& entry) {
    auto it = std::find(disk.log.begin(), disk.log.end(), entry);
    EXPECT_NE(it, disk.log.end()) << entry;
    return it - disk.log.begin();
  };
  auto meta = pos("write /b/.kb/stage/v/metadata.json");
  EXPECT_LT(pos("write /b/.kb/stage/v/_ops.py"), meta);
  EXPECT_LT(
      pos("copy /b/.kb/v/_relu_cpu_abc1234.abi3.so -> /b/.kb/stage/v/_relu_cpu_abc1234.abi3.so"),
      meta);
  auto swap = pos("replace /b/.kb/stage/v -> /b/v");
  EXPECT_LT(meta, swap);
  EXPECT_LT(swap, pos("write /b/.kb/v/bundle.stamp"));
}

TEST_F(BundleTest, StaleFilesOfThePreviousBundleAndStageDisappear) {
  disk.add_file("/b/v/old_module.py", "old");
  disk.add_file("/b/.kb/stage/v/leftover.py", "from an interrupted run");
  ASSERT_TRUE(assemble_bundle(m, disk).ok());
  EXPECT_FALSE(disk.has_file("/b/v/old_module.py"));
  EXPECT_FALSE(disk.has_file("/b/v/leftover.py"));
  auto meta = nlohmann::ordered_json::parse(disk.content("/b/v/metadata.json"));
  EXPECT_FALSE(meta["digest"]["files"].contains("leftover.py"));
}

TEST_F(BundleTest, FailedCopyLeavesThePreviousBundleIntact) {
  disk.add_file("/b/v/__init__.py", "previous");
  disk.add_file("/b/v/metadata.json", "{\"id\": \"previous\"}");
  std::vector<std::string> before = disk.all_files();
  disk.fail_if = [](std::string_view op, const std::string& path) {
    return op == "copy" && path.find(".abi3.so") != std::string::npos;
  };
  auto r = assemble_bundle(m, disk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(disk.content("/b/v/__init__.py"), "previous");
  EXPECT_EQ(disk.content("/b/v/metadata.json"), "{\"id\": \"previous\"}");
  EXPECT_FALSE(disk.has_file("/b/.kb/v/bundle.stamp"));
  EXPECT_FALSE(disk.has_dir("/b/.kb/stage/v"));  // cleaned up
  // Nothing outside the stage changed.
  std::vector<std::string> after = disk.all_files();
  EXPECT_EQ(before, after);
}

TEST_F(BundleTest, FailedSwapLeavesThePreviousBundleIntact) {
  disk.add_file("/b/v/metadata.json", "previous");
  disk.fail_if = [](std::string_view op, const std::string&) { return op == "replace"; };
  ASSERT_FALSE(assemble_bundle(m, disk).ok());
  EXPECT_EQ(disk.content("/b/v/metadata.json"), "previous");
  EXPECT_FALSE(disk.has_file("/b/.kb/v/bundle.stamp"));
}

TEST_F(BundleTest, MissingSourceIsAnError) {
  m.copies.push_back({"/k/torch-ext/relu/gone.py", "gone.py"});
  EXPECT_FALSE(assemble_bundle(m, disk).ok());
  EXPECT_FALSE(disk.has_dir("/b/v"));
}

TEST_F(BundleTest, ManifestRoundTripsThroughJson) {
  std::string text = bundle_manifest_text(m);
  auto back = parse_bundle_manifest(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
  EXPECT_FALSE(parse_bundle_manifest("{}").ok());
  EXPECT_FALSE(parse_bundle_manifest("not json").ok());
  EXPECT_FALSE(parse_bundle_manifest(R"({"stage_dir": 1})").ok());
}

TEST_F(BundleTest, AssemblesFromAManifestFile) {
  disk.add_file("/b/.kb/v/bundle.json", bundle_manifest_text(m));
  ASSERT_TRUE(assemble_bundle_from_file("/b/.kb/v/bundle.json", disk).ok());
  EXPECT_TRUE(disk.has_file("/b/v/metadata.json"));
  EXPECT_FALSE(assemble_bundle_from_file("/b/.kb/v/missing.json", disk).ok());
}

TEST_F(BundleTest, RunningTwiceGivesTheSameBundle) {
  ASSERT_TRUE(assemble_bundle(m, disk).ok());
  std::string first = disk.content("/b/v/metadata.json");
  ASSERT_TRUE(assemble_bundle(m, disk).ok());
  EXPECT_EQ(disk.content("/b/v/metadata.json"), first);
}

TEST(FakeDiskTest, SymlinksAreFollowedAndResolved) {
  FakeDisk d;
  d.add_file("/opt/cuda-12.8/include/cuda_runtime.h", "h");
  d.add_file("/opt/cuda-12.8/bin/nvcc", "", /*executable=*/true);
  d.add_symlink("/opt/cuda", "cuda-12.8");  // relative to /opt
  d.add_symlink("/usr/include/cuda_runtime.h", "/opt/cuda/include/cuda_runtime.h");
  d.add_symlink("/loop", "/loop");
  EXPECT_TRUE(d.stat("/opt/cuda/bin/nvcc").is_executable);
  EXPECT_FALSE(d.stat("/opt/cuda/include/cuda_runtime.h").is_executable);
  EXPECT_EQ(*d.read_file("/usr/include/cuda_runtime.h"), "h");
  EXPECT_EQ(d.real_path("/usr/include/cuda_runtime.h"), "/opt/cuda-12.8/include/cuda_runtime.h");
  EXPECT_EQ(d.real_path("/opt/cuda/"), "/opt/cuda-12.8");
  EXPECT_THAT(*d.list_dir("/opt/cuda"), ElementsAre("bin", "include"));
  EXPECT_THAT(*d.list_dir("/opt"), ElementsAre("cuda", "cuda-12.8"));
  EXPECT_FALSE(d.stat("/loop").exists);
  EXPECT_EQ(d.real_path("/loop"), "/loop");
  d.cwd = "/opt";
  EXPECT_EQ(d.current_dir(), "/opt");
  EXPECT_EQ(d.real_path("cuda"), "/opt/cuda-12.8");
}

TEST(FakeDiskTest, BasicOperations) {
  FakeDisk d;
  ASSERT_TRUE(d.write_file_atomic("/a/b/c.txt", "x").ok());
  EXPECT_TRUE(d.has_dir("/a/b"));
  EXPECT_TRUE(d.stat("/a/b").is_dir);
  EXPECT_EQ(d.stat("/a/b/c.txt").size, 1);
  EXPECT_EQ(*d.write_if_changed("/a/b/c.txt", "x"), false);
  EXPECT_EQ(*d.write_if_changed("/a/b/c.txt", "y"), true);
  ASSERT_TRUE(d.make_dirs("/a/e").ok());
  EXPECT_THAT(*d.list_dir("/a"), ElementsAre("b", "e"));
  EXPECT_THAT(*d.list_files_recursive("/a"), ElementsAre("b/c.txt"));
  ASSERT_TRUE(d.copy_file("/a/b/c.txt", "/z/c.txt").ok());
  EXPECT_EQ(d.content("/z/c.txt"), "y");
  ASSERT_TRUE(d.remove_all("/a").ok());
  EXPECT_FALSE(d.exists("/a/b/c.txt"));
  EXPECT_FALSE(d.read_file("/a/b/c.txt").ok());
  ASSERT_TRUE(d.remove_all("/missing").ok());
}

TEST(FakeProcessTest, CannedAnswersAndCounts) {
  FakeProcess p;
  p.on({"nvcc", "--version"}, "Cuda compilation tools, release 13.0\n");
  auto r = p.capture({"nvcc", "--version"}, Environment{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "Cuda compilation tools, release 13.0\n");
  EXPECT_FALSE(p.capture({"hipcc", "--version"}, Environment{}).ok());
  EXPECT_EQ(p.calls({"nvcc", "--version"}), 1);
  EXPECT_EQ(p.total_calls(), 2);
  FakeDisk d;
  p.on_run({"ninja"}, 0, [&] { (void)d.write_file_atomic("/b/out.so", "so"); });
  auto code = p.run_attached({"ninja"}, Environment{}, "/b");
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->exit_code, 0);
  EXPECT_EQ(code->kb_signal, 0);
  EXPECT_TRUE(d.has_file("/b/out.so"));
  EXPECT_EQ(p.log.back().cwd, "/b");
}

}  // namespace
}  // namespace kb
