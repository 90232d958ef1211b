// The stages before planning: build.toml -> Config, toolchains, dependencies, the matrix.
#include "kb/pipeline.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "kb/deps_resolve.h"
#include "kb/discover.h"
#include "kb/path.h"
#include "src/pipeline_parts.h"

namespace kb {

namespace {

std::string cache_file(const Environment& env) {
  return command_parts::kb_cache_file(env, "toolchains.json");
}

// KB_PROBE_TIMEOUT (seconds, > 0), else k_probe_timeout.
Result<std::chrono::milliseconds> probe_timeout(const Environment& env) {
  auto text = env.get("KB_PROBE_TIMEOUT");
  if (!text || text->empty()) return k_probe_timeout;
  char* end = nullptr;
  double seconds = std::strtod(text->c_str(), &end);
  if (*end != '\0' || !(seconds > 0) || seconds > 86400)
    return Error{"KB_PROBE_TIMEOUT must be a number of seconds above 0, got '" + *text + "'",
                 {},
                 "e.g. KB_PROBE_TIMEOUT=120, or unset it for the default of " +
                     std::to_string(k_probe_timeout.count() / 1000) + " s"};
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 0.5));
}

}  // namespace

Result<Toolchains> find_toolchains(const ToolchainQuery& query, Io& io) {
  DiscoveryRequest req;
  req.torch = query.torch;
  req.cuda = query.cuda;
  req.rocm = query.rocm;
  req.cache_file = query.use_cache ? cache_file(io.env) : "";
  auto timeout = probe_timeout(io.env);
  if (!timeout) return timeout.take_errors();
  req.probe_timeout = *timeout;
  return discover_toolchains(req, io.process, io.disk, io.env);
}

Result<MatrixReport> compute_matrix(const std::string& kernel_dir, const ToolchainQuery& query,
                                    Io& io, const ArchRequest& archs) {
  auto config = load_config(kernel_dir, io.disk);
  if (!config) return config.take_errors();
  auto toolchains = find_toolchains(query, io);
  if (!toolchains) return toolchains.take_errors();
  auto selections = select_archs(archs, *config, *toolchains, io);
  if (!selections) return selections.take_errors();
  auto matrix = make_matrix(*config, *toolchains, *selections);
  if (!matrix) return matrix.take_errors();
  auto deps =
      find_dependencies(*config, query, *toolchains, /*fetch=*/true, /*full_verify=*/false, io);
  if (!deps) return deps.take_errors();
  reject_unresolved_dependencies(*matrix, *config, *deps);
  return MatrixReport{std::move(*config), std::move(*toolchains), std::move(*matrix),
                      std::move(*deps), std::move(*selections)};
}

std::vector<std::string> pip_pythons(const Toolchains& toolchains) {
  std::vector<std::string> out;
  for (const auto& t : toolchains.torches)
    if (std::find(out.begin(), out.end(), t.python) == out.end()) out.push_back(t.python);
  out.push_back("python3");
  return out;
}

Result<std::vector<DepStatus>> find_dependencies(const Config& config, const ToolchainQuery& query,
                                                 const Toolchains& toolchains, bool fetch,
                                                 bool full_verify, Io& io) {
  auto paths = parse_dep_options(query.deps);
  if (!paths) return paths.take_errors();
  DepLookup lookup;
  lookup.explicit_paths = std::move(*paths);
  lookup.cache_dir = dep_cache_dir(io.env);
  lookup.fetch = fetch;
  lookup.full_verify = full_verify;
  lookup.pythons = pip_pythons(toolchains);
  return resolve_dependencies(dependency_requirements(config), lookup, io.disk, io.process, io.env);
}

}  // namespace kb

namespace kb::command_parts {

std::string kb_cache_file(const Environment& env, std::string_view name) {
  if (auto d = env.get("KB_CACHE_DIR"); d && !d->empty()) return join_path(*d, std::string(name));
  if (auto d = env.get("XDG_CACHE_HOME"); d && !d->empty())
    return join_path(*d, "kb/" + std::string(name));
  if (auto h = env.get("HOME"); h && !h->empty())
    return join_path(*h, ".cache/kb/" + std::string(name));
  return "";
}

}  // namespace kb::command_parts
