#include "kb/deps.h"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kb/digest.h"
#include "kb/path.h"

namespace kb {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The value of `#define NAME <digits>` in `text`, when present.
std::optional<int> define_value(std::string_view text, std::string_view name) {
  for (std::string_view line : split_lines(text)) {
    size_t i = line.find_first_not_of(" \t");
    if (i == std::string_view::npos || line[i] != '#') continue;
    line.remove_prefix(i + 1);
    i = line.find_first_not_of(" \t");
    if (i == std::string_view::npos || line.substr(i, 6) != "define") continue;
    line.remove_prefix(i + 6);
    i = line.find_first_not_of(" \t");
    if (i == 0 || i == std::string_view::npos || line.substr(i, name.size()) != name) continue;
    line.remove_prefix(i + name.size());
    i = line.find_first_not_of(" \t");
    if (i == 0 || i == std::string_view::npos) continue;  // NAME is only a prefix, or no value
    line.remove_prefix(i);
    int value = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
    if (ec != std::errc() || end == line.data()) continue;
    return value;
  }
  return std::nullopt;
}

std::string sorted_lines_hash(std::vector<std::pair<std::string, std::string>> files,
                              bool hash_first) {
  std::sort(files.begin(), files.end());
  std::string text;
  for (const auto& [path, value] : files)
    text += hash_first ? value + "  " + path + "\n" : path + " " + value + "\n";
  return sha256_hex(text);
}

// The sections of `config` that `variant` compiles.
std::vector<const KernelSection*> variant_sections(const Config& config, const Variant& variant) {
  std::vector<const KernelSection*> out;
  for (const auto& s : variant.sections)
    for (const auto& k : config.kernels)
      if (k.name == s.section) out.push_back(&k);
  return out;
}

// The header dependencies (pins that apply to the variant's backend) of a variant, in order
// of first use.
std::vector<const DepPin*> variant_pins(const Config& config, const Variant& variant) {
  std::vector<const DepPin*> out;
  if (variant.noarch) return out;
  for (const KernelSection* k : variant_sections(config, variant))
    for (const auto& name : k->depends) {
      const DepPin* pin = find_dep_pin(name);
      if (!pin || pin->kind == DepKind::framework || pin->backend != variant.backend) continue;
      if (std::find(out.begin(), out.end(), pin) == out.end()) out.push_back(pin);
    }
  return out;
}

const DepStatus* status_of(const std::vector<DepStatus>& deps, const std::string& name) {
  for (const auto& d : deps)
    if (d.requirement.pin.name == name) return &d;
  return nullptr;
}

std::string describe(const DepPin& pin) {
  switch (pin.kind) {
    case DepKind::cutlass: return fmt::format("{} (CUTLASS {})", pin.name, pin.version);
    case DepKind::sycl_tla: return pin.name + " (Intel sycl-tla)";
    case DepKind::metal_cpp: return pin.name + " (Apple metal-cpp)";
    case DepKind::framework: return pin.name;
  }
  return pin.name;
}

}  // namespace

std::string_view to_string(DepKind kind) {
  switch (kind) {
    case DepKind::framework: return "framework";
    case DepKind::cutlass: return "cutlass";
    case DepKind::sycl_tla: return "sycl_tla";
    case DepKind::metal_cpp: return "metal-cpp";
  }
  return "?";
}

