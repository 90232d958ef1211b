// build.toml -> Config. Reads edition 5 and the pre-edition v4 format (upgraded in memory),
// and rejects the legacy v3 format with the way out. Every problem of a file is collected
// before failing; see config_reader.h for how values are read and located.

#include "kb/config.h"

#include "kb/arch.h"

#include "config_paths.h"
#include "config_reader.h"
#include "config_schema.h"

#include "src/toml.h"

#include <algorithm>

namespace kb {

std::string Config::module_name() const {
  std::string out = name;
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

bool Config::has_backend(Backend b) const {
  return std::find(backends.begin(), backends.end(), b) != backends.end();
}

bool Config::has_kernels_for(Backend b) const {
  return std::any_of(kernels.begin(), kernels.end(),
                     [b](const KernelSection& k) { return k.backend == b; });
}

namespace {

// The [general.<backend>] table of `b`, for the backends that have one.
const BackendGeneral* backend_general(const Config& c, Backend b) {
  switch (b) {
    case Backend::cuda: return &c.cuda;
    case Backend::xpu: return &c.xpu;
    case Backend::neuron: return &c.neuron;
    case Backend::tpu: return &c.tpu;
    default: return nullptr;
  }
}

}  // namespace

std::vector<std::string> Config::python_depends_for(Backend b) const {
  std::vector<std::string> out = python_depends;
  if (const BackendGeneral* g = backend_general(*this, b))
    out.insert(out.end(), g->python_depends.begin(), g->python_depends.end());
  return out;
}

std::vector<KernelDep> Config::kernel_depends_for(Backend b) const {
  std::vector<KernelDep> out = kernel_depends;
  if (const BackendGeneral* g = backend_general(*this, b))
    out.insert(out.end(), g->kernel_depends.begin(), g->kernel_depends.end());
  return out;
}

namespace config_detail {
namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Keys that edition 5 allows and v4 does not.
std::vector<std::string> v5_only(const std::vector<std::string>& v5,
                                 const std::vector<std::string>& v4) {
  std::vector<std::string> out;
  for (const auto& k : v5)
    if (!contains(v4, k)) out.push_back(k);
  return out;
}

// toml++ keeps a table's children in key order; kernels and framework tables are wanted
// in the order the user wrote them.
template <class T>
void sort_by_position(std::vector<std::pair<std::string, const T*>>& items) {
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    const auto& x = a.second->source().begin;
    const auto& y = b.second->source().begin;
    return std::pair(x.line, x.column) < std::pair(y.line, y.column);
  });
}

const char* const k_migrate_hint =
    "migrate with `kernel-builder update-build DIR`, or by hand: add `license` and "
    "`version` to [general] and one framework table ([torch], [torch-noarch] or [tvm-ffi]), "
    "and preferably `edition = 5`";

class Parser {
 public:
  explicit Parser(std::string_view path) : m_r(path) { m_c.path = std::string(path); }

  Result<Config> parse(std::string_view text);

 private:
  // The top-level tables, once unknown ones are reported.
  struct TopLevel {
    const toml::table* general = nullptr;
    const toml::node* kernel = nullptr;
    std::vector<std::pair<std::string, const toml::table*>> frameworks;  // in file order
  };

  TopLevel scan_top_level(const toml::table& root);
  bool read_edition(const toml::table* general, bool has_framework);
  void read_general(const toml::table& t);
  void read_general_sub(const Section& parent, std::string_view sub, BackendGeneral* out);
  void read_python_depends(const Section& s, std::string_view scope, std::vector<std::string>& out);
  void read_kernel_depends(const Section& s, std::vector<KernelDep>& out);
  void read_git_url(const Section& s, std::string_view key, std::optional<std::string>& out);
  void read_torch(const toml::table& t, TorchSection& out);
  void read_stable_abi(const Section& s, const toml::node& n, TorchSection& out);
  void read_tvm_ffi(const toml::table& t, TorchSection& out);
  void read_noarch(const toml::table& t, NoarchSection& out);
  void read_frameworks(const TopLevel& top);
  void read_kernels(const toml::node& n);
  void read_kernel(const std::string& name, const toml::table& t);
  std::optional<Backend> read_kernel_backend(const Section& s);
  void read_cuda_capabilities(const Section& s, KernelSection& k);
  void read_rocm_archs(const Section& s, KernelSection& k);
  void read_depends(const Section& s, std::vector<std::string>& out, std::vector<SourceLoc>& locs);
  void warn_unbuilt_kernels();
  // The position just after the last character of `text`.
  SourceLoc end_of(std::string_view text) const;

