// Which src spellings name a file of the kernel, the object names derived from them, and the
// disk check of the src lists (kb/source_path.h, kb::check_source_files).

#include "kb/source_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "kb/config.h"

namespace kb {
namespace {

using ::testing::HasSubstr;

std::string problem(std::string_view rel) {
  auto e = source_path_problem(rel, "[torch] src");
  return e ? e->message : "";
}

TEST(SourcePath, RelativePathsInsideTheKernelAreFine) {
  for (const char* ok : {"a.cpp", "csrc/a.cu", "./csrc/a.cu", "a/../b.cpp", "a//b.h", "..a.cpp",
                         "a/..b/c.cpp", "x/.hidden.cpp"})
    EXPECT_EQ(problem(ok), "") << ok;
}

TEST(SourcePath, EmptyAbsoluteOutsideAndDirectoryEntriesAreNamed) {
  EXPECT_EQ(problem(""), "empty path in [torch] src");
  EXPECT_EQ(problem("/usr/include/x.h"),
            "'/usr/include/x.h' in [torch] src must be relative to the kernel directory");
  EXPECT_EQ(problem("//x.cpp"),
            "'//x.cpp' in [torch] src must be relative to the kernel directory");
  EXPECT_EQ(problem("../x.cpp"), "'../x.cpp' in [torch] src leaves the kernel directory");
  EXPECT_EQ(problem("a/../../x.cpp"), "'a/../../x.cpp' in [torch] src leaves the kernel directory");
  EXPECT_EQ(problem(".."), "'..' in [torch] src leaves the kernel directory");
  for (const char* dir : {".", "./", "a/..", "csrc/", "csrc/.", "a/b/.."})
    EXPECT_THAT(problem(dir), HasSubstr("names a directory, not a file")) << dir;
}

TEST(SourcePath, EveryProblemHasAHint) {
  for (const char* bad : {"", "/x", "../x", "."}) {
    auto e = source_path_problem(bad, "[kernel.a] src");
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_FALSE(e->hint.empty()) << bad;
  }
}

TEST(SourcePath, ObjectStemNormalisesAndStaysBelowObj) {
  EXPECT_EQ(object_stem("csrc/a.cu"), "csrc/a.cu");
  EXPECT_EQ(object_stem("./csrc//a.cu"), "csrc/a.cu");
  EXPECT_EQ(object_stem("csrc/x/../a.cu"), "csrc/a.cu");
  EXPECT_EQ(object_stem("../shared/a.cu"), "__/shared/a.cu");
  EXPECT_EQ(object_stem("/abs/a.cu"), "abs/a.cu");
  // Why '..' is an error at parse time: it shares its object name with a real directory '__'.
  EXPECT_EQ(object_stem("../x.cpp"), object_stem("__/x.cpp"));
}

Config two_sources() {
  Config c;
  c.torch.src = {{"torch-ext/binding.cpp", {"build.toml", 9, 8}}};
  KernelSection k;
  k.name = "relu";
  k.backend = Backend::cuda;
  k.src = {{"relu", {"build.toml", 14, 8}},
           {"relu/relu.cu", {"build.toml", 14, 16}},
           {"gone.cu", {"build.toml", 14, 32}}};
  c.kernels.push_back(k);
  return c;
}

TEST(CheckSourceFiles, DirectoriesAndMissingFilesAreLocatedErrors) {
  std::map<std::string, FileStat> disk = {{"torch-ext/binding.cpp", {true, false, 1, 10}},
                                          {"relu", {true, true, 1, 0}},
                                          {"relu/relu.cu", {true, false, 1, 10}}};
  auto r = check_source_files(two_sources(), [&](const std::string& rel) {
    auto it = disk.find(rel);
    return it == disk.end() ? FileStat{} : it->second;
  });
  ASSERT_FALSE(r.ok());
  const auto& errors = r.errors().list;
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].message, "'relu' named in [kernel.relu] src is a directory, not a file");
  EXPECT_EQ(errors[0].loc->line, 14);
  EXPECT_EQ(errors[0].loc->col, 8);
  EXPECT_EQ(errors[1].message, "file 'gone.cu' named in [kernel.relu] src does not exist");
  EXPECT_EQ(errors[1].loc->col, 32);
}

TEST(CheckSourceFiles, AllRegularFilesPass) {
  auto r = check_source_files(two_sources(), [](const std::string&) {
    return FileStat{true, false, 1, 10};
  });
  EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace kb