const std::vector<DepPin>& dep_pins() {
  static const std::vector<DepPin> pins = {
      {"torch", DepKind::framework, "", Backend::cpu, true},
      {"cutlass_2_10", DepKind::cutlass, "2.10.0", Backend::cuda, true},
      {"cutlass_3_5", DepKind::cutlass, "3.5.1", Backend::cuda, true},
      {"cutlass_3_6", DepKind::cutlass, "3.6.0", Backend::cuda, true},
      {"cutlass_3_8", DepKind::cutlass, "3.8.0", Backend::cuda, true},
      {"cutlass_3_9", DepKind::cutlass, "3.9.2", Backend::cuda, true},
      {"cutlass_4_0", DepKind::cutlass, "4.0.0", Backend::cuda, true},
      {"cutlass_4_4", DepKind::cutlass, "4.4.2", Backend::cuda, true},
      {"cutlass_4_5", DepKind::cutlass, "4.5.2", Backend::cuda, true},
      {"sycl_tla", DepKind::sycl_tla, "", Backend::xpu, false},
      {"metal-cpp", DepKind::metal_cpp, "", Backend::metal, false},
  };
  return pins;
}

const DepPin* find_dep_pin(std::string_view name) {
  for (const auto& p : dep_pins())
    if (p.name == name) return &p;
  return nullptr;
}

std::string_view to_string(DepRoute route) {
  switch (route) {
    case DepRoute::option: return "option";
    case DepRoute::environment: return "environment";
    case DepRoute::cache: return "cache";
    case DepRoute::pypi: return "pypi";
    case DepRoute::git: return "git";
  }
  return "?";
}

const std::vector<DepRoute>& dep_resolution_order() {
  static const std::vector<DepRoute> order = {DepRoute::option, DepRoute::environment,
                                              DepRoute::cache, DepRoute::pypi, DepRoute::git};
  return order;
}

bool is_fetch_route(DepRoute route) { return route == DepRoute::pypi || route == DepRoute::git; }

std::vector<DepRequirement> dependency_requirements(const Config& config) {
  std::vector<DepRequirement> out;
  for (const auto& k : config.kernels) {
    for (size_t i = 0; i < k.depends.size(); ++i) {
      const DepPin* pin = find_dep_pin(k.depends[i]);
      if (!pin) continue;
      SourceLoc loc = i < k.depends_locs.size() ? k.depends_locs[i] : k.loc;
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const DepRequirement& r) { return r.pin.name == pin->name; });
      if (it == out.end()) it = out.insert(out.end(), DepRequirement{*pin, {}});
      it->uses.push_back({k.name, k.backend, std::move(loc)});
    }
  }
  return out;
}

bool has_header_dependencies(const std::vector<DepRequirement>& reqs) {
  return std::any_of(reqs.begin(), reqs.end(),
                     [](const DepRequirement& r) { return r.pin.kind != DepKind::framework; });
}

Result<std::map<std::string, std::string>> parse_dep_options(
    const std::vector<std::string>& options) {
  std::map<std::string, std::string> out;
  std::vector<std::string> names;
  for (const auto& p : dep_pins())
    if (p.kind == DepKind::cutlass) names.push_back(p.name);
  std::vector<Error> errors;
  for (const auto& opt : options) {
    size_t eq = opt.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == opt.size()) {
      errors.push_back(
          {fmt::format("--dep '{}' is not NAME=PATH", opt),
           {},
           "write --dep cutlass_3_8=/path/to/cutlass (the source tree or its include/)"});
      continue;
    }
    std::string name = opt.substr(0, eq), path = opt.substr(eq + 1);
    const DepPin* pin = find_dep_pin(name);
    if (!pin) {
      std::string near = closest_match(name, names);
      errors.push_back({fmt::format("--dep names '{}', which is no dependency of build.toml", name),
                        {},
                        near.empty() ? "the names are those of depends: " + names.front() +
                                           " ... " + names.back()
                                     : fmt::format("did you mean '{}'?", near)});
      continue;
    }
    if (pin->kind != DepKind::cutlass) {
      errors.push_back(
          {fmt::format("--dep {}: kb takes no header tree for {}", name, describe(*pin)),
           {},
           pin->kind == DepKind::framework ? "Torch comes from the Torch install: pass --torch"
                                           : "kb does not build the backend that uses it"});
      continue;
    }
    auto [it, fresh] = out.emplace(name, path);
    if (!fresh && it->second != path)
      errors.push_back(
          {fmt::format("--dep {} is given twice ('{}' and '{}')", name, it->second, path),
           {},
           "give one path per dependency"});
  }
  if (!errors.empty()) return Errors(std::move(errors));
  return out;
}

