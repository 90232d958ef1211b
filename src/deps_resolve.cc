#include "kb/deps_resolve.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "kb/digest.h"
#include "kb/path.h"
#include "src/deps_fetch.h"

namespace kb {

namespace {

constexpr int k_default_fetch_timeout_s = 600;
constexpr const char* k_manifest = "kb-dep.json";

// A header tree's hashes.
struct TreeScan {
  std::string content_hash;  // empty unless asked for
  std::string stat_fingerprint;
  int files = 0;
};

Result<TreeScan> scan_tree(const std::string& root, const Disk& disk, bool with_content) {
  auto files = disk.list_files_recursive(root);
  if (!files) return files.take_errors();
  std::vector<std::pair<std::string, std::string>> stats, hashes;
  for (const auto& rel : *files) {
    std::string path = join_path(root, rel);
    FileStat st = disk.stat(path);
    stats.emplace_back(rel, fmt::format("{} {}", st.size, st.mtime_ns));
    if (!with_content) continue;
    auto bytes = disk.read_file(path);
    if (!bytes) return bytes.take_errors();
    hashes.emplace_back(rel, sha256_hex(*bytes));
  }
  TreeScan scan;
  scan.files = static_cast<int>(files->size());
  scan.stat_fingerprint = tree_stat_fingerprint(std::move(stats));
  if (with_content) scan.content_hash = tree_content_hash(std::move(hashes));
  return scan;
}

// The CUTLASS version of an include dir, from cutlass/version.h.
std::optional<std::string> tree_version(const std::string& include_dir, const Disk& disk) {
  auto text = disk.read_file(join_path(include_dir, "cutlass/version.h"));
  if (!text) return std::nullopt;
  return parse_cutlass_version(*text);
}

// One requirement being looked up.
struct Lookup {
  const DepLookup& opts;
  Disk& disk;
  Process& process;
  const Environment& env;
  int timeout_s;
  DepStatus status;
  bool fetch_noted = false;

  const DepPin& pin() const { return status.requirement.pin; }

  void resolved(DepRoute route, std::string origin, std::string include_dir, std::string hash) {
    status.state = DepStatus::State::resolved;
    status.route = route;
    status.origin = std::move(origin);
    status.include_dir = std::move(include_dir);
    status.content_hash = std::move(hash);
  }

  // A tree the user named (--dep or CUTLASS_SRC_DIR, called `what`): its include dir, of the
  // pinned version. Anything else is an error: the user asked for this tree.
  Result<Ok> use_local(DepRoute route, const std::string& what, const std::string& path) {
    auto where = [&]() -> std::optional<SourceLoc> {
      if (status.requirement.uses.empty()) return std::nullopt;
      return status.requirement.uses.front().loc;
    };
    if (path.empty() || path.front() != '/')
      return Error{fmt::format("{} is '{}', which is not an absolute path", what, path), where(),
                   "give the absolute path of a CUTLASS " + pin().version + " source tree"};
    std::string include;
    for (const std::string& candidate : {join_path(path, "include"), path})
      if (disk.exists(join_path(candidate, "cutlass/version.h"))) {
        include = candidate;
        break;
      }
    if (include.empty())
      return Error{
          fmt::format("{} is '{}', which holds no CUTLASS headers (no include/cutlass/version.h "
                      "or cutlass/version.h)",
                      what, path),
          where(), "point it at a CUTLASS " + pin().version + " source tree or its include/"};
    auto version = tree_version(include, disk);
    if (!version)
      return Error{fmt::format("{} is '{}': {}/cutlass/version.h declares no CUTLASS_MAJOR, "
                               "CUTLASS_MINOR and CUTLASS_PATCH",
                               what, path, include),
                   where(), "point it at a CUTLASS " + pin().version + " source tree"};
    if (*version != pin().version)
      return Error{fmt::format("{} is '{}', which holds CUTLASS {}, but {} is pinned to {}", what,
                               path, *version, pin().name, pin().version),
                   where(),
                   fmt::format("kb never builds against another version; point it at CUTLASS {} "
                               "(git tag {}), or leave it out and let kb fetch it",
                               pin().version, git_tag(pin()))};
    std::string hash;
    if (opts.full_verify) {
      auto scan = scan_tree(include, disk, true);
      if (!scan) return scan.take_errors();
      hash = scan->content_hash;
    }
    resolved(route, path, include, hash);
    return Ok{};
  }

  std::string entry_dir() const { return join_path(opts.cache_dir, dep_cache_entry_name(pin())); }

