#pragma once
// The reference builder's bundle build sets (Torch × backend × CUDA/ROCm/XPU × system), as
// data, and which of them this machine's toolchains cannot produce (`kb matrix --all`).

#include <optional>
#include <string>
#include <vector>

#include "kb/config.h"
#include "kb/toolchain.h"
#include "kb/version.h"

namespace kb {

// One build set of the reference's table.
struct ReferenceBuildSet {
  Version torch;                   // major.minor
  Backend backend = Backend::cpu;  // cpu, cuda, rocm, xpu or metal
  std::optional<Version> compute;  // CUDA, ROCm or XPU version; none for cpu/metal
  std::string cpu = "x86_64";
  std::string os = "linux";
};

// The reference's current bundle build sets, in its table's order (the source is named in
// src/reference_sets.cc, the one place this table lives).
const std::vector<ReferenceBuildSet>& reference_build_sets();

// A reference build set kb cannot build here, with why.
struct UnproducibleSet {
  std::string variant;  // the variant name the reference gives it
  std::string why;      // e.g. "no Torch 2.14 found", "no CUDA 12.6 toolkit"
};

// The build sets of `sets` that `toolchains` cannot produce, each with the first reason found:
// another system, no Torch of that version, no toolkit of that CUDA/ROCm version, no Torch of
// that version built for that CUDA major / for ROCm, or a backend kb builds no variants for.
// Pure.
std::vector<UnproducibleSet> unproducible_sets(const std::vector<ReferenceBuildSet>& sets,
                                               const Toolchains& toolchains);

}  // namespace kb
