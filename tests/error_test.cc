#include "kb/error.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace kb {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return Error{std::string("not a digit: ") + c, {}, ""};
  return c - '0';
}

// Two digits as a number, through KB_TRY_ASSIGN (a declaration and an assignment).
Result<int> two_digits(const std::string& s) {
  KB_TRY_ASSIGN(int tens, parse_digit(s[0]));
  int ones = 0;
  KB_TRY_ASSIGN(ones, parse_digit(s[1]));
  return tens * 10 + ones;
}

TEST(TryAssign, GivesTheValueOrReturnsTheErrors) {
  EXPECT_EQ(*two_digits("42"), 42);
  auto bad = two_digits("4x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(first_message(bad.errors()), "not a digit: x");
  EXPECT_EQ(first_message(Errors(std::vector<Error>{})), "");
}

TEST(ErrorFormat, FileLineColMessageAndHint) {
  Error e{"unknown key 'nmae' in [general]", SourceLoc{"build.toml", 14, 1},
          "did you mean 'name'?"};
  EXPECT_EQ(format_error(e),
            "build.toml:14:1: error: unknown key 'nmae' in [general]\n"
            "  hint: did you mean 'name'?");
}

TEST(ErrorFormat, WithoutLocationOrHint) {
  EXPECT_EQ(format_error(Error{"no build.toml", {}, ""}), "error: no build.toml");
}

TEST(ErrorFormat, PartialLocations) {
  EXPECT_EQ(format_error(Error{"m", SourceLoc{"f.toml", 0, 0}, ""}), "f.toml: error: m");
  EXPECT_EQ(format_error(Error{"m", SourceLoc{"f.toml", 3, 0}, ""}), "f.toml:3: error: m");
  EXPECT_EQ(format_error(Error{"m", SourceLoc{"", 3, 4}, ""}), "error: m");
}

TEST(ErrorClosestMatch, FindsNearKeys) {
  std::vector<std::string> keys = {"name", "version", "license", "backends", "upstream"};
  EXPECT_EQ(closest_match("nam", keys), "name");
  EXPECT_EQ(closest_match("nmae", keys), "name");  // a swap is one edit
  EXPECT_EQ(closest_match("upstrem", keys), "upstream");
  EXPECT_EQ(closest_match("licence", keys), "license");
  EXPECT_EQ(closest_match("backend", keys), "backends");
}

TEST(ErrorClosestMatch, NothingWhenTooFar) {
  std::vector<std::string> keys = {"name", "version"};
  EXPECT_EQ(closest_match("zzzzzz", keys), "");
  EXPECT_EQ(closest_match("x", {}), "");
}

TEST(ErrorClosestMatch, ShortWordsAllowOneEdit) {
  EXPECT_EQ(closest_match("cpx", {"cpu", "cuda"}), "cpu");
  EXPECT_EQ(closest_match("gpu", {"cuda", "rocm"}), "");
}

// The address space this process uses now, from /proc/self/statm (in pages).
size_t address_space_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  statm >> pages;
  return pages * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

TEST(ErrorClosestMatch, HugeWordIsCheapAndGetsNoHint) {
  // A 9 MB key used to allocate a 9M x 10 matrix (1.2 GB). In a child whose address space
  // may grow by only 64 MB, such an allocation throws and the child dies.
  std::string huge(9 << 20, 'n');
  std::vector<std::string> keys = {"name", "version", "license", "backends", "upstream"};
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct rlimit lim {};
    lim.rlim_cur = lim.rlim_max = address_space_bytes() + (64u << 20);
    if (::setrlimit(RLIMIT_AS, &lim) != 0) ::_exit(3);
    try {
      bool ok = closest_match(huge, keys).empty() && closest_match("nmae", keys) == "name" &&
                closest_match(huge, {huge + "x"}).empty();
      ::_exit(ok ? 0 : 1);
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong answer, 2: out of memory, 3: no setrlimit";
}

TEST(ErrorClosestMatch, CandidatesOutOfReachByLengthAreSkipped) {
  EXPECT_EQ(closest_match("backend", {"b", "backends", "backendsxxxxx"}), "backends");
  EXPECT_EQ(closest_match(std::string(200, 'a'), {std::string(199, 'a') + "b"}),
            std::string(199, 'a') + "b");
}

Result<int> half(int x) {
  if (x % 2) return Error{"odd", {}, "pass an even number"};
  return x / 2;
}

Result<int> quarter(int x) {
  KB_TRY(half(x));
  auto h = half(x);
  KB_TRY(half(*h));
  return *half(*h);
}

TEST(ErrorResult, ValueAndErrors) {
  auto ok = half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(*ok, 2);

  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(bad.errors().list.size(), 1u);
  EXPECT_EQ(bad.errors().list[0].message, "odd");
  EXPECT_EQ(bad.errors().list[0].hint, "pass an even number");
}

TEST(ErrorResult, KbTryPropagates) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);  // 6 / 2 = 3 is odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "odd");
}

TEST(ErrorResult, CarriesManyErrors) {
  Result<Ok> r = Errors(std::vector<Error>{{"a", {}, ""}, {"b", {}, ""}});
  ASSERT_FALSE(r.ok());
  Errors taken = r.take_errors();
  ASSERT_EQ(taken.list.size(), 2u);
  EXPECT_EQ(taken.list[1].message, "b");
}

}  // namespace
}  // namespace kb
