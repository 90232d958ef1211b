// The pipeline on a FakeDisk and FakeProcess: load_config (what is read as build.toml and
// what src may name), prepare_build (what a failed plan tells about the toolchains the user
// named) and the commands of kb/pipeline.h.

#include "kb/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::HasSubstr;

const char* k_build_toml = R"(
[general]
name = "tiny-kernel"
version = 1
edition = 5
license = "Apache-2.0"
backends = ["cpu"]

[torch]
src = ["torch-ext/b.cpp"]

[kernel.k_cpu]
backend = "cpu"
depends = []
src = ["cpu/k.cpp", "cpu/k.h"]
)";

FakeDisk kernel() {
  FakeDisk disk;
  disk.add_file("/k/build.toml", k_build_toml);
  disk.add_file("/k/torch-ext/b.cpp", "");
  disk.add_file("/k/cpu/k.cpp", "");
  disk.add_file("/k/cpu/k.h", "");
  return disk;
}

TEST(LoadConfig, RegularFilesLoad) {
  FakeDisk disk = kernel();
  auto c = load_config("/k", disk);
  ASSERT_TRUE(c.ok()) << format_error(c.errors().list[0]);
  EXPECT_EQ(c->name, "tiny-kernel");
}

// A compiler reading a FIFO would wait for a writer for ever: refused with its location.
TEST(LoadConfig, SourceThatIsNoRegularFileIsAnErrorAtItsEntry) {
  FakeDisk disk;
  disk.add_file("/k/build.toml", k_build_toml);
  disk.add_file("/k/torch-ext/b.cpp", "");
  disk.add_special("/k/cpu/k.cpp", "a FIFO");
  disk.add_special("/k/cpu/k.h", "a character device");
  auto c = load_config("/k", disk);
  ASSERT_FALSE(c.ok());
  const auto& errors = c.errors().list;
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message, "'cpu/k.cpp' named in [kernel.k_cpu] src is not a regular file");
  ASSERT_TRUE(errors[0].loc);
  EXPECT_EQ(errors[0].loc->file, "/k/build.toml");
  EXPECT_EQ(errors[0].loc->line, 15);
  EXPECT_EQ(errors[0].loc->col, 8);
  EXPECT_EQ(errors[1].message, "'cpu/k.h' named in [kernel.k_cpu] src is not a regular file");
}

TEST(LoadConfig, BuildTomlThatIsNoRegularFileIsAnError) {
  FakeDisk disk;
  disk.add_special("/k/build.toml", "a FIFO");
  auto c = load_config("/k", disk);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.errors().list[0].message.find("a FIFO, not a regular file"), std::string::npos);
}

TEST(LoadConfig, BuildTomlLargerThanTheLimitIsAnError) {
  FakeDisk disk;
  disk.add_file("/k/build.toml", std::string(static_cast<size_t>(k_max_build_toml_bytes) + 1, '#'));
  auto c = load_config("/k", disk);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.errors().list[0].message.find("more than"), std::string::npos);
  disk.add_file("/k/f.toml", std::string(static_cast<size_t>(k_max_build_toml_bytes) + 1, '#'));
  EXPECT_FALSE(load_config_file("/k/f.toml", disk).ok());
}

// A CPU kernel in /k, and KB_TORCH naming /venv, whose python cannot import torch.
struct BrokenTorchMachine {
  FakeDisk disk;
  FakeProcess process;
  Environment env;
  BrokenTorchMachine() {
    disk.add_file("/k/build.toml", R"(
[general]
name = "tiny"
version = 1
edition = 5
license = "Apache-2.0"
backends = ["cpu"]

[torch]
src = ["torch-ext/b.cpp"]

[kernel.k_cpu]
backend = "cpu"
depends = []
src = ["cpu/k.cpp"]
)");
    disk.add_file("/k/torch-ext/b.cpp", "");
    disk.add_file("/k/cpu/k.cpp", "");
    disk.add_file("/k/torch-ext/tiny/__init__.py", "");
    disk.add_file("/venv/bin/python", "", true);
    process.fallback = [](const std::vector<std::string>&) -> Result<Captured> {
      return Captured{1, "", "ImportError: libtorch_cpu.so: cannot open shared object file\n"};
    };
    env.set("KB_TORCH", "/venv");
    env.set("PATH", "");
  }
  Result<PreparedBuild> prepare(std::vector<std::string> variants) {
    Request req = default_request("/k", MachineFacts{});
    req.variants = std::move(variants);
    req.query.use_cache = false;
    Io io{disk, process, env};
    return prepare_build(req, io);
  }
};

