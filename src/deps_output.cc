// `kb deps` output: the dependency statuses as JSON and as text.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kb/deps.h"

namespace kb {

namespace {

using json = nlohmann::ordered_json;

json or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

std::string title(const DepPin& pin) {
  switch (pin.kind) {
    case DepKind::framework: return "Torch (each variant's own install)";
    case DepKind::cutlass: return "CUTLASS " + pin.version;
    case DepKind::sycl_tla: return "Intel sycl-tla (XPU)";
    case DepKind::metal_cpp: return "Apple metal-cpp (Metal)";
  }
  return pin.name;
}

}  // namespace

std::string deps_to_json(const std::vector<DepStatus>& deps, const std::string& kernel_dir,
                         const std::string& cache_dir, bool fetch) {
  json root;
  root["kernel_dir"] = kernel_dir;
  root["cache_dir"] = or_null(cache_dir);
  root["fetch"] = fetch;
  json list = json::array();
  for (const auto& d : deps) {
    const DepPin& pin = d.requirement.pin;
    json j;
    j["name"] = pin.name;
    j["kind"] = std::string(to_string(pin.kind));
    j["version"] = or_null(pin.version);
    j["backend"] = std::string(to_string(pin.backend));
    j["state"] = std::string(to_string(d.state));
    j["route"] = d.route ? json(std::string(to_string(*d.route))) : json(nullptr);
    j["origin"] = or_null(d.origin);
    j["include_dir"] = or_null(d.include_dir);
    j["content_hash"] = or_null(d.content_hash);
    json uses = json::array();
    for (const auto& u : d.requirement.uses)
      uses.push_back(json{{"section", u.section},
                          {"backend", std::string(to_string(u.backend))},
                          {"file", u.loc.file},
                          {"line", u.loc.line},
                          {"col", u.loc.col}});
    j["uses"] = std::move(uses);
    j["reasons"] = d.reasons;
    list.push_back(std::move(j));
  }
  root["dependencies"] = std::move(list);
  return root.dump(2) + "\n";
}

std::string deps_to_text(const std::vector<DepStatus>& deps) {
  if (deps.empty()) return "(no dependencies)\n";
  std::string out;
  for (const auto& d : deps) {
    const DepPin& pin = d.requirement.pin;
    std::string state(to_string(d.state));
    if (d.route) state += fmt::format(" ({})", to_string(*d.route));
    out += fmt::format("{:<14} {:<36} {}\n", pin.name, title(pin), state);
    if (!d.include_dir.empty()) out += "  include: " + d.include_dir + "\n";
    if (!d.origin.empty()) out += "  from:    " + d.origin + "\n";
    if (!d.content_hash.empty()) out += "  hash:    " + d.content_hash + "\n";
    for (const auto& u : d.requirement.uses)
      out += fmt::format("  used by: [kernel.{}] ({}) at {}:{}:{}\n", u.section,
                         to_string(u.backend), u.loc.file, u.loc.line, u.loc.col);
    for (const auto& r : d.reasons) out += "  - " + r + "\n";
  }
  return out;
}

}  // namespace kb
