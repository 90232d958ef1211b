// The bundle manifest's JSON text (kb/bundle_manifest.h).

#include "kb/bundle_manifest.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kb {

void to_json(nlohmann::json& j, const BundleManifest& m) {
  nlohmann::json copies = nlohmann::json::array();
  for (const auto& c : m.copies) copies.push_back({{"from", c.from}, {"to", c.to}});
  j = nlohmann::json{{"stage_dir", m.stage_dir},         {"bundle_dir", m.bundle_dir},
                     {"copies", std::move(copies)},      {"generated", m.generated},
                     {"metadata_json", m.metadata_json}, {"stamp", m.stamp}};
}

void from_json(const nlohmann::json& j, BundleManifest& m) {
  j.at("stage_dir").get_to(m.stage_dir);
  j.at("bundle_dir").get_to(m.bundle_dir);
  m.copies.clear();
  for (const auto& c : j.at("copies"))
    m.copies.push_back({c.at("from").get<std::string>(), c.at("to").get<std::string>()});
  j.at("generated").get_to(m.generated);
  j.at("metadata_json").get_to(m.metadata_json);
  j.at("stamp").get_to(m.stamp);
}

std::string bundle_manifest_text(const BundleManifest& m) {
  return nlohmann::json(m).dump(2) + "\n";
}

Result<BundleManifest> parse_bundle_manifest(std::string_view text) {
  try {
    return nlohmann::json::parse(text).get<BundleManifest>();
  } catch (const nlohmann::json::exception& e) {
    return Error{
        fmt::format("bad bundle manifest: {}", e.what()), {}, "run kb build again to rewrite it"};
  }
}

}  // namespace kb