std::string all(const Errors& errors) {
  std::string out;
  for (const auto& e : errors.list) out += format_error(e) + "\n";
  return out;
}

TEST(PrepareBuild, NoVariantNamesTheBrokenTorchTheUserGave) {
  BrokenTorchMachine m;
  auto r = m.prepare({});
  ASSERT_FALSE(r.ok());
  std::string text = all(r.errors());
  EXPECT_THAT(text, HasSubstr("no variant of 'tiny' can be built"));
  EXPECT_THAT(text, HasSubstr("/venv/bin/python (from KB_TORCH) cannot be used"));
  EXPECT_THAT(text, HasSubstr("ImportError"));
}

TEST(PrepareBuild, UnknownVariantNamesTheBrokenTorchTheUserGave) {
  // `kb build --variant torch211-cxx11-cpu-x86_64-linux` said only "unknown variant".
  BrokenTorchMachine m;
  auto r = m.prepare({"torch211-cxx11-cpu-x86_64-linux"});
  ASSERT_FALSE(r.ok());
  std::string text = all(r.errors());
  EXPECT_THAT(text, HasSubstr("unknown variant 'torch211-cxx11-cpu-x86_64-linux'"));
  EXPECT_THAT(text, HasSubstr("/venv/bin/python (from KB_TORCH) cannot be used"));
}

// What a command showed the user, one line per finding or progress report.
struct RecordingStatus : Status {
  std::vector<std::string> lines;
  void finding(const Error& e, std::string_view label) override {
    lines.push_back(format_error(e, label));
  }
  void progress(std::string_view text) override { lines.emplace_back(text); }
  void detail(std::string_view text) override { lines.emplace_back(text); }
};

Request request_for(const std::string& command, BuildBackend backend = BuildBackend::native) {
  Request r = default_request("/k", MachineFacts{});
  r.command = command;
  r.kernel_dir_given = "/k";
  r.backend = backend;
  r.query.use_cache = false;
  r.lock_owner = "1";
  return r;
}

TEST(Commands, CheckConfigReadsTheDirAsGiven) {
  FakeDisk disk = kernel();
  FakeProcess process;
  Environment env;
  Io io{disk, process, env};
  Request r = request_for("check-config");
  auto c = command::check_config(r, io);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->path, "/k/build.toml");
  r.kernel_dir_given = "/elsewhere";
  auto missing = command::check_config(r, io);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.errors().list.front().message, "no build.toml in '/elsewhere'");
}

TEST(Commands, BuildOfADirWithoutBuildTomlMakesNoBuildDir) {
  FakeDisk disk;
  disk.add_dir("/k");
  FakeProcess process;
  Environment env;
  Io io{disk, process, env};
  auto b = command::build(request_for("build"), io);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.errors().list.front().message, HasSubstr("no build.toml"));
  EXPECT_TRUE(disk.log.empty()) << disk.log.front();
  EXPECT_EQ(process.total_calls(), 0);
}

TEST(Commands, BuildFailsWithTheBrokenTorchAfterLockingTheBuildDir) {
  BrokenTorchMachine m;
  RecordingStatus status;
  Io io{m.disk, m.process, m.env, status};
  auto b = command::build(request_for("build"), io);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(all(b.errors()), HasSubstr("/venv/bin/python (from KB_TORCH) cannot be used"));
  EXPECT_FALSE(m.disk.log.empty());
  EXPECT_THAT(m.disk.log.front(), HasSubstr("/k/build/.kb"));
  EXPECT_TRUE(status.lines.empty());
}

