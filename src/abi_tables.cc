// parse_abi_tables / builtin_abi_tables: the ABI policy tables from their JSON form.

#include <nlohmann/json.hpp>

#include "abi_tables_data.h"
#include "kb/abi_check.h"

namespace kb {
namespace {

// "2.2.5" -> "2.2.5", "7.0.0" -> "7", "TM_1" -> "TM_1": numeric versions lose trailing zeros.
std::string normalised(const std::string& version) {
  auto parsed = Version::parse(version);
  return parsed.ok() ? parsed->str() : version;
}

Result<std::map<std::string, Version>> parse_added(const nlohmann::json& j,
                                                   const std::string& table) {
  std::map<std::string, Version> out;
  for (const auto& [name, text] : j.at("added").items()) {
    auto v = Version::parse(text.get<std::string>());
    if (!v.ok())
      return Error{table + ": bad version '" + text.get<std::string>() + "' for " + name, {}, ""};
    out.emplace(name, *v);
  }
  return out;
}

}  // namespace

Result<AbiTables> parse_abi_tables(std::string_view manylinux_json, std::string_view python_json,
                                   std::string_view torch_json) {
  AbiTables t;
  std::string table = "manylinux policy";
  try {
    const auto m = nlohmann::json::parse(manylinux_json);
    t.manylinux_source = m.at("source").get<std::string>();
    for (const auto& p : m.at("policies")) {
      ManylinuxPolicy policy;
      policy.name = p.at("name").get<std::string>();
      for (const auto& [arch, deps] : p.at("symbol_versions").items())
        for (const auto& [dep, versions] : deps.items())
          for (const auto& v : versions)
            policy.symbol_versions[arch][dep].insert(normalised(v.get<std::string>()));
      t.manylinux.push_back(std::move(policy));
      for (const auto& alias : p.value("aliases", nlohmann::json::array())) {
        ManylinuxPolicy copy = t.manylinux.back();
        copy.name = alias.get<std::string>();
        t.manylinux.push_back(std::move(copy));
      }
    }
    table = "Python stable ABI table";
    const auto py = nlohmann::json::parse(python_json);
    t.python_source = py.at("source").get<std::string>();
    auto python_added = parse_added(py, table);
    if (!python_added.ok()) return python_added.take_errors();
    t.python_added = std::move(*python_added);
    table = "Torch stable shim table";
    const auto torch = nlohmann::json::parse(torch_json);
    t.torch_source = torch.at("source").get<std::string>();
    auto shims = parse_added(torch, table);
    if (!shims.ok()) return shims.take_errors();
    t.torch_shim_added = std::move(*shims);
  } catch (const nlohmann::json::exception& e) {
    return Error{table + ": " + e.what(), {}, ""};
  }
  return t;
}

Result<AbiTables> builtin_abi_tables() {
  return parse_abi_tables(abi_data::k_manylinux_policy_json, abi_data::k_python_stable_abi_json,
                          abi_data::k_torch_stable_shims_json);
}

}  // namespace kb
