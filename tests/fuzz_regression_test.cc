// Every input the fuzz target ever crashed on (tests/fuzz/crashers/), and every seed of its
// corpus, through the fuzz target's own pipeline (tests/fuzz/fuzz_pipeline.h) in the normal
// build: each must come out as located errors or as a plan that keeps kb's promises. Each
// input runs in a child process, so that an abort (a toml++ assertion) fails that input's
// case instead of the whole test binary.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_pipeline.h"

namespace kb {
namespace {

namespace fs = std::filesystem;

const fs::path k_fuzz_dir = fs::path(KB_TEST_DATA) / ".." / "fuzz";

std::vector<std::string> inputs_in(const std::string& sub) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(k_fuzz_dir / sub, ec))
    if (e.is_regular_file()) out.push_back(sub + "/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// run_pipeline(text) in a child: "" when it returned "", else what went wrong.
std::string replay(const std::string& text) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    std::string bad = fuzz::run_pipeline(text);
    (void)!::write(fds[1], bad.data(), bad.size());
    ::_exit(bad.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string said;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    said.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return "died with signal " + std::to_string(WTERMSIG(status));
  if (WEXITSTATUS(status) != 0)
    return said.empty() ? "exited with " + std::to_string(WEXITSTATUS(status)) : said;
  return "";
}

class FuzzRegression : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzRegression, KeepsKbsPromises) {
  std::string text = read_text(k_fuzz_dir / GetParam());
  EXPECT_EQ(replay(text), "") << GetParam();
}

std::vector<std::string> all_inputs() {
  std::vector<std::string> out = inputs_in("crashers");
  for (auto& s : inputs_in("corpus")) out.push_back(std::move(s));
  return out;
}

INSTANTIATE_TEST_SUITE_P(Inputs, FuzzRegression, ::testing::ValuesIn(all_inputs()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(FuzzRegressionCorpus, CrashersAndSeedsAreThere) {
  EXPECT_GE(inputs_in("crashers").size(), 9u) << k_fuzz_dir;
  EXPECT_GE(inputs_in("corpus").size(), 2u) << k_fuzz_dir;
}

TEST(FuzzPipeline, ValidExampleKeepsThePromises) {
  EXPECT_EQ(fuzz::run_pipeline(read_text(k_fuzz_dir / "corpus/example-relu.toml")), "");
}

// The Ninja check can fail: lines a value smuggled into build.ninja are caught.
TEST(FuzzPipeline, NinjaCheckCatchesSmuggledLines) {
  const std::string good =
      "ninja_required_version = 1.10\n\nrule cxx\n  command = $cmd\n  deps = gcc\n"
      "pool nvcc\n  depth = 2\n# a comment\nbuild a$ b.o | c.h: cxx a.cpp || d\n"
      "  cmd = g++ -c a.cpp\n  desc = CXX a.cpp\nsubninja v/variant.ninja\ndefault all\n";
  EXPECT_EQ(fuzz::check_ninja_text(good, "build.ninja"), "");
  EXPECT_NE(
      fuzz::check_ninja_text(good + "build x: cxx y\n  cmd = g++ -DA=1\n  command = touch PWNED\n",
                             "build.ninja"),
      "");
  EXPECT_NE(fuzz::check_ninja_text(good + "build x: cxx y\n  cmd = g++ -Ia\nbuild pwned: phony\n"
                                          "b\n",
                                   "build.ninja"),
            "");
  EXPECT_NE(fuzz::check_ninja_text(good + "build a|b.o: cxx a|b.cpp\n", "build.ninja"), "");
  EXPECT_NE(fuzz::check_ninja_text(good + "build x: sh y\n", "build.ninja"), "");
  std::set<std::string> planned = {"a b.o", "c.h", "x"};
  EXPECT_EQ(fuzz::check_ninja_text(good + "build x: cxx y\n", "build.ninja", &planned), "");
  EXPECT_NE(fuzz::check_ninja_text(good + "build pwned: phony\n", "build.ninja", &planned), "");
}

}  // namespace
}  // namespace kb
