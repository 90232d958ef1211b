// The Nix pre-flight: what kernel-builder's own CLI checks before each Nix call (version,
// sandbox), with the fix attached to every finding, plus what users trip over in practice
// (flakes disabled, the binary cache missing or unreachable).

#include "preflight.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace kb::nix {

namespace {

using nlohmann::json;

// Nix 2.8 serialises experimental-features as the numbers of its enum; this is that enum's
// order in 2.8 (checked: `experimental-features = nix-command flakes` shows [2, 3]).
const std::vector<std::string>& features_nix_2_8() {
  static const std::vector<std::string> names{"ca-derivations", "impure-derivations",
                                              "flakes",         "nix-command",
                                              "recursive-nix",  "no-url-literals"};
  return names;
}

// A setting's value: {"value": v, ...} in Nix 2.4 and later, the bare value before.
const json* setting(const json& config, const char* name) {
  auto it = config.find(name);
  if (it == config.end()) return nullptr;
  if (it->is_object()) {
    auto v = it->find("value");
    return v == it->end() ? nullptr : &*v;
  }
  return &*it;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A list setting: a JSON array of strings (or numbers), or one whitespace-separated string.
std::vector<std::string> string_list(const json& v, const std::vector<std::string>* enum_names) {
  std::vector<std::string> out;
  if (v.is_string()) return split_words(v.get<std::string>());
  if (!v.is_array()) return out;
  for (const auto& item : v) {
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    } else if (item.is_number_integer()) {
      auto n = item.get<long>();
      if (enum_names && n >= 0 && static_cast<size_t>(n) < enum_names->size())
        out.push_back((*enum_names)[static_cast<size_t>(n)]);
      else
        out.push_back("#" + std::to_string(n));
    }
  }
  return out;
}

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string trim_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Where a user should change a setting: NIX_CONFIG wins over nix.conf when it mentions it.
std::string config_place(const Environment& env, std::string_view key) {
  if (auto conf = env.get("NIX_CONFIG")) {
    std::istringstream in(*conf);
    for (std::string line; std::getline(in, line);) {
      auto words = split_words(line);
      if (!words.empty() && words[0] == key) return "NIX_CONFIG (set in this environment)";
    }
  }
  if (auto dir = env.get("NIX_CONF_DIR")) return *dir + "/nix.conf";
  return "/etc/nix/nix.conf";
}

bool is_darwin(const NixInfo& info) { return info.system.ends_with("-darwin"); }

}  // namespace