  Reader m_r;
  Config m_c;
  Edition m_ed = Edition::v5;
};

SourceLoc Parser::end_of(std::string_view text) const {
  int line = 1, col = 1;
  for (char c : text) {
    if (c == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++col;  // columns count code points, as toml++ does
    }
  }
  return SourceLoc{m_r.path(), line, col};
}

Result<Config> Parser::parse(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text, m_r.path());
  } catch (const toml::parse_error& e) {
    // toml++ stops at the first syntax error, so this is the only error reported. The parse
    // was abandoned by the throw (src/toml.h turns toml++'s failed checks into this error
    // too): nothing of it is used. An error without a position belongs to the end of the file.
    SourceLoc where = e.source().begin.line > 0 ? m_r.loc(e.source()) : end_of(text);
    return Error{"invalid TOML: " + std::string(e.description()), std::move(where),
                 "fix the TOML syntax; nothing else is checked until the file parses"};
  }

  TopLevel top = scan_top_level(root);
  // The edition decides which keys the other tables may hold, so it comes first.
  if (!read_edition(top.general, !top.frameworks.empty())) return Errors(m_r.take_errors());
  if (top.general) read_general(*top.general);
  read_frameworks(top);
  if (top.kernel) read_kernels(*top.kernel);
  for (Error& e : check_src_paths(m_c))
    m_r.error(std::move(*e.loc), std::move(e.message), std::move(e.hint));
  if (m_r.has_errors()) return Errors(m_r.take_errors());

  // The file is valid from here on; what is left are warnings.
  warn_unbuilt_kernels();
  return std::move(m_c);
}

Parser::TopLevel Parser::scan_top_level(const toml::table& root) {
  TopLevel top;
  bool general_seen = false;
  for (const auto& [key, node] : root) {
    std::string k(key.str());
    if (k == "general") {
      general_seen = true;
      top.general = m_r.as_table(node, "[general]");
    } else if (k == "kernel") {
      top.kernel = &node;
    } else if (contains(framework_tables(), k)) {
      if (const toml::table* t = m_r.as_table(node, "[" + k + "]"))
        top.frameworks.emplace_back(k, t);
    } else {
      std::string near = closest_match(k, top_level_tables());
      std::string hint = near.empty() ? "build.toml has the tables [general], [torch], "
                                        "[torch-noarch], [tvm-ffi] and [kernel.<name>]"
                                      : "did you mean [" + near + "]?";
      if (node.is_table())
        m_r.error(m_r.loc(node), "unknown table [" + k + "]", hint);
      else
        m_r.error(m_r.loc(key), "unknown top-level key '" + k + "'",
                  near.empty() ? "keys belong in a table such as [general]" : hint);
    }
  }
  sort_by_position(top.frameworks);
  if (!general_seen)
    m_r.error(m_r.file_start(), "missing required table [general]",
              "add a [general] table with name, version, license, backends and edition = 5");
  return top;
}

