#pragma once
// CUDA capability and ROCm target tables and the reference's intersection rules.

#include <optional>
#include <string>
#include <vector>

#include "kb/error.h"
#include "kb/version.h"

namespace kb {

// The reference default capability list for a CUDA toolkit version, with "+PTX" markers:
// < 12.8, 12.8, 12.9 (adds 10.3 and 12.1) and >= 13.0 ("7.5", ..., "10.3", ..., "12.1+PTX").
std::vector<std::string> default_cuda_archs(const Version& cuda);

// Every target of every default list above ("7.0" ... "12.1", no "+PTX"), naturally ordered:
// what a capability must be able to serve in some CUDA version to ever be built.
std::vector<std::string> all_default_cuda_targets();

// Natural order of capability strings ("7.5" < "8.0" < "9.0" < "9.0a" < "10.0" < "12.1+PTX").
bool natural_arch_less(const std::string& a, const std::string& b);

// A capability string taken apart: "9.0a+PTX" -> {9, 0, 'a', true}.
struct CudaCapability {
  int major = 0;
  int minor = 0;
  char suffix = 0;  // 0, 'a' (arch-specific) or 'f' (family)
  bool ptx = false;
};

// `cap` taken apart; nullopt when it is not well-formed (see is_valid_cuda_capability).
std::optional<CudaCapability> parse_cuda_capability(const std::string& cap);

// Whether `cap` is a well-formed capability, `X.Y[a|f][+PTX]` with a one-digit minor (the
// flattened code "sm_90" cannot tell a two-digit one apart): "8.0", "9.0a", "10.0f",
// "9.0+PTX", and also "11.8" or "99.9", which the reference accepts as well.
bool is_valid_cuda_capability(const std::string& cap);

// Whether the well-formed `cap` serves a target of some default list on its own (the loose
// intersection of {cap} with all_default_cuda_targets() is not empty). "11.8" (no 11.x
// target at or above it), "5.0" or "99.9" never do: they contribute nothing to any build.
bool cuda_capability_can_match(const std::string& cap);

// Result of intersecting a kernel's list with the supported set.
// A target dropped because the compiler cannot build it (ROCm: not in the toolkit's device
// library), as data: `note` indexes the ArchIntersection's notes, so a caller that knows the
// compiler can say more there without reading the note's words.
struct CompilerDrop {
  std::string arch;  // "gfx942"
  size_t note = 0;   // index into ArchIntersection::notes
  bool operator==(const CompilerDrop&) const = default;
};

struct ArchIntersection {
  std::vector<std::string> archs;                 // natural order, "+PTX" re-applied
  std::vector<std::string> notes;                 // what was dropped and why, for people
  std::vector<CompilerDrop> compiler_drops = {};  // which notes are compiler drops
};

// The reference's "loose intersection" of a kernel's cuda-capabilities with `supported`
// (the default list of the toolkit, "+PTX" stripped). Never fails; an empty result is
// reported by the caller.
ArchIntersection cuda_loose_intersection(const std::vector<std::string>& requested,
                                         const std::vector<std::string>& supported);

// Drops capabilities the found nvcc cannot build (`gpu_codes` from --list-gpu-code,
// e.g. "sm_90"), and "a"/"f" forms below 9.0/10.0, which no nvcc has; records each drop in
// notes.
// An empty `gpu_codes` (list unknown) keeps everything.
ArchIntersection limit_to_nvcc(const ArchIntersection& in,
                               const std::vector<std::string>& gpu_codes);
// The same, naming the nvcc version in the notes:
// "7.0: not supported by nvcc 13.0 (supports sm_75..sm_121)".
ArchIntersection limit_to_nvcc(const ArchIntersection& in,
                               const std::vector<std::string>& gpu_codes,
                               const std::optional<Version>& nvcc_version);

// nvcc arguments for one list: "-gencode", "arch=compute_90a,code=sm_90a", ... and the PTX
// pair for "+PTX" entries, in list order, each pair once ("9.0" and "9.0+PTX", as two
// sections sharing a source give them, make sm_90 once and compute_90).
std::vector<std::string> gencode_flags(const std::vector<std::string>& archs);

// The reference's ten supported ROCm targets.
const std::vector<std::string>& reference_rocm_archs();

// Exact-match intersection of `requested` (or all reference targets when empty) with the
// reference list and with what the compiler supports; notes say what was dropped and why.
ArchIntersection rocm_intersection(const std::vector<std::string>& requested, bool requested_given,
                                   const std::vector<std::string>& compiler_targets);

}  // namespace kb
