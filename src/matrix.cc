#include "kb/matrix.h"

#include "kb/arch_select.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "kb/arch.h"

namespace kb {

std::vector<std::string> Variant::metadata_archs() const {
  std::set<std::string> all;  // std::string order: "10.0" before "7.5", as the reference writes it
  for (const auto& s : sections) all.insert(s.archs.begin(), s.archs.end());
  return {all.begin(), all.end()};
}

namespace {

// "12.8", "2.11": versions as people write them (at least major.minor).
std::string show(const Version& v) { return v.parts().size() <= 2 ? v.major_minor() : v.str(); }

// One variant the planner wants to build, before deduplication.
struct Candidate {
  VariantName id;
  size_t torch = 0;
  std::optional<size_t> cuda;
  std::optional<size_t> rocm;
  Version toolkit;  // CUDA/ROCm version of the variant; empty for cpu
};

class MatrixBuilder {
 public:
  MatrixBuilder(const Config& config, const Toolchains& tc, const ArchSelections& archs)
      : m_config(config), m_tc(tc), m_archs(archs) {}

  Result<Matrix> run() {
    std::vector<Backend> backends;
    for (Backend b : m_config.backends)
      if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
    note_unlisted_kernel_backends(backends);

    switch (m_config.framework) {
      case Framework::tvm_ffi:
        for (Backend b : backends)
          reject(fmt::format("tvm-ffi ({})", to_string(b)),
                 "the [tvm-ffi] framework is not supported by kb yet; only [torch] and "
                 "[torch-noarch] build");
        break;
      case Framework::torch_noarch:
        for (Backend b : backends) add_noarch(b);
        break;
      case Framework::torch:
        for (Backend b : backends) plan_backend(b);
        break;
    }

    if (!m_errors.empty()) return Errors(std::move(m_errors));
    std::sort(m_matrix.variants.begin(), m_matrix.variants.end(),
              [](const Variant& a, const Variant& b) { return a.name < b.name; });
    return std::move(m_matrix);
  }

 private:
  const Config& m_config;
  const Toolchains& m_tc;
  const ArchSelections& m_archs;  // what the user asked to build for (kb/arch_select.h)
  Matrix m_matrix;
  std::vector<Error> m_errors;
  std::set<std::string> m_error_keys;
  std::map<std::string, std::string> m_owner;  // variant name -> who provides it (for duplicates)

  void reject(std::string name, std::string reason) {
    m_matrix.rejected.push_back({std::move(name), std::move(reason)});
  }

  void error(std::string message, SourceLoc loc, std::string hint) {
    if (loc.file.empty()) loc.file = m_config.path;
    std::string key = message + "@" + loc.file + ":" + std::to_string(loc.line);
    if (!m_error_keys.insert(key).second) return;
    m_errors.push_back(Error{std::move(message), std::move(loc), std::move(hint)});
  }

  std::vector<const KernelSection*> sections_for(Backend b) const {
    std::vector<const KernelSection*> out;
    for (const auto& k : m_config.kernels)
      if (k.backend == b) out.push_back(&k);
    return out;
  }

  std::string torch_desc(size_t t) const {
    const auto& ti = m_tc.torches[t];
    return fmt::format("torch {} at {}",
                       ti.version_string.empty() ? show(ti.version) : ti.version_string, ti.python);
  }

  // Kernel sections whose backend general.backends does not list are not built.
  void note_unlisted_kernel_backends(const std::vector<Backend>& backends) {
    if (m_config.framework != Framework::torch) return;
    std::map<Backend, std::vector<std::string>> unlisted;
    for (const auto& k : m_config.kernels)
      if (std::find(backends.begin(), backends.end(), k.backend) == backends.end())
        unlisted[k.backend].push_back("kernel." + k.name);
    for (const auto& [b, names] : unlisted)
      reject(fmt::format("{} kernels ({})", to_string(b), fmt::join(names, ", ")),
             fmt::format("backend {} is not listed in general.backends", to_string(b)));
  }

  void add_noarch(Backend b) {
    Variant v;
    v.id.kind = VariantName::Kind::noarch;
    v.id.backend = b;
    v.name = v.id.format();
    v.backend = b;
    v.noarch = true;
    add_variant(std::move(v), "general.backends");
  }