void Parser::read_frameworks(const TopLevel& top) {
  if (top.frameworks.empty()) {
    m_r.error(top.general ? m_r.loc(*top.general) : m_r.file_start(), "missing framework table",
              "add exactly one of [torch] (compiled Torch extension), [torch-noarch] "
              "(Python-only kernel) or [tvm-ffi]");
  }
  for (size_t i = 0; i < top.frameworks.size(); ++i) {
    const auto& [name, table] = top.frameworks[i];
    if (i > 0)
      m_r.error(
          m_r.loc(*table),
          "more than one framework table: [" + name + "] after [" + top.frameworks[0].first + "]",
          "keep exactly one of [torch], [torch-noarch] and [tvm-ffi]");
    // Later framework tables are still checked, into scratch sections.
    TorchSection torch_scratch;
    NoarchSection noarch_scratch;
    TorchSection& torch = i == 0 ? m_c.torch : torch_scratch;
    NoarchSection& noarch = i == 0 ? m_c.noarch : noarch_scratch;
    Framework f = name == "torch"     ? Framework::torch
                  : name == "tvm-ffi" ? Framework::tvm_ffi
                                      : Framework::torch_noarch;
    if (i == 0) m_c.framework = f;
    if (f == Framework::torch)
      read_torch(*table, torch);
    else if (f == Framework::tvm_ffi)
      read_tvm_ffi(*table, torch);
    else
      read_noarch(*table, noarch);
  }
}

void Parser::warn_unbuilt_kernels() {
  for (const auto& k : m_c.kernels) {
    if (m_c.has_backend(k.backend)) continue;
    std::string b(to_string(k.backend));
    m_c.warnings.push_back(
        Error{"[kernel." + k.name + "] is a " + b + " kernel, but general.backends does not list " +
                  b + "; it will not be built",
              k.loc, "add \"" + b + "\" to general.backends, or remove the kernel"});
  }
}

// Decides the edition. Returns false when the file is in a format kb does not read at all
// (legacy v3), after recording why.
bool Parser::read_edition(const toml::table* general, bool has_framework) {
  if (!general) return true;
  if (const toml::node* e = general->get("edition")) {
    m_ed = Edition::v5;
    m_c.edition = 5;
    auto n = m_r.as_integer(*e, "'edition' in [general]");
    if (n && *n != 5) {
      std::string hint =
          *n < 5 ? "kb reads edition 5, and pre-edition (v4) files, which have no edition "
                   "key; write edition = 5"
                 : "this kb reads edition 5 at most; upgrade kb, or write the file in edition 5";
      m_r.error(m_r.loc(*e), "unsupported build edition " + std::to_string(*n), hint);
    }
    return true;
  }
  if (!has_framework) {
    // Pre-edition and no framework table: the v3 format, which expressed a Python-only
    // kernel by leaving the framework out. Everything else would be noise.
    m_r.error(m_r.loc(*general),
              "legacy (v3) build.toml is not supported: the file has no edition key and no "
              "framework table",
              k_migrate_hint);
    return false;
  }
  m_ed = Edition::v4;
  m_c.edition = 4;
  // Most published kernels are v4: worth one line in check-config, nothing elsewhere.
  m_c.notes.push_back(
      Error{"pre-edition (v4) build.toml, read as edition 5 (add `edition = 5` "
            "to [general] to make it explicit)",
            m_r.loc(*general), ""});
  return true;
}

