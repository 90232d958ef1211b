// config_to_json and check_config_to_json: key order, nulls for what is unknown, and the
// shapes docs/schema/check-config.schema.json describes.

#include "kb/json_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kb {
namespace {

using json = nlohmann::ordered_json;

const char* const k_toml = R"(
[general]
name = "my-kernel"
version = 3
edition = 5
license = "MIT"
backends = ["cpu", "cuda"]

[general.cuda]
minver = "12.8"

[torch]
src = ["torch-ext/binding.cpp"]

[kernel.act]
backend = "cuda"
depends = ["torch"]
cuda-capabilities = ["8.0", "9.0"]
src = ["act/act.cu"]

[kernel.act_cpu]
backend = "cpu"
depends = []
src = ["act/act_cpu.cpp"]
)";

std::vector<std::string> keys(const json& j) {
  std::vector<std::string> out;
  for (const auto& [k, v] : j.items()) out.push_back(k);
  return out;
}

TEST(JsonOutputConfigTest, ConfigToJsonCarriesTheModel) {
  auto config = parse_config(k_toml, "dir/build.toml");
  ASSERT_TRUE(config.ok()) << format_error(config.errors().list[0]);
  json j = json::parse(config_to_json(*config));
  EXPECT_EQ(j["path"], "dir/build.toml");
  EXPECT_EQ(j["name"], "my-kernel");
  EXPECT_EQ(j["module_name"], "my_kernel");
  EXPECT_EQ(j["version"], 3);
  EXPECT_EQ(j["backends"], json({"cpu", "cuda"}));
  EXPECT_EQ(j["cuda"]["minver"], "12.8");
  EXPECT_TRUE(j["cuda"]["maxver"].is_null());
  EXPECT_TRUE(j["upstream"].is_null());
  EXPECT_EQ(j["framework"], "torch");
  EXPECT_EQ(j["torch"]["src"], json({"torch-ext/binding.cpp"}));
  EXPECT_TRUE(j["torch_noarch"].is_null());
  ASSERT_EQ(j["kernels"].size(), 2u);
  const json& act = j["kernels"][0];
  EXPECT_EQ(act["name"], "act");
  EXPECT_EQ(act["line"], 15);
  EXPECT_EQ(act["cuda_capabilities"], json({"8.0", "9.0"}));
  EXPECT_TRUE(j["kernels"][1]["cuda_capabilities"].is_null());  // not written
  EXPECT_EQ(j["warnings"], json::array());
}

TEST(JsonOutputConfigTest, CheckConfigOfAValidFile) {
  json j = json::parse(check_config_to_json(parse_config(k_toml, "dir/build.toml")));
  EXPECT_THAT(keys(j), ::testing::ElementsAre("valid", "path", "name", "edition", "backends",
                                              "kernels", "warnings", "notes", "errors"));
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["path"], "dir/build.toml");
  EXPECT_EQ(j["edition"], 5);
  EXPECT_EQ(j["kernels"], json::parse(R"([{"name": "act", "backend": "cuda"},
                                           {"name": "act_cpu", "backend": "cpu"}])"));
  EXPECT_EQ(j["notes"], json::array());
  EXPECT_EQ(j["errors"], json::array());
}

TEST(JsonOutputConfigTest, CheckConfigListsNotes) {
  std::string text = k_toml;
  text.replace(text.find("edition = 5\n"), 12, "");
  json j = json::parse(check_config_to_json(parse_config(text, "dir/build.toml")));
  EXPECT_EQ(j["edition"], 4);
  EXPECT_EQ(j["warnings"], json::array());
  ASSERT_EQ(j["notes"].size(), 1u);
  EXPECT_THAT(j["notes"][0]["message"].get<std::string>(),
              ::testing::HasSubstr("pre-edition (v4)"));
}

TEST(JsonOutputConfigTest, CheckConfigOfAnInvalidFileListsEveryError) {
  std::string text = k_toml;
  text.replace(text.find("version = 3"), 11, "version = \"3\"");
  text.replace(text.find("depends = []"), 12, "depnds = []");
  Result<Config> r = parse_config(text, "dir/build.toml");
  ASSERT_FALSE(r.ok());
  json j = json::parse(check_config_to_json(r, "dir/build.toml"));
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["path"], "dir/build.toml");
  EXPECT_TRUE(j["name"].is_null());
  EXPECT_TRUE(j["edition"].is_null());
  ASSERT_EQ(j["errors"].size(), r.errors().list.size());
  EXPECT_GE(j["errors"].size(), 2u);
  for (const auto& e : j["errors"]) {
    EXPECT_THAT(keys(e), ::testing::ElementsAre("file", "line", "col", "message", "hint"));
    EXPECT_EQ(e["file"], "dir/build.toml");
    EXPECT_GE(e["line"].get<int>(), 1);
  }
}

TEST(JsonOutputConfigTest, UnknownLocationsAndHintsAreNull) {
  Result<Config> r = Error{"no build.toml in 'x'", {}, ""};
  json j = json::parse(check_config_to_json(r));
  EXPECT_TRUE(j["path"].is_null());
  const json& e = j["errors"][0];
  EXPECT_TRUE(e["file"].is_null());
  EXPECT_TRUE(e["line"].is_null());
  EXPECT_TRUE(e["col"].is_null());
  EXPECT_TRUE(e["hint"].is_null());
  EXPECT_EQ(e["message"], "no build.toml in 'x'");
}

}  // namespace
}  // namespace kb
