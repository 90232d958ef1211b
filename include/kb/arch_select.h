#pragma once
// Which GPU targets a local build compiles for: `--cuda-archs` / `--rocm-archs`
// (native | all | LIST, or KB_CUDA_ARCHS / KB_ROCM_ARCHS), the GPUs found on this machine,
// and how that choice meets each kernel section's own list. Pure: the GPUs come in as
// values (toolchains/gpu.h finds them). docs/arch-selection.md gives the rules.

#include <optional>
#include <string>
#include <vector>

#include "kb/arch.h"
#include "kb/error.h"
#include "kb/version.h"

namespace kb {

// What the user asked for.
struct ArchChoice {
  enum class Kind { native, all, list };
  // Where the choice came from: the option, the environment variable, or neither (the
  // default, native).
  enum class Source { default_choice, option, environment };
  Kind kind = Kind::native;
  Source source = Source::default_choice;
  // kind == list: the entries, in the order given, each once ("8.0", "9.0a", "gfx942").
  std::vector<std::string> list;
};

// The choice for CUDA from `option` (the value of --cuda-archs; empty when not given) and
// `env` (KB_CUDA_ARCHS; nullopt or empty when unset): the option wins, then the variable,
// else native. LIST is capabilities as in `cuda-capabilities` ("8.0", "9.0a", "10.0f",
// "9.0+PTX") separated by ';', ',' or spaces. Fails with one error per bad entry, naming
// the option or variable and the entry's position, when an entry is no capability or is
// older than anything a supported CUDA builds ("5.0"), or when the LIST is empty.
Result<ArchChoice> choose_cuda_archs(const std::string& option,
                                     const std::optional<std::string>& env);

// The same for ROCm (--rocm-archs, KB_ROCM_ARCHS): LIST is gfx targets ("gfx90a;gfx942").
// Fails on an entry that is no gfx name ("gfx" and hex digits).
Result<ArchChoice> choose_rocm_archs(const std::string& option,
                                     const std::optional<std::string>& env);

// A choice met with the machine: what a build targets.
struct ArchSelection {
  // gpus: this machine's GPUs (native with a GPU); all: every supported target (all, or
  // native without a usable GPU); list: the user's LIST.
  enum class Kind { gpus, all, list };
  Kind kind = Kind::all;
  ArchChoice choice;
  // kind == gpus: the GPUs' capabilities ("9.0") or gfx names, naturally ordered, each once;
  // kind == list: choice.list; kind == all: empty.
  std::vector<std::string> targets;
  // Why this selection, for the building line: "this machine's GPU", "no GPU visible",
  // "--cuda-archs=all", "KB_CUDA_ARCHS".
  std::string reason;
  // Said once above the build: a GPU that the toolkit cannot target exactly, several GPUs,
  // an unsupported ROCm GPU.
  std::vector<std::string> notes;
};

// The CUDA selection for `choice` given the capabilities of the visible GPUs
// (`gpu_caps`, "9.0", from detect_cuda_gpus) and the newest CUDA version the build uses
// (nullopt when unknown). native with no GPU selects all (reason "no GPU visible");
// a GPU newer than that CUDA's default list adds a note (sections then get the newest
// entry that runs on it, usually through PTX). Never fails.
ArchSelection resolve_cuda_archs(const ArchChoice& choice, const std::vector<std::string>& gpu_caps,
                                 const std::optional<Version>& cuda_version);

// The ROCm selection for `choice` given the visible GPUs' gfx names. native with no GPU, or
// with only GPUs outside the reference's ten targets, selects all, with a note naming the
// unsupported GPU. Never fails.
ArchSelection resolve_rocm_archs(const ArchChoice& choice, const std::vector<std::string>& gpu_gfx);

// The two selections one build uses. Default-constructed: build all (the reference's
// release build, and what the Nix backend always does).
struct ArchSelections {
  ArchSelection cuda;
  ArchSelection rocm;
  // What the GPU probes said when they found nothing usable ("nvidia-smi: not found").
  std::vector<std::string> probe_notes;
};

// The capabilities one CUDA kernel section builds with CUDA `cuda`, before the nvcc limit
// (limit_to_nvcc): `section_caps` is the section's cuda-capabilities (nullopt when absent).
// - all: the reference's rule (the default list, or the loose intersection).
// - gpus, section without caps: each GPU's capability when the default list has it, else
//   the newest default entry that runs on that GPU (with a note), as the reference's
//   local build does for the one GPU it asks Torch about.
// - list, section without caps: the loose intersection of the LIST with the default list.
// - gpus or list, section with caps: the loose intersection as the reference computes it,
//   narrowed to the entries that serve a selected target (per target the best one: exact
//   "a", then "f" family, then the newest plain of the same major, then PTX); when no
//   entry serves any target, the full intersection is kept and a note says so.
// Notes say what was dropped or substituted. An empty result is for the caller to report
// (as make_matrix does today).
ArchIntersection cuda_section_archs(const std::optional<std::vector<std::string>>& section_caps,
                                    const ArchSelection& selection, const Version& cuda);

// The targets one ROCm kernel section builds: rocm_intersection (reference list, the
// section's rocm-archs when given, the compiler's targets), then for gpus/list narrowed by
// exact match to the selected targets; when none matches, the full intersection is kept
// with a note.
ArchIntersection rocm_section_archs(const std::optional<std::vector<std::string>>& section_archs,
                                    const ArchSelection& selection,
                                    const std::vector<std::string>& compiler_targets);

// The building line's text, e.g.
// "archs: 9.0 (this machine's GPU; --cuda-archs=all for the full list)",
// "archs: all supported (no GPU visible; --cuda-archs=LIST to choose)",
// "archs: 8.0;9.0a (--cuda-archs)". `option` names the option ("--cuda-archs").
std::string describe_arch_selection(const ArchSelection& selection, const std::string& option);

// Whether a bundle whose metadata backend.archs is `bundle_archs` has code that runs on a
// GPU of capability `gpu_cap` ("9.0"): an "X.Ya" entry runs only on X.Y; a plain or "f"
// entry on the same major and a minor not below its own; an "X.Y+PTX" entry (plain) also on
// any newer GPU. An empty list (a noarch bundle, or archs unknown) runs everywhere; a
// malformed gpu_cap runs nothing.
bool cuda_bundle_runs_on(const std::string& gpu_cap, const std::vector<std::string>& bundle_archs);

// For kb test: nullopt when the bundle runs on the GPU, else the sentence to print:
// "torch212-cxx11-cu130-x86_64-linux has no code for this GPU (9.0): built for 8.0;8.6
// (rebuild with --cuda-archs=native or include 9.0)".
std::optional<std::string> cuda_bundle_mismatch(const std::string& variant,
                                                const std::string& gpu_cap,
                                                const std::vector<std::string>& bundle_archs);

// The ROCm rule: the bundle has code for `gpu_gfx` ("gfx942"; a ":xnack-" feature suffix is
// ignored) when its list names it exactly, or when the list is empty.
bool rocm_bundle_runs_on(const std::string& gpu_gfx, const std::vector<std::string>& bundle_archs);

}  // namespace kb