void Parser::read_general(const toml::table& t) {
  Section s{&t, "[general]"};
  m_r.reject_unknown_keys(s, general_keys(m_ed),
                          v5_only(general_keys(Edition::v5), general_keys(m_ed)));
  // Missing license or version in a pre-edition file usually means the v3 format.
  std::string legacy = m_ed == Edition::v4
                           ? "; files without license and version are in the legacy v3 format: " +
                                 std::string(k_migrate_hint)
                           : "";

  if (const toml::node* n = m_r.find(s, "name", true, "add name = \"my-kernel\"")) {
    if (auto name = m_r.as_string(*n, describe(s, "name"))) {
      if (!valid_kernel_name(*name))
        m_r.error(m_r.loc(*n), "invalid kernel name '" + *name + "' for " + describe(s, "name"),
                  "use lowercase letters, digits and dashes, starting with a letter and ending "
                  "with a letter or digit (^[a-z][-a-z0-9]*[a-z0-9]$), e.g. \"flash-attn3\"");
      m_c.name = *name;
    }
  }
  if (const toml::node* n =
          m_r.find(s, "version", true, "add the kernel's major version, e.g. version = 1" + legacy))
    if (auto v = m_r.as_count(*n, describe(s, "version"))) m_c.version = *v;
  if (const toml::node* n =
          m_r.find(s, "license", true, "add the license, e.g. license = \"Apache-2.0\"" + legacy))
    if (auto v = m_r.as_string(*n, describe(s, "license"))) m_c.license = *v;
  read_git_url(s, "upstream", m_c.upstream);
  read_git_url(s, "source", m_c.source);

  if (const toml::node* n = m_r.find(s, "backends", true,
                                     "list the supported backends, e.g. backends = [\"cuda\"]")) {
    if (auto items = m_r.as_strings(*n, describe(s, "backends"))) {
      for (const Located& item : *items) {
        auto b = parse_backend(item.value);
        if (!b)
          m_r.error(item.loc, "unknown backend '" + item.value + "' in " + describe(s, "backends"),
                    choice_hint(item.value, backend_names(all_backends())));
        else if (!m_c.has_backend(*b))
          m_c.backends.push_back(*b);
      }
    }
  }
  read_python_depends(s, "general", m_c.python_depends);
  if (m_ed == Edition::v5) read_kernel_depends(s, m_c.kernel_depends);

  if (const toml::node* n = s.table->get("hub")) {
    if (const toml::table* hub = m_r.as_table(*n, "[general.hub]")) {
      Section h{hub, "[general.hub]"};
      m_r.reject_unknown_keys(h, general_sub_keys("hub", m_ed));
      m_c.hub_repo_id = m_r.string_at(h, "repo-id");
      m_c.hub_branch = m_r.string_at(h, "branch");
    }
  }
  read_general_sub(s, "cuda", &m_c.cuda);
  read_general_sub(s, "xpu", &m_c.xpu);
  read_general_sub(s, "neuron", &m_c.neuron);
  if (m_ed == Edition::v5) read_general_sub(s, "tpu", &m_c.tpu);
}

void Parser::read_general_sub(const Section& parent, std::string_view sub, BackendGeneral* out) {
  const toml::node* n = parent.table->get(sub);
  if (!n) return;
  std::string name = "[general." + std::string(sub) + "]";
  const toml::table* t = m_r.as_table(*n, name);
  if (!t) return;
  Section s{t, name};
  m_r.reject_unknown_keys(s, general_sub_keys(sub, m_ed),
                          v5_only(general_sub_keys(sub, Edition::v5), general_sub_keys(sub, m_ed)));
  if (sub == "cuda") {
    out->minver = m_r.version_at(s, "minver");
    out->maxver = m_r.version_at(s, "maxver");
  }
  read_python_depends(s, sub, out->python_depends);
  if (m_ed == Edition::v5 && sub != "tpu") read_kernel_depends(s, out->kernel_depends);
}

void Parser::read_python_depends(const Section& s, std::string_view scope,
                                 std::vector<std::string>& out) {
  auto items = m_r.strings_at(s, "python-depends");
  if (!items) return;
  const auto& allowed = python_depends_names(scope);
  for (const Located& item : *items) {
    if (contains(allowed, item.value)) {
      out.push_back(item.value);
      continue;
    }
    std::string where = describe(s, "python-depends");
    if (auto home = python_depends_scope(item.value)) {
      std::string table = *home == "general" ? "[general]" : "[general." + *home + "]";
      m_r.error(item.loc, "python dependency '" + item.value + "' is not allowed in " + where,
                "'" + item.value + "' is a " + *home + " dependency; list it in " + table +
                    " python-depends");
    } else if (allowed.empty()) {
      m_r.error(
          item.loc, "unknown python dependency '" + item.value + "' in " + where,
          "the curated list has no " + std::string(scope) + " dependencies; leave this list empty");
    } else {
      m_r.error(item.loc, "unknown python dependency '" + item.value + "' in " + where,
                choice_hint(item.value, allowed));
    }
  }
}