  // The cache entry, when it holds the pin and its content is what was recorded. A damaged
  // entry is removed when the fetch routes may refill it.
  Result<Ok> from_cache() {
    if (opts.cache_dir.empty()) {
      status.reasons.push_back(
          "cache: no cache directory (set KB_CACHE_DIR, XDG_CACHE_HOME or HOME)");
      return Ok{};
    }
    const std::string entry = entry_dir();
    const std::string manifest_path = join_path(entry, k_manifest);
    if (!disk.exists(manifest_path)) {
      status.reasons.push_back("cache: no entry " + entry);
      return Ok{};
    }
    std::string damage;
    auto text = disk.read_file(manifest_path);
    auto manifest = text ? parse_dep_manifest(*text) : Result<DepCacheManifest>(text.take_errors());
    const std::string include = join_path(entry, "include");
    if (!manifest) {
      damage = manifest.errors().list.front().message;
    } else if (manifest->name != pin().name || manifest->version != pin().version) {
      damage = fmt::format("it records {} {}", manifest->name, manifest->version);
    } else {
      auto quick = scan_tree(include, disk, false);
      if (!quick) return quick.take_errors();
      if (quick->stat_fingerprint == manifest->stat_fingerprint && !opts.full_verify) {
        resolved(DepRoute::cache, origin_text(*manifest), include, manifest->content_hash);
        return Ok{};
      }
      auto full = scan_tree(include, disk, true);
      if (!full) return full.take_errors();
      if (full->content_hash == manifest->content_hash) {
        if (quick->stat_fingerprint != manifest->stat_fingerprint) {
          // Touched but identical: remember the new fingerprint (best effort; a read-only
          // cache is verified in full each time instead).
          manifest->stat_fingerprint = quick->stat_fingerprint;
          (void)disk.write_file_atomic(manifest_path, render_dep_manifest(*manifest));
        }
        resolved(DepRoute::cache, origin_text(*manifest), include, manifest->content_hash);
        return Ok{};
      }
      damage = fmt::format("its headers hash to {}, but {} was recorded when it was filled",
                           full->content_hash, manifest->content_hash);
    }
    if (opts.fetch) {
      KB_TRY(disk.remove_all(entry));
      status.reasons.push_back(
          fmt::format("cache: entry {} was damaged ({}); removed, fetching again", entry, damage));
    } else {
      status.reasons.push_back(
          fmt::format("cache: entry {} is damaged ({}); 'kb deps fetch' "
                      "replaces it",
                      entry, damage));
    }
    return Ok{};
  }

  static std::string origin_text(const DepCacheManifest& m) {
    return fmt::format("{} ({})", m.origin, to_string(m.route));
  }

  // Fetches through `route` into a staging dir, checks the version, records the hashes and
  // moves the tree into the cache.
  Result<Ok> fetch(DepRoute route) {
    if (opts.cache_dir.empty()) {
      status.reasons.push_back(
          fmt::format("{}: nowhere to store a download (no cache directory)", to_string(route)));
      return Ok{};
    }
    // Staged beside the entries (one file system: the finished tree is renamed into place),
    // under a name no other kb process fetching at the same time uses.
    auto stage = disk.make_temp_dir(opts.cache_dir, ".stage-" + dep_cache_entry_name(pin()) + "-");
    if (!stage) return stage.take_errors();
    auto reason = fetch_into(route, *stage);
    if (!reason) return reason.take_errors();
    if (!reason->empty()) {
      status.reasons.push_back(fmt::format("{}: {}", to_string(route), *reason));
      KB_TRY(disk.remove_all(*stage));
    }
    return Ok{};
  }

  // "" when the tree was fetched and stored; else why not. Fails on a disk error.
  Result<std::string> fetch_into(DepRoute route, const std::string& stage) {
    FetchContext ctx{disk, process, env, opts.pythons, timeout_s};
    std::string url = env.get("KB_CUTLASS_GIT_URL").value_or(std::string(k_cutlass_git_url));
    if (url.empty()) url = std::string(k_cutlass_git_url);
    auto origin = route == DepRoute::pypi ? fetch_from_pypi(pin(), stage, ctx)
                                          : fetch_from_git(pin(), url, stage, ctx);
    if (!origin) return origin.errors().list.front().message;
    const std::string include = join_path(stage, "include");
    auto version = tree_version(include, disk);
    if (!version) return fmt::format("{} has no readable cutlass/version.h", *origin);
    if (*version != pin().version)
      return fmt::format("{} holds CUTLASS {}, not {}", *origin, *version, pin().version);
    auto scan = scan_tree(include, disk, true);
    if (!scan) return scan.take_errors();
    DepCacheManifest m;
    m.name = pin().name;
    m.version = pin().version;
    m.route = route;
    m.origin = *origin;
    m.content_hash = scan->content_hash;
    m.stat_fingerprint = scan->stat_fingerprint;
    m.files = scan->files;
    // Another kb filled the entry with the same tree meanwhile: keep that one (its files may
    // be open in a build), drop ours.
    if (auto there = disk.read_file(join_path(entry_dir(), k_manifest)); there.ok()) {
      auto other = parse_dep_manifest(*there);
      if (other.ok() && other->content_hash == m.content_hash) {
        KB_TRY(disk.remove_all(stage));
        resolved(other->route, origin_text(*other), join_path(entry_dir(), "include"),
                 m.content_hash);
        return std::string();
      }
    }
    KB_TRY(disk.write_file_atomic(join_path(stage, k_manifest), render_dep_manifest(m)));
    KB_TRY(disk.replace_dir(stage, entry_dir()));
    resolved(route, origin_text(m), join_path(entry_dir(), "include"), m.content_hash);
    return std::string();
  }

