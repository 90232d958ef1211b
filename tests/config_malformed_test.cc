// Every file in tests/data/config/invalid/ must fail to parse with exactly the errors its
// leading comments announce:
//
//   # expect: LINE:COL: fragment of the message
//   # hint: fragment of that error's hint          (optional)
//
// One "# expect:" line per error, in file order, so a file with several mistakes checks
// that all of them are reported in one run.

#include "kb/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kb {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path k_invalid_dir = fs::path(KB_TEST_DATA) / "config" / "invalid";

struct Expected {
  int line = 0;
  int col = 0;
  std::string message;
  std::string hint;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Expected> expectations(const std::string& text) {
  std::vector<Expected> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# expect: ", 0) == 0) {
      Expected e;
      std::string rest = line.substr(10);
      size_t c1 = rest.find(':');
      size_t c2 = rest.find(':', c1 + 1);
      e.line = std::stoi(rest.substr(0, c1));
      e.col = std::stoi(rest.substr(c1 + 1, c2 - c1 - 1));
      e.message = rest.substr(c2 + 2);
      out.push_back(e);
    } else if (line.rfind("# hint: ", 0) == 0 && !out.empty()) {
      out.back().hint = line.substr(8);
    }
  }
  return out;
}

std::vector<std::string> invalid_files() {
  std::vector<std::string> names;
  if (fs::is_directory(k_invalid_dir))
    for (const auto& entry : fs::directory_iterator(k_invalid_dir))
      if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class ConfigMalformed : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfigMalformed, ReportsExactlyTheAnnouncedErrors) {
  const fs::path file = k_invalid_dir / (GetParam() + ".toml");
  const std::string text = read_text(file);
  const std::vector<Expected> want = expectations(text);
  ASSERT_FALSE(want.empty()) << file << " has no '# expect:' line";

  auto result = parse_config(text, file.string());
  ASSERT_FALSE(result.ok()) << file << " parsed, but should have failed";
  const auto& got = result.errors().list;

  std::string all;
  for (const auto& e : got) all += format_error(e) + "\n";
  ASSERT_EQ(got.size(), want.size()) << "errors reported:\n" << all;

  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("error " + std::to_string(i) + ": " + format_error(got[i]));
    ASSERT_TRUE(got[i].loc.has_value());
    EXPECT_EQ(got[i].loc->file, file.string());
    EXPECT_EQ(got[i].loc->line, want[i].line);
    EXPECT_EQ(got[i].loc->col, want[i].col);
    EXPECT_THAT(got[i].message, HasSubstr(want[i].message));
    if (!want[i].hint.empty()) {
      EXPECT_THAT(got[i].hint, HasSubstr(want[i].hint));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ConfigInvalid, ConfigMalformed, ::testing::ValuesIn(invalid_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(ConfigMalformedCorpus, HasAtLeastFortyFiles) {
  EXPECT_GE(invalid_files().size(), 40u) << "looked in " << k_invalid_dir;
}

TEST(ConfigMalformedCorpus, MultiErrorFileReportsEveryProblemInFileOrder) {
  const fs::path file = k_invalid_dir / "multiple_errors.toml";
  auto result = parse_config(read_text(file), "build.toml");
  ASSERT_FALSE(result.ok());
  const auto& got = result.errors().list;
  ASSERT_GE(got.size(), 8u);
  for (size_t i = 1; i < got.size(); ++i) {
    std::pair prev(got[i - 1].loc->line, got[i - 1].loc->col);
    std::pair cur(got[i].loc->line, got[i].loc->col);
    EXPECT_LT(prev, cur) << "errors out of order at " << i;
  }
  for (const auto& e : got) EXPECT_EQ(e.loc->file, "build.toml");
}

TEST(ConfigMalformedCorpus, EveryErrorCarriesAHint) {
  // Users get a way forward with every error, not only a complaint.
  for (const auto& name : invalid_files()) {
    auto result = parse_config(read_text(k_invalid_dir / (name + ".toml")), name);
    ASSERT_FALSE(result.ok()) << name;
    for (const auto& e : result.errors().list)
      EXPECT_FALSE(e.hint.empty()) << name << ": " << e.message;
  }
}

}  // namespace
}  // namespace kb