void Parser::read_kernel_depends(const Section& s, std::vector<KernelDep>& out) {
  const toml::node* n = s.table->get("kernel-depends");
  if (!n) return;
  std::string what = describe(s, "kernel-depends");
  const toml::array* items = m_r.as_array(*n, what);
  if (!items) return;
  for (const toml::node& item : *items) {
    const toml::table* t = m_r.as_table(item, "an entry of " + what);
    if (!t) continue;
    Section e{t, "a kernel-depends entry"};
    m_r.reject_unknown_keys(e, {"repo-id", "version", "revision"});
    KernelDep dep;
    bool ok = true;
    if (const toml::node* id = m_r.find(e, "repo-id", true, "add repo-id = \"org/name\"")) {
      auto v = m_r.as_string(*id, describe(e, "repo-id"));
      ok = ok && v;
      if (v) dep.repo_id = *v;
    } else {
      ok = false;
    }
    const toml::node* version = t->get("version");
    const toml::node* revision = t->get("revision");
    if (version && revision) {
      m_r.error(m_r.loc(*t), "a kernel-depends entry has both 'version' and 'revision'",
                "give exactly one: version = <major version> or revision = \"<git revision>\"");
      ok = false;
    } else if (!version && !revision) {
      m_r.error(m_r.loc(*t), "a kernel-depends entry needs 'version' or 'revision'",
                "add version = <major version>, or revision = \"<git revision>\"");
      ok = false;
    } else if (version) {
      dep.version = m_r.as_count(*version, describe(e, "version"));
      ok = ok && dep.version;
    } else {
      dep.revision = m_r.as_string(*revision, describe(e, "revision"));
      ok = ok && dep.revision;
    }
    if (ok) out.push_back(std::move(dep));
  }
}

void Parser::read_git_url(const Section& s, std::string_view key, std::optional<std::string>& out) {
  const toml::node* n = s.table->get(key);
  if (!n) return;
  auto url = m_r.as_string(*n, describe(s, key));
  if (!url) return;
  if (!valid_git_url(*url)) {
    m_r.error(m_r.loc(*n), "invalid git URL '" + *url + "' for " + describe(s, key),
              "use a URL with scheme https, http, git, ssh, git+ssh, git+https or git+http, or "
              "the SCP-like host:path (e.g. git@github.com:org/repo.git)");
    return;
  }
  out = *url;
}

void Parser::read_torch(const toml::table& t, TorchSection& out) {
  Section s{&t, "[torch]"};
  m_r.reject_unknown_keys(s, torch_keys());
  if (auto src = m_r.file_names_at(s, "src")) out.src = std::move(*src);
  out.include = m_r.string_list_at(s, "include");
  if (s.table->get("pyext")) out.pyext = m_r.string_list_at(s, "pyext");
  out.minver = m_r.version_at(s, "minver");
  out.maxver = m_r.version_at(s, "maxver");
  if (const toml::node* n = s.table->get("stable-abi")) read_stable_abi(s, *n, out);
  out.cxx_flags = m_r.string_list_at(s, "cxx-flags");
}