  void add_variant(Variant v, const std::string& owner) {
    auto [it, fresh] = m_owner.emplace(v.name, owner);
    if (!fresh) {
      reject(v.name,
             fmt::format("duplicate: {} provides the same variant (same Torch major.minor); "
                         "{} is not used for it",
                         it->second, owner));
      return;
    }
    m_matrix.variants.push_back(std::move(v));
  }

  void plan_backend(Backend b) {
    if (!m_config.has_kernels_for(b)) {
      add_noarch(b);  // no [kernel.*] of this backend: Python files only
      return;
    }
    std::vector<Candidate> candidates;
    switch (b) {
      case Backend::cpu: candidates = cpu_candidates(); break;
      case Backend::cuda: candidates = cuda_candidates(); break;
      case Backend::rocm: candidates = rocm_candidates(); break;
      default:
        reject(fmt::format("{} kernels", to_string(b)),
               fmt::format("{} kernels are not buildable on {}-{} by kb{}", to_string(b), m_tc.cpu,
                           m_tc.os,
                           b == Backend::metal ? " (Metal needs a macOS host)"
                           : b == Backend::xpu ? " (kb does not drive Intel oneAPI/SYCL yet)"
                                               : ""));
        return;
    }
    if (auto abi = m_config.torch.stable_abi.find(b); abi != m_config.torch.stable_abi.end())
      candidates = apply_stable_abi(std::move(candidates), abi->second);
    for (auto& c : candidates) build(b, c);
  }

  VariantName torch_name(size_t t, Backend b, std::optional<Version> compute) const {
    VariantName id;
    id.kind = VariantName::Kind::torch;
    id.framework = m_tc.torches[t].version.truncated(2);
    id.backend = b;
    id.compute = std::move(compute);
    id.cpu = m_tc.cpu;
    id.os = m_tc.os;
    return id;
  }

  // Why Torch install `t` cannot build arch variants at all, or "".
  std::string torch_problem(size_t t) const {
    const auto& ti = m_tc.torches[t];
    Version v = ti.version.truncated(2);
    Version lo = m_config.torch.minver.value_or(Version({2, 0}));
    Version hi = m_config.torch.maxver.value_or(Version({99, 9}));
    if (v < lo) return fmt::format("torch {} is below torch.minver {}", show(v), show(lo));
    if (v > hi) return fmt::format("torch {} is above torch.maxver {}", show(v), show(hi));
    if (m_tc.os == "linux" && !ti.cxx11_abi)
      return fmt::format("torch {} uses the pre-C++11 ABI; kb builds only -cxx11 Linux variants",
                         show(v));
    return "";
  }

