// prepare_build on a FakeDisk and FakeProcess: what a failed plan tells about the toolchains
// the user named.

#include "kb/pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes.h"

namespace kb {
namespace {

using ::testing::HasSubstr;

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
    BuildRequest req;
    req.kernel_dir = "/k";
    req.out_dir = "/k/build";
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

}  // namespace
}  // namespace kb
