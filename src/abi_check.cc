// check_abi: the pure policy on one library's imports (manylinux, abi3, Torch stable ABI).

#include "kb/abi_check.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace kb {
namespace {

std::string normalised(std::string_view version) {
  auto parsed = Version::parse(version);
  return parsed.ok() ? parsed->str() : std::string(version);
}

const ManylinuxPolicy* find_policy(const AbiTables& t, std::string_view name) {
  for (const auto& p : t.manylinux)
    if (p.name == name) return &p;
  return nullptr;
}

// "GLIBC_2.32" -> {"GLIBC", "2.32"}; "CXXABI_TM_1" -> {"CXXABI", "TM_1"}; no '_' -> nullopt.
std::optional<std::pair<std::string, std::string>> split_version(std::string_view v) {
  const size_t us = v.find('_');
  if (us == std::string_view::npos || us == 0 || us + 1 == v.size()) return std::nullopt;
  return std::pair{std::string(v.substr(0, us)), std::string(v.substr(us + 1))};
}

// The highest allowed version of `dep` in the policy, for messages: "2.28".
std::string ceiling(const std::set<std::string>& allowed) {
  std::optional<Version> best;
  for (const auto& text : allowed) {
    auto v = Version::parse(text);
    if (v.ok() && (!best || *v > *best)) best = *v;
  }
  return best ? best->str() : "";
}

void check_manylinux(const ElfImports& imports,
                     const std::map<std::string, std::set<std::string>>& allowed,
                     std::vector<AbiViolation>& out) {
  for (const auto& s : imports.symbols) {
    auto parts = split_version(s.version);
    if (!parts) continue;  // unversioned, or a library-named version such as libcudart.so.13
    auto dep = allowed.find(parts->first);
    if (dep == allowed.end()) continue;  // not a dependency the policy governs
    if (!dep->second.contains(normalised(parts->second)))
      out.push_back({AbiViolation::Kind::manylinux, s.name, s.version, ceiling(dep->second), ""});
  }
}

void check_python(const ElfImports& imports, const AbiTables& t, const Version& python_abi,
                  std::vector<AbiViolation>& out) {
  for (const auto& s : imports.symbols) {
    auto it = t.python_added.find(s.name);
    if (it != t.python_added.end()) {
      if (it->second > python_abi)
        out.push_back({AbiViolation::Kind::python_too_new, s.name, it->second.major_minor(),
                       python_abi.major_minor(), ""});
    } else if (s.name.starts_with("Py") || s.name.starts_with("_Py")) {
      out.push_back({AbiViolation::Kind::python_not_abi3, s.name, "", "", ""});
    }
  }
}

std::optional<std::string> demangle(const std::string& mangled) {
  if (!mangled.starts_with("_Z")) return std::nullopt;
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> text(
      abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), &std::free);
  if (status != 0 || !text) return std::nullopt;
  return std::string(text.get());
}

// The entity a demangled name is about: "vtable for c10::Error" -> "c10::Error".
std::string_view subject(std::string_view demangled) {
  for (std::string_view prefix : {"vtable for ", "typeinfo for ", "typeinfo name for ", "VTT for ",
                                  "construction vtable for ", "guard variable for "})
    if (demangled.starts_with(prefix)) return demangled.substr(prefix.size());
  return demangled;
}

bool is_torch_cxx(std::string_view name) {
  if (name.starts_with("torch::stable::")) return false;
  return name.starts_with("c10::") || name.starts_with("at::") || name.starts_with("torch::");
}

void check_torch_stable(const ElfImports& imports, const AbiTables& t, const Version& target,
                        std::vector<AbiViolation>& out) {
  for (const auto& s : imports.symbols) {
    auto shim = t.torch_shim_added.find(s.name);
    if (shim != t.torch_shim_added.end()) {
      if (shim->second > target)
        out.push_back({AbiViolation::Kind::torch_shim_too_new, s.name, shim->second.major_minor(),
                       target.major_minor(), ""});
      continue;
    }
    auto text = demangle(s.name);
    if (text && is_torch_cxx(subject(*text)))
      out.push_back({AbiViolation::Kind::torch_not_stable, s.name, "", "", *text});
  }
}

std::vector<std::string> policy_names(const AbiTables& t) {
  std::vector<std::string> names;
  for (const auto& p : t.manylinux) names.push_back(p.name);
  return names;
}

}  // namespace

Result<std::vector<AbiViolation>> check_abi(const ElfImports& imports, const AbiTables& tables,
                                            const AbiOptions& options) {
  const ManylinuxPolicy* policy = find_policy(tables, options.manylinux);
  if (!policy) {
    std::string hint = closest_match(options.manylinux, policy_names(tables));
    return Error{
        "unknown manylinux policy '" + options.manylinux + "'",
        {},
        hint.empty() ? "policies are named like manylinux_2_28" : "did you mean '" + hint + "'?"};
  }
  auto arch = policy->symbol_versions.find(imports.arch);
  if (arch == policy->symbol_versions.end())
    return Error{"no " + policy->name + " policy for this machine" +
                     (imports.arch.empty() ? std::string() : " (" + imports.arch + ")"),
                 {},
                 ""};
  std::vector<AbiViolation> out;
  check_manylinux(imports, arch->second, out);
  check_python(imports, tables, options.python_abi, out);
  if (options.torch_stable_abi) check_torch_stable(imports, tables, *options.torch_stable_abi, out);
  std::stable_sort(out.begin(), out.end(), [](const AbiViolation& a, const AbiViolation& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.symbol < b.symbol;
  });
  return out;
}

std::string describe_violation(const AbiViolation& v, const AbiOptions& options) {
  switch (v.kind) {
    case AbiViolation::Kind::manylinux: {
      auto parts = split_version(v.version);
      return v.symbol + "@" + v.version + ": not allowed by " + options.manylinux +
             (parts && !v.limit.empty() ? " (" + parts->first + " up to " + v.limit + ")"
                                        : std::string());
    }
    case AbiViolation::Kind::python_not_abi3:
      return v.symbol + ": not in the Python limited API (abi3)";
    case AbiViolation::Kind::python_too_new:
      return v.symbol + ": in the limited API only since Python " + v.version + ", newer than " +
             v.limit;
    case AbiViolation::Kind::torch_not_stable:
      return v.demangled + ": a Torch C++ symbol in a stable-ABI variant";
    case AbiViolation::Kind::torch_shim_too_new:
      return v.symbol + ": a stable shim only since Torch " + v.version +
             ", newer than the target " + v.limit;
  }
  return v.symbol;
}

}  // namespace kb
