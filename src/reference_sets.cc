// The reference's build-set table and what of it this machine cannot build.

#include "kb/reference_sets.h"

#include <fmt/format.h>

#include <algorithm>

#include "kb/variant.h"

namespace kb {

const std::vector<ReferenceBuildSet>& reference_build_sets() {
  // Source: kernel-builder's nix-builder/build-variants.json (bundleBuild = true), as
  // shared/reference/kernel-builder-format.md section 2 "Newest (26 bundle variants)" lists it,
  // with the Torch pair moved from 2.12/2.13 to 2.13/2.14 as issue 14 reports (the reference
  // dropped 2.12). Torch 2.14's rows repeat 2.13's CUDA 12.6/13.0/13.2, ROCm 7.1/7.2 and
  // XPU 2026.0 until the reference's table for 2.14 is copied here; 2.13's XPU is 2026.0 as
  // in versions.nix.
  static const std::vector<ReferenceBuildSet> sets = [] {
    std::vector<ReferenceBuildSet> out;
    for (const Version& torch : {Version({2, 13}), Version({2, 14})}) {
      out.push_back({torch, Backend::cpu, std::nullopt, "x86_64", "linux"});
      for (const Version& cuda : {Version({12, 6}), Version({13}), Version({13, 2})})
        out.push_back({torch, Backend::cuda, cuda, "x86_64", "linux"});
      for (const Version& rocm : {Version({7, 1}), Version({7, 2})})
        out.push_back({torch, Backend::rocm, rocm, "x86_64", "linux"});
      out.push_back({torch, Backend::xpu, Version({2026, 0}), "x86_64", "linux"});
      out.push_back({torch, Backend::cpu, std::nullopt, "aarch64", "linux"});
      for (const Version& cuda : {Version({12, 6}), Version({13}), Version({13, 2})})
        out.push_back({torch, Backend::cuda, cuda, "aarch64", "linux"});
      out.push_back({torch, Backend::cpu, std::nullopt, "aarch64", "darwin"});
      out.push_back({torch, Backend::metal, std::nullopt, "aarch64", "darwin"});
    }
    return out;
  }();
  return sets;
}

namespace {

std::string variant_name(const ReferenceBuildSet& s) {
  VariantName n;
  n.kind = VariantName::Kind::torch;
  n.framework = s.torch;
  n.backend = s.backend;
  n.compute = s.compute;
  n.cpu = s.cpu;
  n.os = s.os;
  return n.format();
}

// Why `toolchains` cannot build `s`, or "" when they can.
std::string why_not(const ReferenceBuildSet& s, const Toolchains& t) {
  if (s.cpu != t.cpu || s.os != t.os)
    return fmt::format("the reference builds it on {}-{}; this machine is {}-{}", s.cpu, s.os,
                       t.cpu, t.os);
  std::vector<const TorchInstall*> torches;
  for (const auto& ti : t.torches)
    if (ti.version.truncated() == s.torch.truncated()) torches.push_back(&ti);
  if (torches.empty()) return fmt::format("no Torch {} found", s.torch.major_minor());
  const std::string compute = s.compute ? s.compute->major_minor() : "";
  switch (s.backend) {
    case Backend::cpu: return "";
    case Backend::cuda: {
      const bool toolkit = std::any_of(t.cuda.begin(), t.cuda.end(), [&](const CudaToolkit& c) {
        return c.version.truncated() == s.compute->truncated();
      });
      if (!toolkit) return fmt::format("no CUDA {} toolkit", compute);
      const bool torch = std::any_of(torches.begin(), torches.end(), [&](const TorchInstall* ti) {
        return ti->cuda && ti->cuda->major() == s.compute->major();
      });
      if (!torch)
        return fmt::format("no Torch {} built for CUDA {}.x", s.torch.major_minor(),
                           s.compute->major());
      return "";
    }
    case Backend::rocm: {
      const bool toolkit = std::any_of(t.rocm.begin(), t.rocm.end(), [&](const RocmToolkit& r) {
        return r.version.truncated() == s.compute->truncated();
      });
      if (!toolkit) return fmt::format("no ROCm {} toolkit", compute);
      const bool torch = std::any_of(torches.begin(), torches.end(),
                                     [](const TorchInstall* ti) { return ti->hip.has_value(); });
      if (!torch) return fmt::format("no ROCm build of Torch {}", s.torch.major_minor());
      return "";
    }
    default: return fmt::format("kb's native backend builds no {} variants", to_string(s.backend));
  }
}

}  // namespace

std::vector<UnproducibleSet> unproducible_sets(const std::vector<ReferenceBuildSet>& sets,
                                               const Toolchains& toolchains) {
  std::vector<UnproducibleSet> out;
  for (const auto& s : sets)
    if (std::string why = why_not(s, toolchains); !why.empty())
      out.push_back({variant_name(s), why});
  return out;
}

}  // namespace kb