void Parser::read_stable_abi(const Section& s, const toml::node& n, TorchSection& out) {
  if (n.is_string()) {
    // One version for every backend the kernel supports.
    if (auto v = m_r.as_version(n, describe(s, "stable-abi")))
      for (Backend b : m_c.backends) out.stable_abi[b] = *v;
    return;
  }
  if (!n.is_table()) {
    m_r.error(m_r.loc(n),
              "expected a version string or a table of backend versions for " +
                  describe(s, "stable-abi") + ", found " + std::string(type_name(n)),
              "write stable-abi = \"2.11\", or stable-abi = { cuda = \"2.11\" }");
    return;
  }
  if (m_ed == Edition::v4) {
    m_r.error(m_r.loc(n), "a per-backend " + describe(s, "stable-abi") + " needs edition 5",
              "add `edition = 5` to [general], or write one version: stable-abi = \"2.11\"");
    return;
  }
  Section abi{n.as_table(), "[torch.stable-abi]"};
  for (const auto& [key, value] : *abi.table) {
    std::string k(key.str());
    auto b = parse_backend(k);
    if (!b) {
      m_r.error(m_r.loc(key), "unknown backend '" + k + "' in " + abi.name,
                choice_hint(k, backend_names(all_backends())));
      continue;
    }
    auto v = m_r.as_version(value, describe(abi, k));
    // Entries for backends the kernel does not support are allowed and ignored.
    if (v && m_c.has_backend(*b)) out.stable_abi[*b] = *v;
  }
}

void Parser::read_tvm_ffi(const toml::table& t, TorchSection& out) {
  Section s{&t, "[tvm-ffi]"};
  m_r.reject_unknown_keys(s, tvm_ffi_keys());
  if (m_r.find(s, "src", true, "list the binding sources, e.g. src = [\"tvm-ffi-ext/binding.cc\"]"))
    if (auto src = m_r.file_names_at(s, "src")) out.src = std::move(*src);
  out.include = m_r.string_list_at(s, "include");
  if (s.table->get("pyext")) out.pyext = m_r.string_list_at(s, "pyext");
  out.cxx_flags = m_r.string_list_at(s, "cxx-flags");
}

void Parser::read_noarch(const toml::table& t, NoarchSection& out) {
  Section s{&t, "[torch-noarch]"};
  m_r.reject_unknown_keys(s, noarch_keys());
  if (s.table->get("pyext")) out.pyext = m_r.string_list_at(s, "pyext");
  // kernel-builder reads the snake_case spelling and documents the kebab-case one; take
  // either, but not both.
  auto either = [&](const char* snake, const char* kebab, std::vector<std::string>& dst) {
    const toml::node* a = s.table->get(snake);
    auto b = s.table->find(kebab);
    if (a && b != s.table->end()) {
      m_r.error(m_r.loc(b->first),
                "both '" + std::string(snake) + "' and '" + kebab + "' are set in " + s.name,
                "they are two spellings of one key; keep one");
      return;
    }
    if (a || b != s.table->end()) dst = m_r.string_list_at(s, a ? snake : kebab);
  };
  either("cuda_capabilities", "cuda-capabilities", out.cuda_capabilities);
  either("rocm_archs", "rocm-archs", out.rocm_archs);
}

void Parser::read_kernels(const toml::node& n) {
  const toml::table* t = m_r.as_table(n, "[kernel]");
  if (!t) return;
  std::vector<std::pair<std::string, const toml::node*>> entries;
  for (const auto& [key, node] : *t) entries.emplace_back(std::string(key.str()), &node);
  sort_by_position(entries);
  for (const auto& [key, node] : *t)
    if (!m_r.check_text(m_r.loc(key), key.str(), "a [kernel.*] table name")) return;
  for (const auto& [name, node] : entries)
    if (const toml::table* kt = m_r.as_table(*node, "[kernel." + name + "]"))
      read_kernel(name, *kt);
}

