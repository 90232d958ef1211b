// merge_bundles: `kb bundle merge` (kb/bundle_merge.h, docs/distributed.md).

#include "kb/bundle_merge.h"

#include <map>
#include <utility>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kb/bundle_check.h"
#include "kb/digest.h"
#include "kb/path.h"

namespace kb {
namespace {

using nlohmann::json;
using Files = std::vector<std::pair<std::string, std::string>>;

// The last component of `path` ("" for "/").
std::string base_name(const std::string& path) {
  std::string p = without_trailing_slash(path);
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// Whether a bundle file is copied into the output: everything but bytecode, which Python
// writes next to the sources when a bundle is imported and which no digest covers.
bool copied(const std::string& rel) {
  return rel == "metadata.json" || rel == "metadata.json.sigstore" || !digest_excludes(rel);
}

// Reads the bundle in `dir` named `variant` and checks it (check_bundle). Fails, naming the
// bundle, the file and why, when a file cannot be read or the bundle is incomplete.
Result<FoundBundle> read_bundle(const Disk& disk, const std::string& dir,
                                const std::string& variant) {
  KB_TRY_ASSIGN(auto rels, disk.list_files_recursive(dir));
  Files files;
  for (const auto& rel : rels) {
    if (digest_excludes(rel)) continue;
    KB_TRY_ASSIGN(auto bytes, disk.read_file(join_path(dir, rel)));
    files.emplace_back(rel, std::move(bytes));
  }
  KB_TRY_ASSIGN(auto metadata, disk.read_file(join_path(dir, "metadata.json")));
  BundleCheck check = check_bundle(variant, files, metadata);
  if (!check.problems.empty()) {
    const BundleProblem& p = check.problems.front();
    std::string more =
        check.problems.size() > 1 ? fmt::format(" (and {} more)", check.problems.size() - 1) : "";
    return Error{fmt::format("bundle {} ({}) fails its check: {}{}{}", variant, dir,
                             p.file.empty() ? "" : p.file + ": ", p.message, more),
                 {},
                 "a bundle must be merged as kb built it; run 'kb check-builds " +
                     dir.substr(0, dir.rfind('/')) + "' for every problem, and rebuild " + variant};
  }
  KB_TRY_ASSIGN(auto identity, bundle_identity(metadata));
  return FoundBundle{variant, dir, std::move(metadata), std::move(identity)};
}

// The directory whose entries are the bundles of input `dir` (see find_bundles).
std::string bundles_root(const Disk& disk, const std::string& dir) {
  const std::string build = join_path(dir, "build");
  return disk.stat(build).is_dir ? build : dir;
}

// Where `a` and `b` come from, for messages: "<variant> (<dir>)".
std::string where(const FoundBundle& b) { return fmt::format("{} ({})", b.variant, b.dir); }

// Errors for every bundle of `all` (and `existing`) of another build than the first of `all`.
Errors mixed_builds(const std::vector<FoundBundle>& all, const std::vector<FoundBundle>& existing) {
  Errors errors;
  if (all.empty()) return errors;
  const FoundBundle& first = all.front();
  auto compare = [&](const FoundBundle& b, const char* what) {
    if (auto diff = identity_difference(first.identity, b.identity))
      errors.list.push_back(Error{
          fmt::format("cannot merge bundles of different builds: {}{} differs in its {} from {}",
                      what, where(b), *diff, where(first)),
          {},
          "merge only bundles of one kernel built from one commit (one unique id): rebuild the "
          "odd variant from that commit, or merge into an empty --out"});
  };
  for (const auto& b : all) compare(b, "");
  for (const auto& b : existing) compare(b, "the output's bundle ");
  return errors;
}

}  // namespace

Result<BundleIdentity> bundle_identity(const std::string& metadata_text) {
  json m = json::parse(metadata_text, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded() || !m.is_object()) return Error{"metadata.json is no JSON object", {}, ""};
  if (!m.contains("name") || !m["name"].is_string() || !m.contains("id") || !m["id"].is_string())
    return Error{"metadata.json has no string \"name\" and \"id\"", {}, ""};
  BundleIdentity out;
  out.name = m["name"].get<std::string>();
  const std::string id = m["id"].get<std::string>();
  std::string module = out.name;
  for (char& c : module)
    if (c == '-') c = '_';
  // "_<module>_<backend>_<unique id>": the backend is one word, so the id is what follows the
  // third '_' after the module's name.
  const std::string prefix = "_" + module + "_";
  size_t after_backend = id.starts_with(prefix) ? id.find('_', prefix.size()) : std::string::npos;
  out.unique_id = after_backend == std::string::npos ? id : id.substr(after_backend + 1);
  if (m.contains("provenance") && m["provenance"].is_object() &&
      m["provenance"].contains("kernel") && m["provenance"]["kernel"].is_object()) {
    const json& k = m["provenance"]["kernel"];
    const json& c = k.contains("commit") ? k["commit"] : (k.contains("sha") ? k["sha"] : json());
    if (c.is_string()) out.commit = c.get<std::string>();
    if (k.contains("dirty") && k["dirty"].is_boolean())
      out.dirty = k["dirty"].get<bool>() ? "true" : "false";
  }
  return out;
}

std::optional<std::string> identity_difference(const BundleIdentity& a, const BundleIdentity& b) {
  auto show = [](const std::string& s) { return s.empty() ? std::string("none") : s; };
  const std::pair<const char*, std::pair<std::string, std::string>> fields[] = {
      {"kernel name", {a.name, b.name}},
      {"unique id", {a.unique_id, b.unique_id}},
      {"source commit", {a.commit, b.commit}},
      {"dirty flag", {a.dirty, b.dirty}}};
  for (const auto& [field, values] : fields)
    if (values.first != values.second)
      return fmt::format("{} ({} vs {})", field, show(values.second), show(values.first));
  return std::nullopt;
}

Result<std::vector<FoundBundle>> find_bundles(const Disk& disk, const std::string& dir,
                                              std::vector<std::string>& skipped) {
  const FileStat top = disk.stat(dir);
  if (!top.is_dir) return Error{"no such directory: " + dir, {}, ""};
  if (disk.stat(join_path(dir, "metadata.json")).is_regular) {
    const std::string variant = base_name(dir);
    if (auto why = foreign_reason(variant, true))
      return Error{fmt::format("{} holds metadata.json, but its name is no variant: {}", dir, *why),
                   {},
                   "give the directory that holds <variant>/ bundles, or name the bundle's "
                   "directory after its variant"};
    KB_TRY_ASSIGN(auto b, read_bundle(disk, dir, variant));
    return std::vector<FoundBundle>{std::move(b)};
  }
  const std::string root = bundles_root(disk, dir);
  KB_TRY_ASSIGN(auto names, disk.list_dir(root));
  std::vector<FoundBundle> out;
  Errors errors;
  for (const auto& name : names) {
    const std::string path = join_path(root, name);
    if (name.starts_with('.') || !disk.stat(path).is_dir) continue;
    if (auto why = foreign_reason(name, disk.stat(join_path(path, "metadata.json")).is_regular)) {
      skipped.push_back(path + ": " + *why);
      continue;
    }
    auto b = read_bundle(disk, path, name);
    if (!b) {
      for (auto& e : b.errors().list) errors.list.push_back(e);
      continue;
    }
    out.push_back(std::move(*b));
  }
  if (!errors.list.empty()) return errors;
  if (out.empty())
    return Error{"no bundle in " + root, {}, "give the --out directory of a 'kb build'"};
  return out;
}

Result<MergeOutcome> merge_bundles(const std::vector<std::string>& inputs,
                                   const std::string& out_dir, Disk& disk) {
  if (inputs.empty())
    return Error{"nothing to merge", {}, "usage: kb bundle merge DIR... --out DIR"};
  MergeOutcome outcome;
  // 1. Every input's bundles, checked; one variant given twice must be the same bundle.
  std::vector<FoundBundle> all;
  std::map<std::string, size_t> by_variant;
  Errors errors;
  for (const auto& input : inputs) {
    auto found = find_bundles(disk, input, outcome.skipped);
    if (!found) {
      for (auto& e : found.errors().list) errors.list.push_back(e);
      continue;
    }
    for (auto& b : *found) {
      auto [it, fresh] = by_variant.emplace(b.variant, all.size());
      if (fresh) {
        all.push_back(std::move(b));
        continue;
      }
      const FoundBundle& first = all[it->second];
      if (first.metadata == b.metadata) continue;  // the same build of the variant, twice
      auto diff = identity_difference(first.identity, b.identity);
      errors.list.push_back(Error{
          fmt::format("variant {} is given twice with different content: {} and {} ({})", b.variant,
                      first.dir, b.dir,
                      diff ? "their " + *diff + " differ" : std::string("their files differ")),
          {},
          "keep one of them: the two builds of that variant are not the same"});
    }
  }
  if (!errors.list.empty()) return errors;

  // 2. What the output holds already: identical variants stay, others must be of this build.
  std::vector<FoundBundle> existing;
  std::vector<const FoundBundle*> to_add;
  const bool out_exists = disk.stat(out_dir).is_dir;
  std::vector<std::string> out_names;
  if (out_exists) {
    KB_TRY_ASSIGN(out_names, disk.list_dir(out_dir));
  } else if (disk.exists(out_dir)) {
    return Error{out_dir + " exists and is no directory", {}, "give a directory for --out"};
  }
  for (const auto& name : out_names) {
    const std::string path = join_path(out_dir, name);
    if (name.starts_with('.') || !disk.stat(path).is_dir) continue;
    if (foreign_reason(name, disk.stat(join_path(path, "metadata.json")).is_regular)) continue;
    auto it = by_variant.find(name);
    auto b = read_bundle(disk, path, name);
    if (it != by_variant.end()) {
      const FoundBundle& incoming = all[it->second];
      if (b && b->metadata == incoming.metadata) {
        outcome.unchanged.push_back(name);
        continue;
      }
      errors.list.push_back(
          Error{fmt::format("{} exists with other content than {}: {}", path, incoming.dir,
                            b ? "its metadata.json differs" : b.errors().list.front().message),
                {},
                "kb bundle merge never replaces a bundle; remove " + path +
                    " or merge into another --out"});
      continue;
    }
    if (!b) {
      errors.list.push_back(Error{fmt::format("the output holds a bundle that fails its check: {}",
                                              b.errors().list.front().message),
                                  {},
                                  "remove it or merge into another --out"});
      continue;
    }
    existing.push_back(std::move(*b));
  }
  for (auto& e : mixed_builds(all, existing).list) errors.list.push_back(std::move(e));
  if (!errors.list.empty()) return errors;
  for (const auto& b : all)
    if (std::find(outcome.unchanged.begin(), outcome.unchanged.end(), b.variant) ==
        outcome.unchanged.end())
      to_add.push_back(&b);
  if (to_add.empty()) return outcome;

  // 3. Stage each new variant under out_dir (the same file system), check the copy, rename.
  KB_TRY_ASSIGN(auto stage, disk.make_temp_dir(out_dir, ".kb-merge-"));
  auto place = [&](const FoundBundle& b) -> Result<Ok> {
    const std::string staged = join_path(stage, b.variant);
    KB_TRY_ASSIGN(auto rels, disk.list_files_recursive(b.dir));
    for (const auto& rel : rels)
      if (copied(rel)) KB_TRY(disk.copy_file(join_path(b.dir, rel), join_path(staged, rel)));
    KB_TRY_ASSIGN(auto copy, read_bundle(disk, staged, b.variant));
    if (copy.metadata != b.metadata)
      return Error{fmt::format("{} changed while it was copied", b.dir), {}, "merge again"};
    const std::string target = join_path(out_dir, b.variant);
    if (disk.exists(target)) return Error{target + " appeared while kb merged", {}, "merge again"};
    return disk.replace_dir(staged, target);
  };
  for (const FoundBundle* b : to_add) {
    auto placed = place(*b);
    if (!placed) {
      (void)disk.remove_all(stage);  // best effort; the error that matters is `placed`
      return placed.take_errors();
    }
    outcome.added.push_back(b->variant);
  }
  KB_TRY(disk.remove_all(stage));
  return outcome;
}

}  // namespace kb
