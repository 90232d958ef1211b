// The config as JSON: the full model (config_to_json, for the Python module) and the
// `kb check-config --json` report. Key order is fixed (ordered_json) so that the output is
// stable across runs and diffs well.

#include "kb/json_output.h"

#include <nlohmann/json.hpp>

namespace kb {

namespace {

using json = nlohmann::ordered_json;

json optional_text(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

json optional_version(const std::optional<Version>& v) {
  return v ? json(v->str()) : json(nullptr);
}

// 0 means "unknown" in SourceLoc; JSON says so with null.
json position(int n) { return n > 0 ? json(n) : json(nullptr); }

json error_json(const Error& e) {
  json j;
  j["file"] = e.loc && !e.loc->file.empty() ? json(e.loc->file) : json(nullptr);
  j["line"] = e.loc ? position(e.loc->line) : json(nullptr);
  j["col"] = e.loc ? position(e.loc->col) : json(nullptr);
  j["message"] = e.message;
  j["hint"] = e.hint.empty() ? json(nullptr) : json(e.hint);
  return j;
}

json errors_json(const std::vector<Error>& errors) {
  json out = json::array();
  for (const auto& e : errors) out.push_back(error_json(e));
  return out;
}

json values(const std::vector<Located>& list) {
  json out = json::array();
  for (const auto& l : list) out.push_back(l.value);
  return out;
}

json backends_json(const std::vector<Backend>& backends) {
  json out = json::array();
  for (auto b : backends) out.push_back(std::string(to_string(b)));
  return out;
}

json kernel_deps_json(const std::vector<KernelDep>& deps) {
  json out = json::array();
  for (const auto& d : deps) {
    json j;
    j["repo_id"] = d.repo_id;
    j["version"] = d.version ? json(*d.version) : json(nullptr);
    j["revision"] = optional_text(d.revision);
    out.push_back(std::move(j));
  }
  return out;
}

json backend_general_json(const BackendGeneral& g) {
  json j;
  j["minver"] = optional_version(g.minver);
  j["maxver"] = optional_version(g.maxver);
  j["python_depends"] = g.python_depends;
  j["kernel_depends"] = kernel_deps_json(g.kernel_depends);
  return j;
}

json torch_json(const TorchSection& t) {
  json j;
  j["src"] = values(t.src);
  j["include"] = t.include;
  j["pyext"] = t.pyext;
  j["minver"] = optional_version(t.minver);
  j["maxver"] = optional_version(t.maxver);
  json abi = json::object();
  for (const auto& [backend, version] : t.stable_abi)
    abi[std::string(to_string(backend))] = version.str();
  j["stable_abi"] = std::move(abi);
  j["cxx_flags"] = t.cxx_flags;
  return j;
}

json noarch_json(const NoarchSection& n) {
  json j;
  j["pyext"] = n.pyext;
  j["cuda_capabilities"] = n.cuda_capabilities;
  j["rocm_archs"] = n.rocm_archs;
  return j;
}

json kernel_json(const KernelSection& k) {
  json j;
  j["name"] = k.name;
  j["line"] = position(k.loc.line);
  j["backend"] = std::string(to_string(k.backend));
  j["src"] = values(k.src);
  j["depends"] = k.depends;
  j["include"] = k.include;
  j["cxx_flags"] = k.cxx_flags;
  j["cuda_capabilities"] = k.cuda_capabilities ? values(*k.cuda_capabilities) : json(nullptr);
  j["cuda_flags"] = k.cuda_flags;
  j["cuda_minver"] = optional_version(k.cuda_minver);
  j["rocm_archs"] = k.rocm_archs ? values(*k.rocm_archs) : json(nullptr);
  j["hip_flags"] = k.hip_flags;
  j["sycl_flags"] = k.sycl_flags;
  return j;
}

}  // namespace

std::string config_to_json(const Config& c) {
  json j;
  j["path"] = c.path;
  j["edition"] = c.edition;
  j["name"] = c.name;
  j["module_name"] = c.module_name();
  j["version"] = c.version;
  j["license"] = c.license;
  j["upstream"] = optional_text(c.upstream);
  j["source"] = optional_text(c.source);
  j["backends"] = backends_json(c.backends);
  j["python_depends"] = c.python_depends;
  j["kernel_depends"] = kernel_deps_json(c.kernel_depends);
  j["hub"] =
      json{{"repo_id", optional_text(c.hub_repo_id)}, {"branch", optional_text(c.hub_branch)}};
  j["cuda"] = backend_general_json(c.cuda);
  j["xpu"] = backend_general_json(c.xpu);
  j["neuron"] = backend_general_json(c.neuron);
  j["tpu"] = backend_general_json(c.tpu);
  j["framework"] = std::string(to_string(c.framework));
  // Only the framework table the file has; the other one holds defaults nobody wrote.
  j["torch"] = c.framework == Framework::torch_noarch ? json(nullptr) : torch_json(c.torch);
  j["torch_noarch"] =
      c.framework == Framework::torch_noarch ? noarch_json(c.noarch) : json(nullptr);
  json kernels = json::array();
  for (const auto& k : c.kernels) kernels.push_back(kernel_json(k));
  j["kernels"] = std::move(kernels);
  j["warnings"] = errors_json(c.warnings);
  j["notes"] = errors_json(c.notes);
  return j.dump(2) + "\n";
}

std::string check_config_to_json(const Result<Config>& result, std::string_view path) {
  json j;
  j["valid"] = result.ok();
  if (result.ok()) {
    const Config& c = result.value();
    j["path"] = c.path;
    j["name"] = c.name;
    j["edition"] = c.edition;
    j["backends"] = backends_json(c.backends);
    json kernels = json::array();
    for (const auto& k : c.kernels)
      kernels.push_back(json{{"name", k.name}, {"backend", std::string(to_string(k.backend))}});
    j["kernels"] = std::move(kernels);
    j["warnings"] = errors_json(c.warnings);
    j["notes"] = errors_json(c.notes);
    j["errors"] = json::array();
  } else {
    j["path"] = path.empty() ? json(nullptr) : json(std::string(path));
    j["name"] = nullptr;
    j["edition"] = nullptr;
    j["backends"] = json::array();
    j["kernels"] = json::array();
    j["warnings"] = json::array();
    j["notes"] = json::array();
    j["errors"] = errors_json(result.errors().list);
  }
  return j.dump(2) + "\n";
}

}  // namespace kb
