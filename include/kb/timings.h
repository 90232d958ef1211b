#pragma once
// Where a build's time went (docs/timings.md): the jobs ninja ran in one build, read from
// .ninja_log and named from the plan, the critical path through them, the ideal bound, and
// the reports made from that (JSON, a self-contained HTML page, a Chrome trace). Pure: texts
// and the plan in, values and texts out; the pipeline reads and writes the files.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kb/build_plan.h"

namespace kb {

// One line of a .ninja_log: a job's start and end (ms since its ninja run started) and the
// output it made.
struct NinjaLogEntry {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string output;  // as ninja wrote it (relative to the ninja dir, or absolute)
  bool operator==(const NinjaLogEntry&) const = default;
};

// Every entry of a .ninja_log text (format v5 or later: "start\tend\tmtime\toutput\thash"
// lines after a "# ninja log vN" header), in file order. Returns nothing for an unknown
// format; skips malformed lines.
std::vector<NinjaLogEntry> parse_ninja_log_entries(std::string_view text);

// The entries of `after` (the log once ninja ran) that are not lines of `before` (the log
// before it ran): the jobs of this run. Comparing whole lines, not positions, stays right
// when ninja recompacted the log (rewrote its old lines) at start.
std::vector<NinjaLogEntry> new_log_entries(std::string_view before, std::string_view after);

// What a job was, from the plan.
enum class JobKind { compile, link, bundle, hipify, other };

// "compile", "link", "bundle", "hipify" or "other".
std::string_view to_string(JobKind kind);

// One job of the build, placed on the time axis.
struct TimedJob {
  JobKind kind = JobKind::other;
  std::string variant;    // "" for a job of no variant (the regeneration of build.ninja)
  std::string name;       // compile, hipify: the source relative to the kernel dir (a generated
                          // one: to the variant's work dir, "gen/ops_id.c"); link: the
                          // .so file name; bundle: "bundle"; other: the output
  std::string output;     // as in .ninja_log
  std::string tool;       // compile: "nvcc", "hip" or "cxx"; else ""
  int device_passes = 0;  // nvcc/hip compile: the archs it compiles device code for
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  bool critical = false;      // on the critical path
  std::vector<size_t> after;  // indices of the jobs of this build it had to wait for
  int64_t duration_ms() const { return end_ms - start_ms; }
};

// One step of a job-count curve: from `t_ms` on, `running` jobs ran (`nvcc` of them nvcc).
struct ConcurrencyStep {
  int64_t t_ms = 0;
  int running = 0;
  int nvcc = 0;
};

// One build's timings.
struct Timings {
  std::string kernel;                 // the kernel's name
  std::vector<TimedJob> jobs;         // sorted by start, then output
  int slots = 1;                      // ninja -j
  int64_t wall_ms = 0;                // ninja's wall time (else the last job's end)
  int64_t sum_ms = 0;                 // Σ job durations
  int64_t longest_ms = 0;             // the longest single job
  int64_t chain_ms = 0;               // the critical path's length
  int64_t bound_ms = 0;               // max(chain_ms, sum_ms / slots): no schedule beats it
  std::vector<size_t> critical_path;  // job indices, first to last
  std::vector<ConcurrencyStep> concurrency;
  int nvcc_pool_depth = 0;         // nvcc jobs the pool lets run at once
  int64_t nvcc_bytes_per_job = 0;  // the memory the plan reserves per nvcc job
};

// Where and how the build ran.
struct TimingsContext {
  std::string kernel;      // the kernel's name
  std::string kernel_dir;  // absolute; sources are named relative to it
  std::string ninja_dir;   // absolute; where ninja ran (relative log paths are below it)
  int slots = 1;           // ninja -j
  int64_t wall_ms = 0;     // ninja's wall time; 0 or less: the last job's end
};

// The timings of the jobs `entries` (one build's, new_log_entries) of `plan`. Each
// output is named from the plan (an output the plan does not know is an `other` job), the
// dependencies come from the plan (hipify -> the variant's compiles -> its link -> its
// bundle), and the critical path is the longest chain of dependent jobs by duration. The
// latest entry of an output wins. Never fails.
Timings make_timings(const BuildPlan& plan, const TimingsContext& context,
                     const std::vector<NinjaLogEntry>& entries);

// The job that took longest (the first of equals), or null when no job ran.
const TimedJob* slowest_job(const Timings& timings);

// Each variant's Σ job time in ms, by variant name ("" for jobs of no variant).
std::map<std::string, int64_t> variant_totals(const Timings& timings);

// The line the end of a build prints: "built in 12.3 s (bound 11.9 s); slowest:
// relu_cuda/relu.cu for <variant> 6.1 s", or "up to date: no job ran" when no job ran.
std::string timings_summary_line(const Timings& timings);

// The JSON report (docs/schema/timings.schema.json).
std::string render_timings_json(const Timings& timings);

// The HTML report: one self-contained page (inline SVG and CSS, no script, nothing
// fetched): the wall time beside the bound, every job as a bar grouped by variant with the
// critical path marked, the concurrency and the nvcc pool's reserved memory over time, the
// slowest TUs and each variant's total.
std::string render_timings_html(const Timings& timings);

// A Chrome trace (the JSON "traceEvents" format Perfetto and chrome://tracing open): one
// complete event per job, a process per variant.
std::string render_timings_trace(const Timings& timings);

// The time a build of the jobs named in `outputs` should take, from `history` (output ->
// ms, parse_ninja_log): max(Σ / slots, the longest), or -1 when some output has no history.
int64_t estimate_build_ms(const std::vector<std::string>& outputs,
                          const std::map<std::string, int64_t>& history, int slots);

}  // namespace kb