std::vector<std::string> nix_argv(const std::string& program,
                                  const std::vector<std::string>& args) {
  std::vector<std::string> argv{program, "--extra-experimental-features", "nix-command flakes"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<Version> parse_nix_version(std::string_view text, std::string* version_text) {
  auto words = split_words(std::string(text));
  for (auto it = words.rbegin(); it != words.rend(); ++it) {
    if (it->empty() || !std::isdigit(static_cast<unsigned char>((*it)[0]))) continue;
    // "2.8.0pre20220311_d532269" and "2.18.1+1" keep their leading dotted numbers.
    size_t end = 0;
    while (end < it->size() &&
           (std::isdigit(static_cast<unsigned char>((*it)[end])) || (*it)[end] == '.'))
      ++end;
    std::string core = it->substr(0, end);
    while (!core.empty() && core.back() == '.') core.pop_back();
    auto v = Version::parse(core);
    if (!v.ok()) continue;
    if (version_text) *version_text = *it;
    return v;
  }
  return Error{"cannot read the Nix version from `nix --version` output: '" +
                   std::string(text.substr(0, 200)) + "'",
               {},
               "check that `nix` on PATH is Nix (nix --version should print 'nix (Nix) 2.x')"};
}

Result<Ok> parse_show_config_json(std::string_view text, NixInfo& info) {
  json config = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!config.is_object())
    return Error{"cannot read `nix show-config --json` output (not a JSON object)",
                 {},
                 "run `nix --extra-experimental-features nix-command show-config --json` to see "
                 "what Nix prints"};
  const json* sandbox = setting(config, "sandbox");
  if (!sandbox)
    return Error{"`nix show-config --json` output has no 'sandbox' setting",
                 {},
                 "run `nix --extra-experimental-features nix-command show-config` to see it"};
  info.sandbox = scalar_text(*sandbox);
  if (const json* v = setting(config, "substituters")) info.substituters = string_list(*v, nullptr);
  if (const json* v = setting(config, "experimental-features")) {
    bool is_2_8 = info.version.major() == 2 && info.version.minor() == 8;
    info.experimental_features = string_list(*v, is_2_8 ? &features_nix_2_8() : nullptr);
  }
  if (const json* v = setting(config, "store")) info.store = scalar_text(*v);
  if (const json* v = setting(config, "system")) info.system = scalar_text(*v);
  return Ok{};
}

Result<NixInfo> check_nix(NixInfo info, const NixOptions& options, const Environment& env) {
  std::vector<Error> errors;
  const std::string nix_conf = config_place(env, "sandbox");

  if (info.version < *Version::parse(k_min_nix_version))
    errors.push_back(Error{"Nix " + info.version_text + " is too old for kb's Nix backend",
                           {},
                           "kb needs Nix " + std::string(k_min_nix_version) +
                               " or newer (flake references, --json); upgrade Nix, or use the "
                               "native backend (the default)"});

  const bool off = info.sandbox == "false";
  const bool relaxed = info.sandbox == "relaxed";
  if (off || (relaxed && !is_darwin(info))) {
    std::string fix = "set `sandbox = true` in " + nix_conf;
    if (nix_conf == "/etc/nix/nix.conf")
      fix += " (Debian's nix-setup-systemd package ships `sandbox = false` there)";
    fix += ", as kernel-builder's own CLI requires; or pass --allow-unsandboxed to build anyway";
    if (!options.allow_unsandboxed) {
      errors.push_back(Error{"the Nix sandbox is " + std::string(off ? "off" : "relaxed") +
                                 " (sandbox = " + info.sandbox + ")",
                             {},
                             fix});
    } else {
      info.notes.push_back(Error{"building with the Nix sandbox " +
                                     std::string(off ? "off" : "relaxed") +
                                     " (--allow-unsandboxed): the build can read this machine's "
                                     "files, so the result is not a sealed release build",
                                 {},
                                 "set `sandbox = true` in " + nix_conf + " for release builds"});
    }
  }

  if (!contains(info.experimental_features, "nix-command") ||
      !contains(info.experimental_features, "flakes"))
    info.notes.push_back(Error{
        "the Nix configuration does not enable flakes; kb passes "
        "`--extra-experimental-features 'nix-command flakes'` on every call, so this only matters "
        "when you run nix yourself",
        {},
        "add `experimental-features = nix-command flakes` to " +
            config_place(env, "experimental-features")});

  bool has_hf = false;
  for (const auto& s : info.substituters) {
    std::string url = trim_slash(s);
    if (url == k_hf_cache) {
      has_hf = true;
    } else if (url.find("huggingface") != std::string::npos) {
      info.notes.push_back(Error{"substituter '" + s + "' is not the Hugging Face binary cache",
                                 {},
                                 "the cache is " + std::string(k_hf_cache) + "; fix the URL in " +
                                     config_place(env, "substituters")});
    }
  }
  if (!has_hf)
    info.notes.push_back(Error{
        "the Hugging Face binary cache is not among the substituters: the real kernel-builder "
        "then builds Torch and the toolkits on this machine (hours, many GB)",
        {},
        "add `extra-substituters = " + std::string(k_hf_cache) +
            "` and `extra-trusted-public-keys = " + std::string(k_hf_cache_key) + "` to " +
            config_place(env, "extra-substituters") +
            " (the flake's own nixConfig only applies to trusted users)"});

  if (!errors.empty()) return Errors(std::move(errors));
  return info;
}

Error unreachable_substituter_note(const std::string& url) {
  return Error{"substituter " + url +
                   " does not answer: Nix retries it for about 5 s before building each path it "
                   "does not have",
               {},
               "when offline, set `substituters =` (empty) in NIX_CONFIG or nix.conf; otherwise "
               "check the network or proxy settings"};
}

Result<NixInfo> nix_preflight(Process& process, const Environment& env, const NixOptions& options) {
  auto program = find_in_path("nix", env, RealDisk());
  if (!program)
    return Error{"nix not found",
                 {},
                 "install it (apt-get install nix-bin) or use the native backend (default)"};

  NixInfo info;
  info.program = *program;
  auto version_out = process.capture({info.program, "--version"}, env);
  if (!version_out.ok()) return version_out.take_errors();
  if (version_out->exit_code != 0)
    return Error{"`nix --version` failed (exit " + std::to_string(version_out->exit_code) +
                     "): " + version_out->err.substr(0, 500),
                 {},
                 "check the Nix installation"};
  auto version = parse_nix_version(version_out->out, &info.version_text);
  if (!version.ok()) return version.take_errors();
  info.version = *version;

  // First without kb's feature flags: if that works, the configuration enables nix-command
  // itself, and the features reported are the configured ones. If not, read the rest with the
  // flags (`show-config` became `config show` in Nix 2.20, so try both).
  bool nix_command_off = false;
  Captured config_out;
  const std::vector<std::vector<std::string>> attempts{
      {info.program, "show-config", "--json"},
      nix_argv(info.program, {"show-config", "--json"}),
      nix_argv(info.program, {"config", "show", "--json"})};
  for (size_t i = 0; i < attempts.size(); ++i) {
    auto r = process.capture(attempts[i], env);
    if (!r.ok()) return r.take_errors();
    config_out = std::move(*r);
    if (config_out.exit_code == 0) break;
    if (i == 0) nix_command_off = config_out.err.find("'nix-command'") != std::string::npos;
  }
  if (config_out.exit_code != 0)
    return Error{"cannot read the Nix configuration (`nix show-config --json` exit " +
                     std::to_string(config_out.exit_code) + "): " + config_out.err.substr(0, 500),
                 {},
                 "fix the configuration error Nix reports (nix.conf or NIX_CONFIG)"};
  KB_TRY(parse_show_config_json(config_out.out, info));
  if (nix_command_off) {
    // What Nix reported includes kb's own flags; the configuration itself lacks nix-command.
    auto& f = info.experimental_features;
    f.erase(
        std::remove_if(f.begin(), f.end(),
                       [](const std::string& x) { return x == "nix-command" || x == "flakes"; }),
        f.end());
  }

  auto checked = check_nix(std::move(info), options, env);
  if (!checked.ok()) return checked;

  if (options.probe_substituters) {
    int probed = 0;
    for (const auto& url : checked->substituters) {
      if (!(url.starts_with("http://") || url.starts_with("https://")) || probed++ >= 4) continue;
      auto r = process.capture(nix_argv(checked->program, {"store", "ping", "--store", url,
                                                           "--option", "connect-timeout", "3",
                                                           "--option", "download-attempts", "1"}),
                               env);
      if (r.ok() && r->exit_code != 0) checked->notes.push_back(unreachable_substituter_note(url));
    }
  }
  return checked;
}

}  // namespace kb::nix