  Result<Ok> run() {
    const DepPin& p = pin();
    if (p.kind == DepKind::framework) {
      status.state = DepStatus::State::framework;
      return Ok{};
    }
    if (!p.buildable) {
      status.state = DepStatus::State::unsupported;
      status.reasons.push_back(
          fmt::format("kb does not build {} variants, which use it", to_string(p.backend)));
      return Ok{};
    }
    for (DepRoute route : dep_resolution_order()) {
      switch (route) {
        case DepRoute::option:
          if (auto it = opts.explicit_paths.find(p.name); it != opts.explicit_paths.end())
            return use_local(route, "--dep " + p.name, it->second);
          break;
        case DepRoute::environment:
          if (auto dir = env.get("CUTLASS_SRC_DIR"); dir && !dir->empty())
            return use_local(route, "CUTLASS_SRC_DIR", *dir);
          break;
        case DepRoute::cache: KB_TRY(from_cache()); break;
        case DepRoute::pypi:
        case DepRoute::git:
          if (!opts.fetch) {
            if (!fetch_noted)
              status.reasons.push_back(fmt::format(
                  "pypi, git: not tried here ('kb deps fetch' and 'kb build' fetch {} or tag {})",
                  pypi_requirement(p), git_tag(p)));
            fetch_noted = true;
            break;
          }
          KB_TRY(fetch(route));
          break;
      }
      if (status.state == DepStatus::State::resolved) return Ok{};
    }
    status.state = DepStatus::State::missing;
    status.reasons.insert(
        status.reasons.begin(),
        fmt::format("explicit: no --dep {}=PATH, and CUTLASS_SRC_DIR is not set", p.name));
    return Ok{};
  }
};

}  // namespace

std::string dep_cache_dir(const Environment& env) {
  if (auto d = env.get("KB_CACHE_DIR"); d && !d->empty()) return join_path(*d, "deps");
  if (auto d = env.get("XDG_CACHE_HOME"); d && !d->empty()) return join_path(*d, "kb/deps");
  if (auto h = env.get("HOME"); h && !h->empty()) return join_path(*h, ".cache/kb/deps");
  return "";
}

Result<int> dep_fetch_timeout(const Environment& env) {
  auto text = env.get("KB_FETCH_TIMEOUT");
  if (!text) return k_default_fetch_timeout_s;
  int seconds = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), seconds);
  if (ec != std::errc() || end != text->data() + text->size() || seconds < 1)
    return Error{fmt::format("KB_FETCH_TIMEOUT is '{}', not a positive number of seconds", *text),
                 {},
                 fmt::format("unset it for the default ({} s), or give whole seconds",
                             k_default_fetch_timeout_s)};
  return seconds;
}

Result<std::vector<DepStatus>> resolve_dependencies(const std::vector<DepRequirement>& requirements,
                                                    const DepLookup& lookup, Disk& disk,
                                                    Process& process, const Environment& env) {
  std::vector<DepStatus> out;
  std::vector<Error> errors;
  for (const auto& [name, path] : lookup.explicit_paths) {
    bool used = std::any_of(requirements.begin(), requirements.end(),
                            [&](const DepRequirement& r) { return r.pin.name == name; });
    if (used) continue;
    std::string names;
    for (const auto& r : requirements)
      if (r.pin.kind == DepKind::cutlass) names += (names.empty() ? "" : ", ") + r.pin.name;
    errors.push_back(
        Error{fmt::format("--dep {}={} names a dependency this kernel does not have", name, path),
              {},
              names.empty() ? "its build.toml lists no CUTLASS dependency; drop --dep"
                            : "its CUTLASS dependencies are: " + names});
  }
  auto timeout_s = dep_fetch_timeout(env);
  if (!timeout_s) {
    if (lookup.fetch)
      for (auto& e : timeout_s.take_errors().list) errors.push_back(std::move(e));
    timeout_s = k_default_fetch_timeout_s;
  }
  if (!errors.empty()) return Errors(std::move(errors));
  for (const auto& req : requirements) {
    Lookup l{lookup, disk, process, env, *timeout_s, DepStatus{req}};
    auto r = l.run();
    if (!r) {
      for (auto& e : r.take_errors().list) errors.push_back(std::move(e));
      continue;
    }
    out.push_back(std::move(l.status));
  }
  if (!errors.empty()) return Errors(std::move(errors));
  return out;
}

}  // namespace kb
