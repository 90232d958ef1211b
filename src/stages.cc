// The stages before planning: build.toml -> Config, toolchains, dependencies, the matrix.
#include "kb/pipeline.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "kb/deps_resolve.h"
#include "kb/discover.h"
#include "kb/path.h"

namespace kb {

namespace {

// Where the toolchain cache lives; "" disables it.
std::string cache_file(const Environment& env) {
  if (auto d = env.get("KB_CACHE_DIR"); d && !d->empty()) return join_path(*d, "toolchains.json");
  if (auto d = env.get("XDG_CACHE_HOME"); d && !d->empty())
    return join_path(*d, "kb/toolchains.json");
  if (auto h = env.get("HOME"); h && !h->empty()) return join_path(*h, ".cache/kb/toolchains.json");
  return "";
}

// The src entries of `config` that exist below `kernel_dir` but are not regular files (a
// FIFO, a device, a socket): a compiler reading one would block or never finish. Missing
// files are check_source_files' to report.
Result<Ok> check_sources_are_regular(const Config& config, const std::string& kernel_dir,
                                     const Disk& disk) {
  std::vector<Error> errors;
  auto check = [&](const Located& f, const std::string& where) {
    FileStat st = disk.stat(join_path(kernel_dir, f.value));
    if (st.exists && !st.is_dir && !st.is_regular)
      errors.push_back(Error{"'" + f.value + "' named in " + where + " is not a regular file", f.loc,
                             "name a regular file (a FIFO or a device could block the build "
                             "or never end)"});
  };
  for (const auto& f : config.torch.src) check(f, "[torch] src");
  for (const auto& k : config.kernels)
    for (const auto& f : k.src) check(f, "[kernel." + k.name + "] src");
  if (!errors.empty()) return Errors(std::move(errors));
  return Ok{};
}

// KB_PROBE_TIMEOUT (seconds, > 0), else k_probe_timeout.
Result<std::chrono::milliseconds> probe_timeout(const Environment& env) {
  auto text = env.get("KB_PROBE_TIMEOUT");
  if (!text || text->empty()) return k_probe_timeout;
  char* end = nullptr;
  double seconds = std::strtod(text->c_str(), &end);
  if (*end != '\0' || !(seconds > 0) || seconds > 86400)
    return Error{"KB_PROBE_TIMEOUT must be a number of seconds above 0, got '" + *text + "'", {},
                 "e.g. KB_PROBE_TIMEOUT=120, or unset it for the default of " +
                     std::to_string(k_probe_timeout.count() / 1000) + " s"};
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 0.5));
}

}  // namespace

Result<Config> load_config_file(const std::string& path, const Disk& disk) {
  auto text = disk.read_file(path, k_max_build_toml_bytes);
  if (!text) return text.take_errors();
  return parse_config(*text, path);
}

Result<Config> load_config(const std::string& kernel_dir, const Disk& disk) {
  std::string path = join_path(kernel_dir, "build.toml");
  if (!disk.exists(path))
    return Error{"no build.toml in '" + (kernel_dir.empty() ? "." : kernel_dir) + "'", {},
                 "run kb in a kernel directory, or pass it: kb COMMAND DIR"};
  auto config = load_config_file(path, disk);
  if (!config) return config.take_errors();
  auto files = check_source_files(*config, [&](const std::string& rel) {
    return disk.stat(join_path(kernel_dir, rel));
  });
  if (!files) return files.take_errors();
  KB_TRY(check_sources_are_regular(*config, kernel_dir, disk));
  return config;
}

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
                                    Io& io) {
  auto config = load_config(kernel_dir, io.disk);
  if (!config) return config.take_errors();
  auto toolchains = find_toolchains(query, io);
  if (!toolchains) return toolchains.take_errors();
  auto matrix = make_matrix(*config, *toolchains);
  if (!matrix) return matrix.take_errors();
  auto deps = find_dependencies(*config, query, *toolchains, /*fetch=*/true, /*full_verify=*/false, io);
  if (!deps) return deps.take_errors();
  reject_unresolved_dependencies(*matrix, *config, *deps);
  return MatrixReport{std::move(*config), std::move(*toolchains), std::move(*matrix), std::move(*deps)};
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
