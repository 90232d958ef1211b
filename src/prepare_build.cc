// prepare_build: the requested variants, the unique id and the build plan (kb/pipeline.h).
#include "kb/pipeline.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "kb/binding_scan.h"
#include "kb/deps_resolve.h"
#include "kb/discover.h"
#include "kb/include_scan.h"
#include "kb/linker.h"
#include "kb/path.h"
#include "kb/unique_id.h"
#include "kb/unknown_variants.h"
#include "src/flags.h"

namespace kb {

namespace {

// Keeps only the variants named in `wanted` (all when empty); unknown names are errors.
Result<Ok> select_variants(Matrix& matrix, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return Ok{};
  std::vector<std::string> names;
  for (const auto& v : matrix.variants) names.push_back(v.name);
  std::vector<Error> errors;
  for (const auto& u : unknown_variants(wanted, names)) {
    auto rejected = std::find_if(matrix.rejected.begin(), matrix.rejected.end(),
                                 [&](const RejectedVariant& r) { return r.name == u.name; });
    if (rejected != matrix.rejected.end()) {
      errors.push_back(
          Error{fmt::format("variant '{}' cannot be built here: {}", u.name, rejected->reason),
                {},
                "run 'kb matrix --all' to see every combination and why"});
      continue;
    }
    errors.push_back(Error{fmt::format("unknown variant '{}'", u.name),
                           {},
                           u.closest.empty() ? "run 'kb matrix' for the buildable variants"
                                             : fmt::format("did you mean '{}'?", u.closest)});
  }
  if (!errors.empty()) return Errors(std::move(errors));
  std::erase_if(matrix.variants, [&](const Variant& v) {
    return std::find(wanted.begin(), wanted.end(), v.name) == wanted.end();
  });
  return Ok{};
}

// The unique id: given, else from git, else a content hash of the sources.
Result<Ok> choose_unique_id(const Request& req, const Config& config,
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
  auto id = content_unique_id_of(config, req.kernel_dir, python_files, io.disk);
  if (!id) return id.take_errors();
  options.unique_id = std::move(*id);
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

Result<PreparedBuild> prepare_build(const Request& req, Io& io) {
  auto report = compute_matrix(req.kernel_dir, req.query, io, arch_request(req));
  if (!report) return report.take_errors();
  const Config& config = report->config;
  KB_TRY(require_dependencies(report->matrix, report->deps, req.variants));
  auto selected = select_variants(report->matrix, req.variants);
  if (selected && report->matrix.variants.empty())
    selected = Error{"no variant of '" + config.name + "' can be built with the toolchains found",
                     {},
                     "run 'kb matrix --all' to see every combination and why"};
  if (!selected) {
    // A toolchain the user named and kb could not use is the likeliest cause: say so here,
    // since the warnings of a successful plan are never printed.
    Errors errors = selected.take_errors();
    for (auto& e : unusable_named_toolchains(report->toolchains))
      errors.list.push_back(std::move(e));
    return errors;
  }

  std::string ext_dir = join_path(req.kernel_dir, "torch-ext/" + config.module_name());
  if (!io.disk.exists(join_path(ext_dir, "__init__.py")))
    return Error{
        "missing torch-ext/" + config.module_name() + "/__init__.py", SourceLoc{config.path, 0, 0},
        "a kernel's Python package lives in torch-ext/<name with _>/; create its __init__.py"};
  auto python_files = io.disk.list_files_recursive(ext_dir);
  if (!python_files) return python_files.take_errors();

  BuildOptions options;
  options.kernel_dir = req.kernel_dir;
  options.build_dir = req.out_dir;
  options.jobs = req.jobs;
  options.memory_budget_bytes = req.memory_budget_bytes;
  options.remote_compiles = req.local_jobs > 0;
  options.local_jobs = req.local_jobs;
  options.kb_path = req.kb_path;
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