TEST(Commands, DryRunTakesNoLock) {
  BrokenTorchMachine m;
  Io io{m.disk, m.process, m.env};
  Request r = request_for("build");
  r.dry_run = true;
  EXPECT_FALSE(command::build(r, io).ok());
  for (const auto& op : m.disk.log) EXPECT_THAT(op, ::testing::Not(HasSubstr("lock"))) << op;
}

TEST(Commands, TestWithoutTestsFailsBeforeBuilding) {
  BrokenTorchMachine m;
  Io io{m.disk, m.process, m.env};
  auto t = command::test_kernel(request_for("test"), io);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.errors().list.front().message, "no tests/ directory in /k");
  EXPECT_EQ(m.process.total_calls(), 0) << "no toolchain was probed";
}

TEST(Commands, DevelopWithoutATorchSaysHowToNameOne) {
  BrokenTorchMachine m;
  Io io{m.disk, m.process, m.env};
  auto d = command::develop(request_for("develop"), io);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.errors().list.front().message, "no Torch install found");
}

TEST(Commands, CleanWithoutKbOutputsDoesNothing) {
  FakeDisk disk = kernel();
  FakeProcess process;
  Environment env;
  Io io{disk, process, env};
  EXPECT_TRUE(command::clean(request_for("clean"), io).ok());
  EXPECT_TRUE(disk.log.empty());
}

TEST(Commands, CleanRemovesWhatKbMade) {
  FakeDisk disk = kernel();
  disk.add_file("/k/build/.kb/variants.txt", "torch211-cxx11-cpu-x86_64-linux\n");
  disk.add_file("/k/build/torch211-cxx11-cpu-x86_64-linux/__init__.py", "");
  disk.add_file("/k/build/mine.txt", "");
  FakeProcess process;
  Environment env;
  Io io{disk, process, env};
  ASSERT_TRUE(command::clean(request_for("clean"), io).ok());
  EXPECT_FALSE(disk.exists("/k/build/torch211-cxx11-cpu-x86_64-linux"));
  EXPECT_FALSE(disk.exists("/k/build/.kb/variants.txt"));
  EXPECT_TRUE(disk.exists("/k/build/mine.txt"));
}

TEST(Commands, MatrixWithNixAsksTheFlakeNotDiscovery) {
  FakeDisk disk = kernel();
  FakeProcess process;
  Environment env;
  env.set("PATH", "");
  Io io{disk, process, env};
  auto m = command::matrix(request_for("matrix", BuildBackend::nix), io);
  ASSERT_FALSE(m.ok()) << "no nix on this fake machine";
  EXPECT_THAT(all(m.errors()), HasSubstr("nix"));
}

TEST(Commands, BuildWithALauncherNotOnPathFailsBeforeAnyCompile) {
  FakeDisk disk = kernel();
  FakeProcess process;
  Environment env;
  env.set("PATH", "/usr/bin");
  Io io{disk, process, env};
  Request r = request_for("build");
  r.launcher = "ccache";
  auto b = command::build(r, io);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.errors().list.front().message, "--launcher ccache: no such program on PATH");
  EXPECT_EQ(process.total_calls(), 0) << "nothing was run";

  // Found on PATH, the launcher is taken and the build goes on (to a toolchain this fake
  // machine lacks).
  disk.add_file("/usr/bin/ccache", "", /*executable=*/true);
  auto found = command::build(r, io);
  ASSERT_FALSE(found.ok());
  EXPECT_THAT(all(found.errors()), ::testing::Not(HasSubstr("--launcher")));
}

TEST(Commands, RefusedMergeIntoANewDirLeavesNoDir) {
  FakeDisk disk;
  disk.add_file("/in/notes.txt", "");
  FakeProcess process;
  Environment env;
  Io io{disk, process, env};
  Request r = request_for("bundle");
  r.bundle_inputs = {"/in"};
  r.out_dir = "/out";
  auto m = command::bundle_merge(r, io);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(all(m.errors()), HasSubstr("/in"));
  EXPECT_FALSE(disk.exists("/out"));

  // An output dir that was there stays, with what it held.
  disk.add_file("/out/mine.txt", "");
  ASSERT_FALSE(command::bundle_merge(r, io).ok());
  EXPECT_TRUE(disk.exists("/out/mine.txt"));
}

}  // namespace
}  // namespace kb