std::optional<std::string> parse_cutlass_version(std::string_view version_h) {
  auto major = define_value(version_h, "CUTLASS_MAJOR");
  auto minor = define_value(version_h, "CUTLASS_MINOR");
  auto patch = define_value(version_h, "CUTLASS_PATCH");
  if (!major || !minor || !patch) return std::nullopt;
  return fmt::format("{}.{}.{}", *major, *minor, *patch);
}

std::string tree_content_hash(std::vector<std::pair<std::string, std::string>> files) {
  return "sha256:" + sorted_lines_hash(std::move(files), true);
}

std::string tree_stat_fingerprint(std::vector<std::pair<std::string, std::string>> files) {
  return "stat:" + sorted_lines_hash(std::move(files), false);
}

std::string render_dep_manifest(const DepCacheManifest& m) {
  nlohmann::ordered_json j;
  j["format"] = m.format;
  j["name"] = m.name;
  j["version"] = m.version;
  j["route"] = std::string(to_string(m.route));
  j["origin"] = m.origin;
  j["content_hash"] = m.content_hash;
  j["stat_fingerprint"] = m.stat_fingerprint;
  j["files"] = m.files;
  return j.dump(2) + "\n";
}

Result<DepCacheManifest> parse_dep_manifest(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& why) {
    return Error{"damaged dependency cache manifest: " + why, {}, "kb fetches the entry again"};
  };
  if (!j.is_object()) return bad("not a JSON object");
  DepCacheManifest m;
  for (const char* key : {"name", "version", "route", "origin", "content_hash", "stat_fingerprint"})
    if (!j.contains(key) || !j[key].is_string()) return bad(fmt::format("no string '{}'", key));
  if (!j.contains("format") || !j["format"].is_number_integer() ||
      j["format"].get<int>() != m.format)
    return bad("another format");
  if (!j.contains("files") || !j["files"].is_number_integer()) return bad("no number 'files'");
  m.name = j["name"].get<std::string>();
  m.version = j["version"].get<std::string>();
  std::string route = j["route"].get<std::string>();
  bool known = false;
  for (DepRoute r : dep_resolution_order())
    if (to_string(r) == route) m.route = r, known = true;
  if (!known) return bad("unknown route '" + route + "'");
  m.origin = j["origin"].get<std::string>();
  m.content_hash = j["content_hash"].get<std::string>();
  m.stat_fingerprint = j["stat_fingerprint"].get<std::string>();
  m.files = j["files"].get<int>();
  return m;
}

std::string dep_cache_entry_name(const DepPin& pin) {
  return fmt::format("{}-{}", to_string(pin.kind), pin.version);
}

std::string pypi_requirement(const DepPin& pin) {
  return fmt::format("nvidia-cutlass=={}.0", pin.version);
}

std::string git_tag(const DepPin& pin) { return "v" + pin.version; }

std::string_view to_string(DepStatus::State state) {
  switch (state) {
    case DepStatus::State::resolved: return "resolved";
    case DepStatus::State::missing: return "missing";
    case DepStatus::State::framework: return "framework";
    case DepStatus::State::unsupported: return "unsupported";
  }
  return "?";
}

Result<std::vector<std::string>> dependency_includes_for(
    const Config& config, const Variant& variant,
    const std::map<std::string, std::string>& includes) {
  std::vector<std::string> out;
  for (const DepPin* pin : variant_pins(config, variant)) {
    auto it = includes.find(pin->name);
    if (it == includes.end() || it->second.empty())
      return Error{fmt::format("variant {} needs {} and no header tree was resolved for it",
                               variant.name, describe(*pin)),
                   {},
                   "this is a bug in kb's pipeline"};
    if (!contains(out, it->second)) out.push_back(it->second);
  }
  return out;
}

