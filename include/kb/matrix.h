#pragma once
// The variant matrix: Config x Toolchains -> variants to build, and every rejected
// combination with its reason. Pure: no disk, no environment, no processes.

#include <optional>
#include <string>
#include <vector>

#include "kb/arch_select.h"
#include "kb/config.h"
#include "kb/error.h"
#include "kb/toolchain.h"
#include "kb/variant.h"

namespace kb {

// The archs one [kernel.*] section builds for in one variant.
struct SectionArchs {
  std::string section;             // kernel section name
  std::vector<std::string> archs;  // "8.0", "9.0a", "12.1+PTX" (natural order) or "gfx90a"
  std::vector<std::string> notes;  // capabilities dropped, each with why
  KernelSection kernel{};  // the section itself, as build.toml gives it (the planner's input)
};

// One buildable variant.
struct Variant {
  VariantName id;
  std::string name;  // id.format()
  Backend backend = Backend::cpu;
  bool noarch = false;                        // torch-<backend>: Python files only
  std::optional<Version> stable_abi;          // set for torch-stable-abi variants
  std::optional<size_t> torch;                // index into Toolchains::torches (none for noarch)
  std::optional<size_t> cuda;                 // index into Toolchains::cuda
  std::optional<size_t> rocm;                 // index into Toolchains::rocm
  std::vector<SectionArchs> sections;         // active kernel sections of this backend
  std::vector<std::string> skipped_sections;  // "name: reason" (e.g. cuda-minver not met)
  // Sorted (lexicographic, as the reference writes metadata) union of all section archs.
  std::vector<std::string> metadata_archs() const;
};

// A combination that does not build, and why.
struct RejectedVariant {
  std::string name;  // variant name when one can be formed, else a description
  std::string reason;
  // The `depends` names it lacks when that is why (kb/deps.h); empty otherwise.
  std::vector<std::string> missing_dependencies = {};
};

struct Matrix {
  std::vector<Variant> variants;  // sorted by name, unique names
  std::vector<RejectedVariant> rejected;
};

// Computes the matrix. Fails (with the kernel section's location) when a CUDA/ROCm
// section's archs intersect to nothing with a toolkit it would build for; capabilities that
// match no target are dropped with a note in SectionArchs::notes (parse_config has already
// rejected malformed ones). `archs` narrows what each section builds (kb/arch_select.h:
// --cuda-archs native|all|LIST); the default builds all, as the reference's release build.
Result<Matrix> make_matrix(const Config& config, const Toolchains& toolchains,
                           const ArchSelections& archs = {});

}  // namespace kb
