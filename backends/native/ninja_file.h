#pragma once
// BuildPlan -> Ninja text. Pure: the plan, the options and the durations of an earlier
// build (parsed from .ninja_log by the caller) in; file texts out.
//
// Layout, below <build_dir>/.kb/ (ninja runs there):
//   build.ninja           rules, `pool nvcc`, the regeneration edge, one `subninja` per
//                         variant, then every variant's compile edges in ONE longest-first
//                         order, the `all` target and `default all`.
//   <variant>/variant.ninja   that variant's hipify (ROCm), link, bundle and phony
//                             `<variant>` edges.
// Compile edges sit in build.ninja, not in the variant files, because ninja 1.11 starts ready
// edges in the order the manifest declares them: one interleaved list lets the longest
// compile of every variant start first.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/build_plan.h"

namespace kb::native {

struct NinjaOptions {
  std::string build_dir{};   // absolute; bundles go to build_dir/<variant>
  std::string kernel_dir{};  // absolute; the directory holding build.toml
  std::string kb_path{};     // absolute path of the kb binary
  std::string build_toml{};  // absolute path of build.toml
  // More files whose change should rerun kb before building (Python files, the kb binary).
  std::vector<std::string> regen_inputs{};
  // Extra arguments the regeneration reruns `kb build` with (--variant, --torch ...), so it
  // plans what the original command planned.
  std::vector<std::string> regen_args{};
  std::optional<std::string> launcher{};  // e.g. "ccache", prepended to compile commands
  // Without a launcher: nvcc compiles run as `kb internal-nvcc -- NVCC ...`, their host and
  // device steps overlapped (kb/nvcc_overlap.h). false runs nvcc as it is.
  bool overlap_nvcc = false;
  // Wall time of earlier runs by output path (parse_ninja_log), used to order compiles.
  std::map<std::string, int64_t> durations_ms{};
};

struct NinjaFile {
  std::string path;  // absolute
  std::string text;
};

struct NinjaFiles {
  NinjaFile top;                    // <build_dir>/.kb/build.ninja
  std::vector<NinjaFile> variants;  // <work_dir>/variant.ninja, in plan order
};

// <build_dir>/.kb: where build.ninja lives and ninja runs.
std::string ninja_dir(std::string_view build_dir);

// <work_dir>/variant.ninja.
std::string variant_ninja_path(const VariantBuild& variant);

// Renders the top-level build.ninja and every variant.ninja. The top-level text records a
// digest of each variant file, so any change to a variant file also changes build.ninja
// (ninja reloads its manifest only when build.ninja itself changed). Fails, naming the
// value, when the plan holds text Ninja cannot express (a newline in a flag or path, a '|'
// in a path): such a file would run other commands than the plan's.
Result<NinjaFiles> render_ninja(const BuildPlan& plan, const NinjaOptions& options);

// The argv of a compile as build.ninja runs it: the launcher (when set), then the plan's argv;
// without a launcher and with `overlap_nvcc`, an nvcc compile goes through
// `KB_PATH internal-nvcc -- ARGV`.
std::vector<std::string> compile_command(const CompileStep& step, const NinjaOptions& options);

// `<kb> internal-bundle <manifest>`.
std::vector<std::string> bundle_command(const std::string& kb_path, const std::string& manifest);

// `<kb> build <kernel_dir> --out <build_dir> --generate-only <regen_args...>`.
std::vector<std::string> regen_command(const NinjaOptions& options);

// Output path -> duration in ms, from the text of a .ninja_log (format v5 or later:
// "start\tend\tmtime\toutput\thash" lines after a "# ninja log vN" header). The last line of
// an output wins, as in ninja. Returns an empty map for an unknown format; skips bad lines.
std::map<std::string, int64_t> parse_ninja_log(std::string_view text);

// A guess, in ms, of how long a compile takes when no earlier build measured it, from what
// the TU includes of Torch (step.torch_includes: none, the stable ABI's headers, or all) and,
// for nvcc/hip, its rounds of device passes (one per arch, `nvcc_threads` at a time). A .cu
// that includes Torch costs most, then a host TU with Torch (a typical binding), then a
// Torch-free .cu, a stable-ABI host TU, a Torch-free host TU. Only the order matters.
int64_t estimate_cost_ms(const CompileStep& step, int nvcc_threads);

// One compile's place in the schedule.
struct ScheduledCompile {
  size_t variant = 0;  // index into plan.variants
  size_t compile = 0;  // index into that variant's compiles
  int64_t cost_ms = 0;
  bool measured = false;  // cost from .ninja_log (this object, or the same source elsewhere)
};

// Every compile of every variant, longest first. The cost is the object's own earlier
// duration; else the longest earlier duration of the same source in another variant; else
// estimate_cost_ms. Costs within 25% of each other count as ties (so run-to-run noise does
// not reorder build.ninja), and ties keep the plan's order, interleaving variants
// (a1 b1 a2 b2 ...).
std::vector<ScheduledCompile> schedule_compiles(const BuildPlan& plan,
                                                const std::map<std::string, int64_t>& durations);

}  // namespace kb::native