std::map<std::string, std::string> resolved_includes(const std::vector<DepStatus>& deps) {
  std::map<std::string, std::string> out;
  for (const auto& d : deps)
    if (d.state == DepStatus::State::resolved) out[d.requirement.pin.name] = d.include_dir;
  return out;
}

void reject_unresolved_dependencies(Matrix& matrix, const Config& config,
                                    const std::vector<DepStatus>& deps) {
  std::vector<Variant> kept;
  for (auto& v : matrix.variants) {
    std::vector<std::string> missing;
    std::string reason;
    for (const DepPin* pin : variant_pins(config, v)) {
      const DepStatus* s = status_of(deps, pin->name);
      if (s && s->state == DepStatus::State::resolved) continue;
      missing.push_back(pin->name);
      std::string why = !s                                          ? "not resolved"
                        : s->state == DepStatus::State::unsupported ? "kb cannot provide it"
                        : s->reasons.empty()                        ? "not found"
                                                                    : s->reasons.back();
      reason += fmt::format("{}needs {}, which is missing: {}", reason.empty() ? "" : "; ",
                            describe(*pin), why);
    }
    if (missing.empty()) {
      kept.push_back(std::move(v));
      continue;
    }
    matrix.rejected.push_back({v.name, reason + " (kb deps shows every route tried)", missing});
  }
  matrix.variants = std::move(kept);
}

Error missing_dependency_error(const DepStatus& status) {
  const DepPin& pin = status.requirement.pin;
  std::optional<SourceLoc> loc;
  if (!status.requirement.uses.empty()) loc = status.requirement.uses.front().loc;
  std::string message = fmt::format("{} cannot be provided", describe(pin));
  for (const auto& r : status.reasons) message += "\n    " + r;
  std::string hint;
  if (pin.kind == DepKind::cutlass) {
    hint = fmt::format(
        "provide CUTLASS {0} in one of these ways: pass --dep {1}=PATH (a CUTLASS {0} source tree "
        "or its include/), set CUTLASS_SRC_DIR to one, run 'kb deps fetch' where PyPI ({2}) or "
        "git ({3} tag {4}, or KB_CUTLASS_GIT_URL) can be reached, or copy a kb cache entry "
        "({5}) from another machine",
        pin.version, pin.name, pypi_requirement(pin), k_cutlass_git_url, git_tag(pin),
        dep_cache_entry_name(pin));
  } else {
    hint = fmt::format(
        "kb does not build {} variants; leave them out or build them with the "
        "reference kernel-builder",
        to_string(pin.backend));
  }
  return Error{std::move(message), std::move(loc), std::move(hint)};
}

Result<Ok> require_dependencies(const Matrix& matrix, const std::vector<DepStatus>& deps,
                                const std::vector<std::string>& wanted) {
  std::vector<std::string> names;
  for (const auto& r : matrix.rejected) {
    if (r.missing_dependencies.empty()) continue;
    if (!wanted.empty() && !contains(wanted, r.name)) continue;
    for (const auto& n : r.missing_dependencies) {
      // A backend kb does not build (sycl_tla, metal-cpp) is a rejection, not a failure.
      const DepStatus* s = status_of(deps, n);
      if (s && s->state == DepStatus::State::unsupported) continue;
      if (!contains(names, n)) names.push_back(n);
    }
  }
  if (names.empty()) return Ok{};
  std::vector<Error> errors;
  for (const auto& n : names) {
    if (const DepStatus* s = status_of(deps, n)) {
      errors.push_back(missing_dependency_error(*s));
    } else {
      errors.push_back(
          Error{"dependency " + n + " was not looked up", {}, "this is a bug in kb's pipeline"});
    }
  }
  return Errors(std::move(errors));
}

}  // namespace kb
