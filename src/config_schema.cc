#include "config_schema.h"

#include <algorithm>
#include <array>

namespace kb {

// The public enum helpers of config.h live here, beside the rest of the names.
std::string_view to_string(Backend b) {
  switch (b) {
    case Backend::cann: return "cann";
    case Backend::cpu: return "cpu";
    case Backend::cuda: return "cuda";
    case Backend::metal: return "metal";
    case Backend::neuron: return "neuron";
    case Backend::rocm: return "rocm";
    case Backend::tpu: return "tpu";
    case Backend::xpu: return "xpu";
  }
  return "unknown";
}

std::optional<Backend> parse_backend(std::string_view name) {
  for (Backend b : all_backends())
    if (to_string(b) == name) return b;
  return std::nullopt;
}

const std::vector<Backend>& all_backends() {
  static const std::vector<Backend> v = {Backend::cann,  Backend::cpu,    Backend::cuda,
                                         Backend::metal, Backend::neuron, Backend::rocm,
                                         Backend::tpu,   Backend::xpu};
  return v;
}

std::string_view to_string(Framework f) {
  switch (f) {
    case Framework::torch: return "torch";
    case Framework::torch_noarch: return "torch-noarch";
    case Framework::tvm_ffi: return "tvm-ffi";
  }
  return "unknown";
}

}  // namespace kb

namespace kb::config_detail {

namespace {

// Which kernel backends may use each [kernel.*] key. An empty list means "every backend".
struct KernelKeyRule {
  std::string_view key;
  std::vector<Backend> only;
};

const std::vector<KernelKeyRule>& kernel_key_rules() {
  static const std::vector<KernelKeyRule> rules = {
      {"backend", {}},
      {"src", {}},
      {"depends", {}},
      {"include", {}},
      // Accepted for rocm too, although kernel-builder never applies it there.
      {"cxx-flags", {}},
      {"cuda-capabilities", {Backend::cuda}},
      {"cuda-flags", {Backend::cuda}},
      {"cuda-minver", {Backend::cuda}},
      {"rocm-archs", {Backend::rocm}},
      {"hip-flags", {Backend::rocm}},
      {"sycl-flags", {Backend::xpu}},
  };
  return rules;
}

const KernelKeyRule* find_rule(std::string_view key) {
  for (const auto& r : kernel_key_rules())
    if (r.key == key) return &r;
  return nullptr;
}

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

const std::vector<std::string>& top_level_tables() {
  static const std::vector<std::string> v = {"general", "torch", "torch-noarch", "tvm-ffi",
                                             "kernel"};
  return v;
}

const std::vector<std::string>& framework_tables() {
  static const std::vector<std::string> v = {"torch", "torch-noarch", "tvm-ffi"};
  return v;
}

std::vector<std::string> general_keys(Edition ed) {
  std::vector<std::string> v = {"name",     "version", "edition",  "license",
                                "upstream", "source",  "backends", "python-depends",
                                "hub",      "cuda",    "xpu",      "neuron"};
  if (ed == Edition::v5) {
    v.push_back("kernel-depends");
    v.push_back("tpu");
  }
  return v;
}

std::vector<std::string> general_sub_keys(std::string_view sub, Edition ed) {
  const bool v5 = ed == Edition::v5;
  if (sub == "hub") return {"repo-id", "branch"};
  if (sub == "cuda") {
    std::vector<std::string> v = {"minver", "maxver", "python-depends"};
    if (v5) v.push_back("kernel-depends");
    return v;
  }
  if (sub == "xpu" || sub == "neuron") {
    std::vector<std::string> v = {"python-depends"};
    if (v5) v.push_back("kernel-depends");
    return v;
  }
  if (sub == "tpu" && v5) return {"python-depends"};
  return {};
}

std::vector<std::string> torch_keys() {
  return {"src", "include", "pyext", "minver", "maxver", "stable-abi", "cxx-flags"};
}

std::vector<std::string> tvm_ffi_keys() { return {"src", "include", "pyext", "cxx-flags"}; }

std::vector<std::string> noarch_keys() {
  return {"pyext", "cuda_capabilities", "rocm_archs", "cuda-capabilities", "rocm-archs"};
}

const std::vector<Backend>& kernel_backends() {
  static const std::vector<Backend> v = {Backend::cpu, Backend::cuda, Backend::metal, Backend::rocm,
                                         Backend::xpu};
  return v;
}

const std::vector<std::string>& kernel_keys() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> keys;
    for (const auto& r : kernel_key_rules()) keys.emplace_back(r.key);
    return keys;
  }();
  return v;
}

bool kernel_key_allowed(std::string_view key, Backend b) {
  const KernelKeyRule* r = find_rule(key);
  if (!r) return false;
  return r->only.empty() || std::find(r->only.begin(), r->only.end(), b) != r->only.end();
}