void Parser::read_kernel(const std::string& name, const toml::table& t) {
  Section s{&t, "[kernel." + name + "]"};
  KernelSection k;
  k.name = name;
  k.loc = m_r.loc(t);
  std::optional<Backend> backend = read_kernel_backend(s);
  if (backend) k.backend = *backend;

  m_r.reject_unknown_keys(s, kernel_keys());
  for (const auto& [key, node] : t) {
    std::string_view kv = key.str();
    if (backend && contains(kernel_keys(), kv) && !kernel_key_allowed(kv, *backend)) {
      std::string bname(to_string(*backend));
      m_r.error(
          m_r.loc(key),
          "key '" + std::string(kv) + "' is not allowed in " + s.name + ", a " + bname + " kernel",
          "'" + std::string(kv) +
              "' applies only to kernels with backend = " + kernel_key_backends(kv));
    }
  }
  // Only keys the backend allows are read; an unknown backend allows all, to check types.
  auto allowed = [&](std::string_view key) {
    return s.table->get(key) && (!backend || kernel_key_allowed(key, *backend));
  };

  if (m_r.find(s, "src", true,
               "list the kernel's sources and headers, e.g. src = [\"relu/relu.cu\"]"))
    if (auto src = m_r.file_names_at(s, "src")) k.src = std::move(*src);
  read_depends(s, k.depends, k.depends_locs);
  k.include = m_r.string_list_at(s, "include");
  k.cxx_flags = m_r.string_list_at(s, "cxx-flags");
  if (allowed("cuda-capabilities")) read_cuda_capabilities(s, k);
  if (allowed("cuda-flags")) k.cuda_flags = m_r.string_list_at(s, "cuda-flags");
  if (allowed("cuda-minver")) k.cuda_minver = m_r.version_at(s, "cuda-minver");
  if (allowed("rocm-archs")) read_rocm_archs(s, k);
  if (allowed("hip-flags")) k.hip_flags = m_r.string_list_at(s, "hip-flags");
  if (allowed("sycl-flags")) k.sycl_flags = m_r.string_list_at(s, "sycl-flags");
  m_c.kernels.push_back(std::move(k));
}

// cuda-capabilities as the reference takes them: any well-formed X.Y[a|f][+PTX]. One that can
// serve no target of any CUDA version is a note (it contributes nothing, as in the
// reference's loose intersection); an empty list, or one none of whose entries can serve a
// target, can never build and is an error here, whatever toolkit is installed.
void Parser::read_cuda_capabilities(const Section& s, KernelSection& k) {
  const toml::node* n = s.table->get("cuda-capabilities");
  auto caps = m_r.strings_at(s, "cuda-capabilities");
  if (!n || !caps) return;
  k.cuda_capabilities = caps;
  std::string what = describe(s, "cuda-capabilities");
  std::string targets;
  for (const auto& t : all_default_cuda_targets()) targets += (targets.empty() ? "" : ";") + t;
  const toml::array* array = n->as_array();
  if (array && array->empty()) {
    m_r.error(m_r.loc(*n), what + " is empty, so the kernel would build for no capability",
              "list capabilities, e.g. [\"8.0\", \"9.0a\"], or remove the key to build for the "
              "CUDA toolkit's default list");
    return;
  }
  bool malformed = false;
  bool any_match = false;
  std::vector<const Located*> unmatched;
  for (const Located& cap : *caps) {
    if (!is_valid_cuda_capability(cap.value)) {
      m_r.error(cap.loc, "malformed CUDA capability \"" + cap.value + "\" in " + what,
                "capabilities look like \"8.0\", \"9.0a\", \"10.0f\" or \"9.0+PTX\"");
      malformed = true;
    } else if (cuda_capability_can_match(cap.value)) {
      any_match = true;
    } else {
      unmatched.push_back(&cap);
    }
  }
  if (malformed || !array || caps->size() != array->size()) return;
  if (!any_match) {
    m_r.error(
        m_r.loc(*n), what + " matches no target of any CUDA version kb knows (" + targets + ")",
        "list at least one capability that a CUDA toolkit builds, e.g. \"8.0\" or "
        "\"9.0a\"; an X.Y serves the targets from X.Y up within major X, X.Y+PTX also those of "
        "later majors");
    return;
  }
  for (const Located* cap : unmatched)
    m_c.notes.push_back(Error{"\"" + cap->value + "\" in " + what +
                                  " serves no target of any CUDA version (" + targets +
                                  "); it contributes nothing to the build",
                              cap->loc, ""});
}

