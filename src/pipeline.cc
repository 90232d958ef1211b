#include "kb/pipeline.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "kb/binding_scan.h"
#include "kb/deps_resolve.h"
#include "kb/discover.h"
#include "kb/include_scan.h"
#include "kb/linker.h"
#include "kb/unique_id.h"
#include "kb/path.h"
#include "src/flags.h"

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

namespace kb {

namespace {

// Keeps only the variants named in `wanted` (all when empty); unknown names are errors.
Result<Ok> select_variants(Matrix& matrix, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return Ok{};
  std::vector<std::string> names;
  for (const auto& v : matrix.variants) names.push_back(v.name);
  std::vector<Error> errors;
  for (const auto& w : wanted) {
    if (std::find(names.begin(), names.end(), w) != names.end()) continue;
    auto rejected = std::find_if(matrix.rejected.begin(), matrix.rejected.end(),
                                 [&](const RejectedVariant& r) { return r.name == w; });
    if (rejected != matrix.rejected.end()) {
      errors.push_back(Error{fmt::format("variant '{}' cannot be built here: {}", w, rejected->reason),
                             {}, "run 'kb matrix --all' to see every combination and why"});
      continue;
    }
    std::string near = closest_match(w, names);
    errors.push_back(Error{fmt::format("unknown variant '{}'", w), {},
                           near.empty() ? "run 'kb matrix' for the buildable variants"
                                        : fmt::format("did you mean '{}'?", near)});
  }
  if (!errors.empty()) return Errors(std::move(errors));
  std::erase_if(matrix.variants, [&](const Variant& v) {
    return std::find(wanted.begin(), wanted.end(), v.name) == wanted.end();
  });
  return Ok{};
}

// The unique id: given, else from git, else a content hash of the sources.
Result<Ok> choose_unique_id(const BuildRequest& req, const Config& config,
                            const std::vector<std::string>& python_files, Io& io,
                            BuildOptions& options, std::vector<Error>& notes) {
  if (req.unique_id) {
    options.unique_id = *req.unique_id;
    return Ok{};
  }
  auto git = detect_git_state(req.kernel_dir, io.process, io.env);
  if (!git) return git.take_errors();
  if (*git) {
    options.unique_id = (*git)->unique_id;
    options.kernel_commit = (*git)->commit;
    options.kernel_dirty = (*git)->dirty;
    return Ok{};
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& rel : content_id_inputs(config, python_files)) {
    auto bytes = io.disk.read_file(join_path(req.kernel_dir, rel));
    if (!bytes) return bytes.take_errors();
    files.emplace_back(rel, std::move(*bytes));
  }
  options.unique_id = content_unique_id(std::move(files));
  if (auto note = missing_git_note(io.process, io.env, options.unique_id))
    notes.push_back(std::move(*note));
  return Ok{};
}

// Whether every compiled source ([torch] src and [kernel.*] src, all of which get
// -DTORCH_EXTENSION_NAME) names the namespace through the registration macros only: nullopt
// when so, else a note locating the first other use of TORCH_EXTENSION_NAME.
Result<std::optional<Error>> can_be_late_bound(const Config& config, const std::string& kernel_dir,
                                               const Disk& disk) {
  std::vector<std::string> sources;
  for (const auto& src : config.torch.src) sources.push_back(src.value);
  for (const auto& section : config.kernels)
    for (const auto& src : section.src)
      if (classify_source(src.value) != SourceKind::not_compiled &&
          std::find(sources.begin(), sources.end(), src.value) == sources.end())
        sources.push_back(src.value);
  for (const auto& rel : sources) {
    auto text = disk.read_file(join_path(kernel_dir, rel));
    if (!text) return text.take_errors();
    if (auto use = other_extension_name_use(*text)) {
      use->file = join_path(kernel_dir, rel);
      return std::optional<Error>(Error{
          "this source uses TORCH_EXTENSION_NAME outside the registration macros, so every TU "
          "gets the unique id on its command line and every new commit recompiles them all",
          std::move(*use),
          "use TORCH_EXTENSION_NAME only as the first argument of TORCH_LIBRARY_EXPAND, "
          "TORCH_LIBRARY_IMPL_EXPAND, their STABLE_ forms and REGISTER_EXTENSION "
          "(docs/bundle.md, \"Where the id is compiled in\")"});
    }
  }
  return std::optional<Error>();
}

// torch_includes_of for every compiled source of the config.
std::map<std::string, TorchIncludes> scan_torch_includes(const Config& config,
                                                         const std::string& kernel_dir,
                                                         const Disk& disk) {
  std::map<std::string, TorchIncludes> out;
  auto add = [&](const std::string& rel, const std::vector<std::string>& include_dirs) {
    if (classify_source(rel) == SourceKind::not_compiled) return;
    TorchIncludes t = torch_includes_of(kernel_dir, rel, include_dirs, disk);
    auto [it, fresh] = out.emplace(rel, t);
    if (!fresh) it->second = max(it->second, t);
  };
  for (const auto& src : config.torch.src) add(src.value, config.torch.include);
  for (const auto& section : config.kernels)
    for (const auto& src : section.src) add(src.value, section.include);
  return out;
}

}  // namespace

Result<PreparedBuild> prepare_build(const BuildRequest& req, Io& io) {
  auto report = compute_matrix(req.kernel_dir, req.query, io);
  if (!report) return report.take_errors();
  const Config& config = report->config;
  KB_TRY(require_dependencies(report->matrix, report->deps, req.variants));
  auto selected = select_variants(report->matrix, req.variants);
  if (selected && report->matrix.variants.empty())
    selected = Error{"no variant of '" + config.name + "' can be built with the toolchains found",
                     {}, "run 'kb matrix --all' to see every combination and why"};
  if (!selected) {
    // A toolchain the user named and kb could not use is the likeliest cause: say so here,
    // since the warnings of a successful plan are never printed.
    Errors errors = selected.take_errors();
    for (auto& e : unusable_named_toolchains(report->toolchains)) errors.list.push_back(std::move(e));
    return errors;
  }

  std::string ext_dir = join_path(req.kernel_dir, "torch-ext/" + config.module_name());
  if (!io.disk.exists(join_path(ext_dir, "__init__.py")))
    return Error{"missing torch-ext/" + config.module_name() + "/__init__.py",
                 SourceLoc{config.path, 0, 0},
                 "a kernel's Python package lives in torch-ext/<name with _>/; create its __init__.py"};
  auto python_files = io.disk.list_files_recursive(ext_dir);
  if (!python_files) return python_files.take_errors();

  BuildOptions options;
  options.kernel_dir = req.kernel_dir;
  options.build_dir = req.out_dir;
  options.jobs = req.jobs;
  options.memory_budget_bytes = req.memory_budget_bytes;
  options.kb_path = req.kb_path;
  options.launcher = req.launcher;
  if (report->toolchains.cxx) {
    auto linker = choose_linker(*report->toolchains.cxx, req.linker);
    if (!linker) return linker.take_errors();
    options.linker = std::move(*linker);
  }
  options.kb_version = KB_VERSION;
  std::vector<Error> notes;
  KB_TRY(choose_unique_id(req, config, *python_files, io, options, notes));
  auto late_bound = can_be_late_bound(config, req.kernel_dir, io.disk);
  if (!late_bound) return late_bound.take_errors();
  options.late_bound_namespace = !req.id_in_binding && !late_bound->has_value();
  options.torch_includes = scan_torch_includes(config, req.kernel_dir, io.disk);
  options.dependency_includes = resolved_includes(report->deps);
  if (late_bound->has_value() && !req.id_in_binding) notes.push_back(std::move(**late_bound));

  auto plan = make_build_plan(config, report->toolchains, report->matrix, options, *python_files);
  if (!plan) return plan.take_errors();
  return PreparedBuild{std::move(*report), std::move(options), std::move(*plan), std::move(notes)};
}

}  // namespace kb
