// check_bundle, find_stale and check_build_tree: `kb check-builds` (docs/check-builds.md).

#include "kb/bundle_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "kb/digest.h"
#include "kb/variant.h"

namespace kb {
namespace {

using nlohmann::json;

std::string join(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.ends_with('/') ? dir + name : dir + "/" + name;
}

bool is_kernel_name(const std::string& s) {
  // kernels-data's KernelName: ^[a-z][-a-z0-9]*[a-z0-9]$
  if (s.size() < 2 || s.front() < 'a' || s.front() > 'z') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return s.back() != '-';
}

bool is_hex_id(const std::string& s) {
  if (s.size() != 40 && s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_string_array(const json& j) {
  return j.is_array() &&
         std::all_of(j.begin(), j.end(), [](const json& e) { return e.is_string(); });
}

// The problems of metadata `m` against the reference's Metadata struct (kernels-data
// src/metadata.rs as shared/reference/kernel-builder-format.md section 3.4 describes it).
void check_metadata_fields(const json& m, std::vector<BundleProblem>& out) {
  auto bad = [&](const std::string& msg) { out.push_back({"metadata.json", msg}); };
  auto need_string = [&](const char* key) {
    if (!m.contains(key))
      bad(fmt::format("no \"{}\"", key));
    else if (!m[key].is_string())
      bad(fmt::format("\"{}\" is no string", key));
  };
  need_string("name");
  if (m.contains("name") && m["name"].is_string() && !is_kernel_name(m["name"].get<std::string>()))
    bad("\"name\" is no kernel name (^[a-z][-a-z0-9]*[a-z0-9]$)");
  need_string("id");
  need_string("license");
  if (!m.contains("version"))
    bad("no \"version\"");
  else if (!m["version"].is_number_unsigned())
    bad("\"version\" is no non-negative integer");
  for (const char* key : {"upstream", "source"})
    if (m.contains(key) && !m[key].is_string()) bad(fmt::format("\"{}\" is no string", key));
  if (m.contains("python-depends") && !is_string_array(m["python-depends"]))
    bad("\"python-depends\" is no list of strings");
  if (m.contains("kernel-depends")) {
    const json& kd = m["kernel-depends"];
    bool ok = kd.is_array();
    if (ok)
      for (const auto& d : kd)
        ok = ok && d.is_object() && d.contains("repo-id") && d["repo-id"].is_string() &&
             (d.contains("version") != d.contains("revision"));
    if (!ok) bad("\"kernel-depends\" is no list of {repo-id, version | revision}");
  }
  static const std::set<std::string> backends{"cann",   "cpu",  "cuda", "metal",
                                              "neuron", "rocm", "tpu",  "xpu"};
  if (!m.contains("backend") || !m["backend"].is_object()) {
    bad("no \"backend\" object");
  } else {
    const json& b = m["backend"];
    if (!b.contains("type") || !b["type"].is_string() ||
        !backends.contains(b["type"].get<std::string>()))
      bad("\"backend.type\" is no backend (cann cpu cuda metal neuron rocm tpu xpu)");
    if (b.contains("archs") && !is_string_array(b["archs"]))
      bad("\"backend.archs\" is no list of strings");
  }
  if (m.contains("provenance")) {
    const json& p = m["provenance"];
    auto check_commit = [&](const json& o, const std::string& where, bool required) {
      if (!o.is_object()) return bad(fmt::format("\"{}\" is no object", where));
      const bool commit = o.contains("commit") || o.contains("sha");
      if (required && !commit) bad(fmt::format("\"{}\" has no commit", where));
      if (commit != o.contains("dirty"))
        bad(fmt::format("\"{}\": commit and dirty must appear together", where));
      const json& c = o.contains("commit") ? o["commit"] : (o.contains("sha") ? o["sha"] : json());
      if (commit && (!c.is_string() || !is_hex_id(c.get<std::string>())))
        bad(fmt::format("\"{}.commit\" is no lowercase 40 or 64 hex object id", where));
      if (o.contains("dirty") && !o["dirty"].is_boolean())
        bad(fmt::format("\"{}.dirty\" is no boolean", where));
    };
    if (!p.is_object()) {
      bad("\"provenance\" is no object");
    } else {
      if (p.contains("kernel-builder")) {
        check_commit(p["kernel-builder"], "provenance.kernel-builder", false);
        if (p["kernel-builder"].is_object() && !(p["kernel-builder"].contains("version") &&
                                                 p["kernel-builder"]["version"].is_string()))
          bad("\"provenance.kernel-builder.version\" is no string");
      }
      if (p.contains("kernel")) check_commit(p["kernel"], "provenance.kernel", true);
    }
  }
}

// Compares the recorded digest with the files' hashes; each difference names its file.
void check_digest(const json& m, const std::vector<std::pair<std::string, std::string>>& files,
                  std::vector<BundleProblem>& out) {
  if (!m.contains("digest"))
    return out.push_back(
        {"metadata.json", "no \"digest\" (kb and the Nix builds always write one)"});
  const json& d = m["digest"];
  if (!d.is_object() || !d.contains("algorithm") || !d["algorithm"].is_string() ||
      !d.contains("files") || !d["files"].is_object())
    return out.push_back({"metadata.json", "\"digest\" is no {algorithm, files} object"});
  const std::string algorithm = d["algorithm"].get<std::string>();
  if (algorithm != "sha256")
    return out.push_back(
        {"metadata.json",
         algorithm == "sha512"
             ? "digest algorithm sha512: kb verifies sha256 digests only"
             : "digest algorithm '" + algorithm + "' is neither sha256 nor sha512"});
  const Digest actual = compute_digest(files);
  for (const auto& [path, hash] : d["files"].items()) {
    auto it = actual.files.find(path);
    if (it == actual.files.end())
      out.push_back({path, "listed in the digest but missing"});
    else if (!hash.is_string() || hash.get<std::string>() != it->second)
      out.push_back({path, "content differs from the digest"});
  }
  for (const auto& [path, hash] : actual.files)
    if (!d["files"].contains(path))
      out.push_back({path, "not in the digest (added after the build)"});
}

bool has_file(const std::vector<std::pair<std::string, std::string>>& files,
              const std::string& path) {
  return std::any_of(files.begin(), files.end(), [&](const auto& f) { return f.first == path; });
}

const std::string* file_bytes(const std::vector<std::pair<std::string, std::string>>& files,
                              const std::string& path) {
  for (const auto& f : files)
    if (f.first == path) return &f.second;
  return nullptr;
}

}  // namespace

BundleCheck check_bundle(std::string_view variant,
                         const std::vector<std::pair<std::string, std::string>>& files,
                         std::string_view metadata_text) {
  BundleCheck c;
  c.variant = std::string(variant);
  json m = json::parse(metadata_text, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded() || !m.is_object()) {
    c.problems.push_back({"metadata.json", m.is_discarded() ? "is no JSON" : "is no JSON object"});
    return c;
  }
  check_metadata_fields(m, c.problems);
  check_digest(m, files, c.problems);
  if (!m.contains("id") || !m["id"].is_string() || !m.contains("name") || !m["name"].is_string())
    return c;
  c.id = m["id"].get<std::string>();
  std::string module = m["name"].get<std::string>();
  std::replace(module.begin(), module.end(), '-', '_');
  const std::string backend = m.contains("backend") && m["backend"].is_object() &&
                                      m["backend"].value("type", json()).is_string()
                                  ? m["backend"]["type"].get<std::string>()
                                  : "";
  const std::string prefix = "_" + module + "_" + backend + "_";
  if (!c.id.starts_with(prefix) || c.id.size() == prefix.size()) {
    c.problems.push_back(
        {"metadata.json", fmt::format("\"id\" '{}' is not {}<unique id>", c.id, prefix)});
  } else {
    c.unique_id = c.id.substr(prefix.size());
  }
  auto name = VariantName::parse(variant);
  if (name.ok()) {
    if (name->kind != VariantName::Kind::noarch && to_string(name->backend) != backend &&
        !backend.empty())
      c.problems.push_back(
          {"metadata.json", fmt::format("\"backend.type\" is {}, the directory name says {}",
                                        backend, to_string(name->backend))});
    if (name->kind != VariantName::Kind::noarch) {
      const std::string so = c.id + (name->kind == VariantName::Kind::tvm_ffi ? ".so" : ".abi3.so");
      if (!has_file(files, so))
        c.problems.push_back({so, "missing: the extension module metadata \"id\" names"});
    }
  }
  const std::string* ops = file_bytes(files, "_ops.py");
  if (!ops) {
    c.problems.push_back({"_ops.py", "missing"});
  } else if (name.ok() && name->kind == VariantName::Kind::noarch) {
    if (!c.unique_id.empty() &&
        ops->find("_UNIQUE_ID = \"" + c.unique_id + "\"") == std::string::npos &&
        ops->find(c.unique_id) == std::string::npos)
      c.problems.push_back(
          {"_ops.py", "does not name the unique id '" + c.unique_id + "' of metadata \"id\""});
  } else if (ops->find(c.id) == std::string::npos) {
    c.problems.push_back({"_ops.py", "does not name metadata \"id\" '" + c.id + "'"});
  }
  return c;
}

std::optional<std::string> foreign_reason(std::string_view name, bool has_metadata) {
  auto parsed = VariantName::parse(name);
  if (!parsed) return "not a variant name: " + parsed.errors().list.front().message;
  if (!has_metadata) return std::string("no metadata.json");
  return std::nullopt;
}

void find_stale(std::vector<BundleCheck>& checks, const Config* config) {
  const BundleCheck* newest = nullptr;
  for (const auto& c : checks)
    if (!c.foreign && !c.unique_id.empty() &&
        (!newest || c.metadata_mtime_ns > newest->metadata_mtime_ns))
      newest = &c;
  const std::string current = newest ? newest->unique_id : "";
  const std::string current_variant = newest ? newest->variant : "";
  for (auto& c : checks) {
    if (c.foreign) continue;
    if (!current.empty() && !c.unique_id.empty() && c.unique_id != current) {
      c.stale = fmt::format("unique id {}, the newest bundle ({}) has {}: an older build",
                            c.unique_id, current_variant, current);
      continue;
    }
    if (!config) continue;
    auto name = VariantName::parse(c.variant);
    if (!name) continue;
    const Backend b = name->backend;
    if (!config->has_backend(b)) {
      c.stale = fmt::format("{} is not in general.backends", to_string(b));
    } else if (name->kind == VariantName::Kind::noarch && config->has_kernels_for(b)) {
      c.stale = fmt::format("noarch, but build.toml has [kernel.*] sections for {}", to_string(b));
    } else if (name->kind != VariantName::Kind::noarch && !config->has_kernels_for(b)) {
      c.stale = fmt::format("an arch variant, but build.toml has no [kernel.*] section for {}",
                            to_string(b));
    } else if (name->kind == VariantName::Kind::tvm_ffi &&
               config->framework != Framework::tvm_ffi) {
      c.stale = fmt::format("a tvm-ffi variant, but build.toml's framework is [{}]",
                            to_string(config->framework));
    } else if ((name->kind == VariantName::Kind::torch ||
                name->kind == VariantName::Kind::stable_abi) &&
               config->framework != Framework::torch) {
      c.stale = fmt::format("a Torch variant, but build.toml's framework is [{}]",
                            to_string(config->framework));
    } else if (name->kind == VariantName::Kind::torch &&
               ((config->torch.minver && name->framework < config->torch.minver->truncated()) ||
                (config->torch.maxver && name->framework > config->torch.maxver->truncated()))) {
      c.stale =
          fmt::format("Torch {} is outside [torch] minver/maxver", name->framework.major_minor());
    }
  }
}

Result<std::vector<BundleCheck>> check_build_tree(const Disk& disk, const std::string& root,
                                                  const Config* config) {
  const std::string build = disk.stat(join(root, "build")).is_dir ? join(root, "build") : root;
  if (build == root && disk.stat(join(root, "build.toml")).is_regular)
    return Error{"no build directory: " + join(root, "build"), {}, "build first: kb build"};
  if (disk.stat(join(build, "metadata.json")).is_regular)
    return Error{build + " is one bundle, not a build directory",
                 {},
                 "give the kernel directory or its build directory"};
  auto names = disk.list_dir(build);
  if (!names) return names.take_errors();
  std::vector<BundleCheck> out;
  for (const auto& entry : *names) {
    const std::string dir = join(build, entry);
    if (entry.starts_with('.') || entry == "benchmarks" || !disk.stat(dir).is_dir) continue;
    const FileStat meta = disk.stat(join(dir, "metadata.json"));
    BundleCheck c;
    if (auto why = foreign_reason(entry, meta.is_regular)) {
      c.dir = dir;
      c.variant = entry;
      c.foreign = *why;
      out.push_back(std::move(c));
      continue;
    }
    std::vector<std::pair<std::string, std::string>> files;
    std::vector<BundleProblem> unreadable;
    auto rels = disk.list_files_recursive(dir);
    if (!rels) return rels.take_errors();
    for (const auto& rel : *rels) {
      if (digest_excludes(rel)) continue;
      auto bytes = disk.read_file(join(dir, rel));
      if (bytes)
        files.emplace_back(rel, std::move(*bytes));
      else
        unreadable.push_back({rel, bytes.errors().list.front().message});
    }
    auto text = disk.read_file(join(dir, "metadata.json"));
    c = check_bundle(entry, files, text ? *text : std::string_view("not read"));
    c.dir = dir;
    c.metadata_mtime_ns = meta.mtime_ns;
    c.problems.insert(c.problems.begin(), unreadable.begin(), unreadable.end());
    out.push_back(std::move(c));
  }
  if (out.empty()) return Error{"no bundle directory in " + build, {}, "build first: kb build"};
  find_stale(out, config);
  return out;
}

std::string format_bundle_line(const BundleCheck& b) {
  if (b.foreign) return "foreign: " + b.variant + ": " + *b.foreign;
  std::string line;
  if (!b.problems.empty()) {
    const auto& p = b.problems.front();
    line = "INCOMPLETE: " + b.variant + ": " + (p.file.empty() ? "" : p.file + ": ") + p.message;
    if (b.problems.size() > 1) line += fmt::format(" (and {} more)", b.problems.size() - 1);
    if (b.stale) line += "; stale: " + *b.stale;
    return line;
  }
  if (b.stale) return "stale: " + b.variant + ": " + *b.stale;
  return "ok: " + b.variant + " (" + b.id + ")";
}

std::string format_bundle_checks_json(const std::vector<BundleCheck>& checks) {
  json out = json::array();
  for (const auto& c : checks) {
    json problems = json::array();
    for (const auto& p : c.problems) problems.push_back({{"file", p.file}, {"message", p.message}});
    out.push_back(
        {{"variant", c.variant},
         {"dir", c.dir},
         {"state", c.foreign ? "foreign" : (c.problems.empty() ? "complete" : "incomplete")},
         {"id", c.id},
         {"problems", problems},
         {"stale", c.stale ? json(*c.stale) : json(nullptr)},
         {"foreign", c.foreign ? json(*c.foreign) : json(nullptr)}});
  }
  return out.dump(2) + "\n";
}

}  // namespace kb