  std::vector<Candidate> cpu_candidates() {
    std::vector<Candidate> out;
    if (m_tc.torches.empty()) reject("cpu", "no Torch install was found");
    for (size_t t = 0; t < m_tc.torches.size(); ++t) {
      Candidate c{torch_name(t, Backend::cpu, std::nullopt), t, {}, {}, {}};
      if (auto p = torch_problem(t); !p.empty()) {
        reject(c.id.format(), p);
        continue;
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  std::vector<Candidate> cuda_candidates() {
    std::vector<Candidate> out;
    if (m_tc.torches.empty()) reject("cuda", "no Torch install was found");
    if (m_tc.cuda.empty()) reject("cuda", "no CUDA toolkit (nvcc) was found");
    Version lo = m_config.cuda.minver.value_or(Version({11, 8}));
    Version hi = m_config.cuda.maxver.value_or(Version({99, 9}));
    for (size_t t = 0; t < m_tc.torches.size(); ++t) {
      const auto& ti = m_tc.torches[t];
      Version tv = ti.version.truncated(2);
      if (!ti.cuda) {
        reject(torch_desc(t),
               fmt::format("torch {} has no CUDA support (torch.version.cuda is unset)", show(tv)));
        continue;
      }
      Version tcuda = ti.cuda->truncated(2);
      for (size_t k = 0; k < m_tc.cuda.size(); ++k) {
        Version kv = m_tc.cuda[k].version.truncated(2);
        Candidate c{torch_name(t, Backend::cuda, kv), t, k, {}, kv};
        std::string name = c.id.format();
        if (kv.major() != tcuda.major()) {
          reject(name, fmt::format("torch {} is built for CUDA {}; found nvcc {} (major differs)",
                                   show(tv), show(tcuda), show(kv)));
        } else if (kv.minor() > tcuda.minor()) {
          reject(name,
                 fmt::format(
                     "torch {} is built for CUDA {}; found nvcc {} (newer minor: the loader only "
                     "loads variants whose CUDA minor is <= Torch's)",
                     show(tv), show(tcuda), show(kv)));
        } else if (kv < lo) {
          reject(name, fmt::format("CUDA {} is below general.cuda.minver {}", show(kv), show(lo)));
        } else if (kv > hi) {
          reject(name, fmt::format("CUDA {} is above general.cuda.maxver {}", show(kv), show(hi)));
        } else if (auto p = torch_problem(t); !p.empty()) {
          reject(name, p);
        } else {
          out.push_back(std::move(c));
        }
      }
    }
    return out;
  }

  std::vector<Candidate> rocm_candidates() {
    std::vector<Candidate> out;
    if (m_tc.torches.empty()) reject("rocm", "no Torch install was found");
    if (m_tc.rocm.empty()) reject("rocm", "no ROCm/HIP toolchain was found");
    for (size_t t = 0; t < m_tc.torches.size(); ++t) {
      const auto& ti = m_tc.torches[t];
      Version tv = ti.version.truncated(2);
      if (!ti.hip) {
        reject(torch_desc(t),
               fmt::format("torch {} has no ROCm support (torch.version.hip is unset)", show(tv)));
        continue;
      }
      Version thip = ti.hip->truncated(2);
      for (size_t k = 0; k < m_tc.rocm.size(); ++k) {
        Version kv = m_tc.rocm[k].version.truncated(2);
        Candidate c{torch_name(t, Backend::rocm, thip), t, {}, k, thip};
        std::string name = c.id.format();
        if (kv != thip) {
          reject(name,
                 fmt::format("torch {} is built for ROCm {}; found ROCm {} (the loader requires an "
                             "exact major.minor match)",
                             show(tv), show(thip), show(kv)));
        } else if (auto p = torch_problem(t); !p.empty()) {
          reject(name, p);
        } else {
          out.push_back(std::move(c));
        }
      }
    }
    return out;
  }

  // Keeps, per toolkit version, only the newest Torch, renamed to the stable-ABI variant.
  std::vector<Candidate> apply_stable_abi(std::vector<Candidate> in, const Version& abi) {
    std::vector<Candidate> out;
    std::vector<Candidate> eligible;
    for (auto& c : in) {
      Version tv = m_tc.torches[c.torch].version.truncated(2);
      if (tv < abi)
        reject(c.id.format(),
               fmt::format("torch {} is older than the stable-ABI target {} (torch.stable-abi)",
                           show(tv), show(abi)));
      else
        eligible.push_back(std::move(c));
    }
    // Groups in first-seen order; within a group the newest Torch wins, the first on a tie.
    std::vector<std::vector<Candidate>> groups;
    for (auto& c : eligible) {
      auto g = std::find_if(groups.begin(), groups.end(),
                            [&](const auto& grp) { return grp.front().toolkit == c.toolkit; });
      if (g == groups.end())
        groups.push_back({std::move(c)});
      else
        g->push_back(std::move(c));
    }
    for (auto& grp : groups) {
      size_t best = 0;
      for (size_t i = 1; i < grp.size(); ++i)
        if (m_tc.torches[grp[i].torch].version.truncated(2) >
            m_tc.torches[grp[best].torch].version.truncated(2))
          best = i;
      Candidate kept = grp[best];
      kept.id.kind = VariantName::Kind::stable_abi;
      kept.id.framework = abi;
      std::string stable_name = kept.id.format();
      Version newest = m_tc.torches[kept.torch].version.truncated(2);
      for (size_t i = 0; i < grp.size(); ++i) {
        if (i == best) continue;
        Version tv = m_tc.torches[grp[i].torch].version.truncated(2);
        if (tv == newest)
          reject(grp[i].id.format(),
                 fmt::format("duplicate: {} already builds the stable-ABI variant {}",
                             torch_desc(kept.torch), stable_name));
        else
          reject(grp[i].id.format(),
                 fmt::format("superseded by torch {} for the stable-ABI variant {}", show(newest),
                             stable_name));
      }
      out.push_back(std::move(kept));
    }
    return out;
  }

  void build(Backend b, const Candidate& c) {
    Variant v;
    v.id = c.id;
    v.name = c.id.format();
    v.backend = b;
    v.torch = c.torch;
    v.cuda = c.cuda;
    v.rocm = c.rocm;
    if (c.id.kind == VariantName::Kind::stable_abi) v.stable_abi = c.id.framework;
    bool ok = true;
    for (const KernelSection* k : sections_for(b)) {
      if (b == Backend::cuda) {
        ok = cuda_section(*k, m_tc.cuda[*c.cuda], v) && ok;
      } else if (b == Backend::rocm) {
        ok = rocm_section(*k, m_tc.rocm[*c.rocm], v) && ok;
      } else {
        v.sections.push_back({k->name, {}, {}, *k});
      }
    }
    if (ok) add_variant(std::move(v), torch_desc(c.torch));
  }

  bool cuda_section(const KernelSection& k, const CudaToolkit& tk, Variant& v) {
    Version kv = tk.version.truncated(2);
    if (k.cuda_minver && *k.cuda_minver > kv) {
      v.skipped_sections.push_back(fmt::format("{}: cuda-minver {} is above CUDA {}", k.name,
                                               show(*k.cuda_minver), show(kv)));
      return true;
    }
    std::optional<std::vector<std::string>> caps;
    if (k.cuda_capabilities) {
      caps.emplace();
      for (const auto& cap : *k.cuda_capabilities) caps->push_back(cap.value);
    }
    std::vector<std::string> requested = caps ? *caps : default_cuda_archs(kv);
    std::vector<std::string> supported = default_cuda_archs(kv);
    ArchIntersection archs =
        limit_to_nvcc(cuda_section_archs(caps, m_archs.cuda, kv), tk.gpu_codes, kv);
    if (archs.archs.empty()) {
      std::string why = fmt::format("requested {}", fmt::join(requested, ";"));
      if (!archs.notes.empty()) why += fmt::format("; {}", fmt::join(archs.notes, "; "));
      std::vector<std::string> plain;
      for (const auto& s : supported) plain.push_back(s.substr(0, s.find('+')));
      error(fmt::format(
                "CUDA kernel {}: empty set of capabilities after intersection with CUDA {} ({})",
                k.name, show(kv), why),
            k.loc,
            fmt::format(
                "list a capability CUDA {} builds ({}), or keep this toolkit out with the kernel's "
                "cuda-minver or general.cuda.minver/maxver",
                show(kv), fmt::join(plain, ";")));
      return false;
    }
    v.sections.push_back({k.name, std::move(archs.archs), std::move(archs.notes), k});
    return true;
  }

  bool rocm_section(const KernelSection& k, const RocmToolkit& tk, Variant& v) {
    std::optional<std::vector<std::string>> given;
    if (k.rocm_archs) {
      given.emplace();
      for (const auto& a : *k.rocm_archs) given->push_back(a.value);
    }
    std::vector<std::string> requested = given.value_or(std::vector<std::string>{});
    ArchIntersection archs = rocm_section_archs(given, m_archs.rocm, tk.gfx_targets);
    // Name the compiler that cannot build a target (gfx942 with Debian's clang 15): the
    // device library lists the ISAs the toolkit builds (toolchains/rocm.cc).
    for (const CompilerDrop& drop : archs.compiler_drops)
      archs.notes[drop.note] +=
          fmt::format(" ({} of ROCm {}, HIP {}: its device library {} has no {})",
                      tk.clang.empty() ? std::string("clang") : tk.clang,
                      show(tk.version.truncated(2)), tk.hip_version, tk.device_lib_path, drop.arch);
    if (archs.archs.empty()) {
      std::string why = k.rocm_archs ? fmt::format("requested {}", fmt::join(requested, ";"))
                                     : "all supported targets";
      if (!archs.notes.empty()) why += fmt::format("; {}", fmt::join(archs.notes, "; "));
      error(fmt::format(
                "ROCm kernel {}: empty set of architectures after intersection with ROCm {} ({})",
                k.name, show(tk.version.truncated(2)), why),
            k.loc,
            fmt::format("list a target both the reference list ({}) and the HIP compiler support",
                        fmt::join(reference_rocm_archs(), ";")));
      return false;
    }
    v.sections.push_back({k.name, std::move(archs.archs), std::move(archs.notes), k});
    return true;
  }
};

}  // namespace

Result<Matrix> make_matrix(const Config& config, const Toolchains& toolchains,
                           const ArchSelections& archs) {
  return MatrixBuilder(config, toolchains, archs).run();
}

}  // namespace kb