// rocm-archs, checked as cuda-capabilities are: the matrix keeps only the reference's ROCm
// targets, so a name outside that list is a note (it contributes nothing), and an empty list,
// or one with no supported target, can never build and is an error.
void Parser::read_rocm_archs(const Section& s, KernelSection& k) {
  const toml::node* n = s.table->get("rocm-archs");
  auto archs = m_r.strings_at(s, "rocm-archs");
  if (!n || !archs) return;
  k.rocm_archs = archs;
  std::string what = describe(s, "rocm-archs");
  const auto& supported = reference_rocm_archs();
  std::string targets;
  for (const auto& t : supported) targets += (targets.empty() ? "" : ";") + t;
  const toml::array* array = n->as_array();
  if (array && array->empty()) {
    m_r.error(m_r.loc(*n), what + " is empty, so the kernel would build for no ROCm target",
              "list targets, e.g. [\"gfx942\"], or remove the key to build for every supported "
              "target (" +
                  targets + ")");
    return;
  }
  if (!array || archs->size() != array->size()) return;
  std::vector<const Located*> unknown;
  for (const Located& arch : *archs)
    if (std::find(supported.begin(), supported.end(), arch.value) == supported.end())
      unknown.push_back(&arch);
  if (unknown.size() == archs->size()) {
    m_r.error(m_r.loc(*n), what + " names no supported ROCm target (" + targets + ")",
              "list at least one of them, e.g. \"gfx942\"");
    return;
  }
  for (const Located* arch : unknown) {
    std::string close = closest_match(arch->value, supported);
    m_c.notes.push_back(Error{"\"" + arch->value + "\" in " + what +
                                  " is not one of the supported ROCm targets (" + targets +
                                  "); it contributes nothing to the build",
                              arch->loc, close.empty() ? "" : "did you mean \"" + close + "\"?"});
  }
}

std::optional<Backend> Parser::read_kernel_backend(const Section& s) {
  std::vector<std::string> names = backend_names(kernel_backends());
  std::vector<std::string> quoted;
  for (const auto& name : names) quoted.push_back("\"" + name + "\"");
  const toml::node* n = m_r.find(s, "backend", true, "add backend = " + join_or(quoted));
  if (!n) return std::nullopt;
  auto text = m_r.as_string(*n, describe(s, "backend"));
  if (!text) return std::nullopt;
  auto b = parse_backend(*text);
  if (b &&
      std::find(kernel_backends().begin(), kernel_backends().end(), *b) != kernel_backends().end())
    return b;
  if (b)
    m_r.error(m_r.loc(*n), "backend '" + *text + "' cannot be used by a kernel in " + s.name,
              "kernels are compiled for " + join_or(names) + "; list '" + *text +
                  "' only in general.backends");
  else
    m_r.error(m_r.loc(*n), "unknown backend '" + *text + "' for " + describe(s, "backend"),
              choice_hint(*text, names));
  return std::nullopt;
}

void Parser::read_depends(const Section& s, std::vector<std::string>& out,
                          std::vector<SourceLoc>& locs) {
  if (!m_r.find(s, "depends", true, "list the kernel's C++ dependencies, or write depends = []"))
    return;
  auto items = m_r.strings_at(s, "depends");
  if (!items) return;
  for (const Located& item : *items) {
    if (contains(dependency_names(), item.value)) {
      out.push_back(item.value);
      locs.push_back(item.loc);
    } else
      m_r.error(item.loc, "unknown dependency '" + item.value + "' in " + describe(s, "depends"),
                choice_hint(item.value, dependency_names()));
  }
}

}  // namespace
}  // namespace config_detail

Result<Config> parse_config(std::string_view text, std::string_view path) {
  return config_detail::Parser(path).parse(text);
}

}  // namespace kb