std::string kernel_key_backends(std::string_view key) {
  const KernelKeyRule* r = find_rule(key);
  if (!r) return "";
  std::vector<std::string> names;
  for (const auto& n : backend_names(r->only.empty() ? kernel_backends() : r->only))
    names.push_back("\"" + n + "\"");
  return join_or(names);
}

const std::vector<std::string>& dependency_names() {
  static const std::vector<std::string> v = {
      "torch",       "cutlass_2_10", "cutlass_3_5", "cutlass_3_6", "cutlass_3_8", "cutlass_3_9",
      "cutlass_4_0", "cutlass_4_4",  "cutlass_4_5", "sycl_tla",    "metal-cpp"};
  return v;
}

const std::vector<std::string>& python_depends_names(std::string_view scope) {
  static const std::vector<std::string> general = {"einops", "helion", "tvm-ffi"};
  static const std::vector<std::string> cuda = {"nvidia-cutlass-dsl"};
  static const std::vector<std::string> neuron = {"nki"};
  static const std::vector<std::string> xpu = {"onednn"};
  static const std::vector<std::string> none;
  if (scope == "general") return general;
  if (scope == "cuda") return cuda;
  if (scope == "neuron") return neuron;
  if (scope == "xpu") return xpu;
  return none;
}

std::optional<std::string> python_depends_scope(std::string_view name) {
  for (const char* scope : {"general", "cuda", "neuron", "xpu"}) {
    const auto& names = python_depends_names(scope);
    if (std::find(names.begin(), names.end(), name) != names.end()) return std::string(scope);
  }
  return std::nullopt;
}

std::string misplaced_key_hint(std::string_view table, std::string_view key) {
  if (table == "[general]") {
    if (key == "universal")
      return "'universal' is from the legacy v1/v2 format; list the backends in "
             "general.backends and use a [torch-noarch] table for Python-only kernels";
    if (key == "cuda-minver" || key == "cuda-maxver")
      return "'" + std::string(key) + "' is from the legacy v2 format; write " +
             std::string(key.substr(5)) + " in a [general.cuda] table";
    if (key == "rocm" || key == "metal" || key == "cpu" || key == "cann")
      return "there is no [general." + std::string(key) +
             "] table; [general] has the sub-tables hub, cuda, xpu, neuron and tpu";
  }
  if (table == "[torch]" || table == "[tvm-ffi]") {
    if (key == "cuda-capabilities" || key == "rocm-archs" || key == "cuda_capabilities" ||
        key == "rocm_archs")
      return "arch lists belong in a [kernel.<name>] table (or in [torch-noarch] for a "
             "Python-only kernel)";
    if (key == "universal")
      return "'universal' is from the legacy v1 format; use a [torch-noarch] table instead";
  }
  if (table.starts_with("[kernel.") && key == "language")
    return "'language' is from the legacy v1 format; write backend = \"cuda\", \"rocm\" or "
           "\"metal\"";
  return "";
}

bool valid_kernel_name(std::string_view name) {
  if (name.size() < 2) return false;
  if (!is_lower(name.front())) return false;
  if (!is_lower(name.back()) && !is_digit(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_lower(c) || is_digit(c) || c == '-'; });
}

bool valid_git_url(std::string_view url) {
  if (url.empty() || std::any_of(url.begin(), url.end(), is_space)) return false;
  static constexpr std::array<std::string_view, 7> k_schemes = {
      "https", "http", "git", "ssh", "git+ssh", "git+https", "git+http"};
  if (size_t sep = url.find("://"); sep != std::string_view::npos) {
    std::string_view scheme = url.substr(0, sep);
    std::string_view rest = url.substr(sep + 3);
    bool known = std::find(k_schemes.begin(), k_schemes.end(), scheme) != k_schemes.end();
    // A URL needs something after the scheme; "ssh:///x" has no host either.
    if (known) return !rest.empty() && rest.front() != '/';
  }
  // SCP-like: host:path, where the host has no slash and the path is relative.
  size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = url.substr(0, colon);
  std::string_view path = url.substr(colon + 1);
  if (host.find('/') != std::string_view::npos) return false;
  return !path.empty() && path.front() != '/';
}

std::string choice_hint(const std::string& value, const std::vector<std::string>& allowed) {
  std::string near = closest_match(value, allowed);
  std::string hint = near.empty() ? "" : "did you mean '" + near + "'? ";
  return hint + "allowed: " + join_or(allowed);
}

std::string join_or(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " or " : ", ";
    out += items[i];
  }
  return out;
}

std::vector<std::string> backend_names(const std::vector<Backend>& backends) {
  std::vector<std::string> out;
  for (Backend b : backends) out.emplace_back(to_string(b));
  return out;
}

}  // namespace kb::config_detail
