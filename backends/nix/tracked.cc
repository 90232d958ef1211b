// What Nix will see of a kernel checkout.

#include "tracked.h"

#include <algorithm>
#include <set>

namespace kb::nix {

namespace {

std::string extension(std::string_view path) {
  auto slash = path.rfind('/');
  auto dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return "";
  return std::string(path.substr(dot + 1));
}

// The tracked entry that `path` lies below, if any (a submodule's gitlink).
std::optional<std::string> enclosing_entry(const std::string& path,
                                           const std::set<std::string>& tracked) {
  for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (tracked.count(prefix)) return prefix;
  }
  return std::nullopt;
}

}  // namespace

std::string_view package_root(const Config& config) {
  return config.framework == Framework::tvm_ffi ? "tvm-ffi-ext" : "torch-ext";
}

std::vector<NeededFile> needed_files(const Config& config,
                                     const std::vector<std::string>& ext_files, bool uses_flake_nix,
                                     const std::vector<std::string>& optional_present) {
  std::vector<NeededFile> out;
  out.push_back(NeededFile{"build.toml", std::nullopt, true});
  if (uses_flake_nix) out.push_back(NeededFile{"flake.nix", std::nullopt, true});
  for (const auto& f : config.torch.src) out.push_back(NeededFile{f.value, f.loc, true});
  for (const auto& k : config.kernels)
    for (const auto& f : k.src) out.push_back(NeededFile{f.value, f.loc, true});
  const auto& pyext =
      config.framework == Framework::torch_noarch ? config.noarch.pyext : config.torch.pyext;
  for (const auto& f : ext_files)
    if (std::find(pyext.begin(), pyext.end(), extension(f)) != pyext.end())
      out.push_back(NeededFile{f, std::nullopt, true});
  for (const auto& f : optional_present) out.push_back(NeededFile{f, std::nullopt, false});

  // One entry per path: the first (the located, required one) wins.
  std::stable_sort(out.begin(), out.end(), [](const NeededFile& a, const NeededFile& b) {
    if (a.path != b.path) return a.path < b.path;
    return a.required && !b.required;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const NeededFile& a, const NeededFile& b) { return a.path == b.path; }),
            out.end());
  return out;
}

std::vector<std::string> parse_nul_separated(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TrackingReport check_tracked(const std::vector<NeededFile>& needed,
                             const std::vector<std::string>& tracked) {
  std::set<std::string> known(tracked.begin(), tracked.end());
  TrackingReport report;
  for (const auto& f : needed) {
    std::string path = f.path;
    while (path.starts_with("./")) path.erase(0, 2);
    if (known.count(path)) continue;
    Error e;
    e.loc = f.loc;
    if (auto sub = enclosing_entry(path, known)) {
      e.message = "'" + path + "' is inside git submodule '" + *sub +
                  "', which Nix leaves out when it builds the git checkout";
      e.hint =
          "copy the file into the kernel's own tree, or ask Nix for submodules "
          "(`inputs.self.submodules = true;` in flake.nix, recent Nix only)";
    } else if (f.required) {
      e.message = "'" + path +
                  "' is not tracked by git, so Nix, which builds the checkout's "
                  "tracked files, will not see it";
      e.hint = "git add " + path;
    } else {
      e.message = "'" + path + "' is not tracked by git and will be left out of the Nix build" +
                  (path == "flake.lock" ? std::string(" (Nix then resolves kernel-builder afresh)")
                                        : std::string());
      e.hint = "git add " + path;
    }
    (f.required ? report.errors : report.warnings).push_back(std::move(e));
  }
  return report;
}

}  // namespace kb::nix
