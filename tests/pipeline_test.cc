// load_config on a FakeDisk: what is read as build.toml and what src may name.

#include "kb/pipeline.h"

#include <gtest/gtest.h>

#include "tests/fakes.h"

namespace kb {
namespace {

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

}  // namespace
}  // namespace kb
