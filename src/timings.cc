// The timings model (kb/timings.h): .ninja_log entries -> jobs named from the plan, the
// critical path, the bound. The renderers are in src/timings_render.cc.
#include "kb/timings.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "kb/path.h"

namespace kb {

namespace {

bool log_format_known(std::string_view text) {
  constexpr std::string_view header = "# ninja log v";
  if (text.substr(0, header.size()) != header) return false;
  int version = 0;
  auto rest = text.substr(header.size());
  std::from_chars(rest.data(), rest.data() + rest.size(), version);
  return version >= 5;
}

std::optional<NinjaLogEntry> parse_line(std::string_view line) {
  if (line.empty() || line[0] == '#') return std::nullopt;
  std::vector<std::string_view> f;
  size_t pos = 0;
  while (true) {
    size_t tab = line.find('\t', pos);
    f.push_back(
        line.substr(pos, tab == std::string_view::npos ? std::string_view::npos : tab - pos));
    if (tab == std::string_view::npos) break;
    pos = tab + 1;
  }
  if (f.size() < 4 || f[3].empty()) return std::nullopt;
  NinjaLogEntry e;
  auto a = std::from_chars(f[0].data(), f[0].data() + f[0].size(), e.start_ms);
  auto b = std::from_chars(f[1].data(), f[1].data() + f[1].size(), e.end_ms);
  if (a.ec != std::errc() || b.ec != std::errc() || e.end_ms < e.start_ms || e.start_ms < 0)
    return std::nullopt;
  e.output = std::string(f[3]);
  return e;
}

std::string_view tool_name(CompileStep::Tool t) {
  switch (t) {
    case CompileStep::Tool::nvcc: return "nvcc";
    case CompileStep::Tool::hip: return "hip";
    case CompileStep::Tool::cxx: break;
  }
  return "cxx";
}

// The device passes of a compile, as the plan counted them (CompileStep::device_passes); 0
// for a host compile.
int device_passes_of(const CompileStep& step) {
  return step.tool == CompileStep::Tool::cxx ? 0 : step.device_passes;
}

// `path` relative to `dir` when below it, else `path`.
std::string relative_to(const std::string& path, const std::string& dir) {
  if (!dir.empty() && path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
      path[dir.size()] == '/')
    return path.substr(dir.size() + 1);
  return path;
}

// How a source is named: a generated one relative to the variant's work dir
// ("gen/ops_id.c"; the build dir may lie inside the kernel dir), else relative to the
// kernel dir.
std::string source_name(const std::string& source, const std::string& kernel_dir,
                        const std::string& work_dir) {
  std::string rel = relative_to(source, work_dir);
  return rel != source ? rel : relative_to(source, kernel_dir);
}

// What the plan says about each output: the job's identity and the outputs it waits for.
struct PlannedJob {
  JobKind kind = JobKind::other;
  std::string variant, name, tool;
  int device_passes = 0;
  std::vector<std::string> after;  // outputs
};

std::map<std::string, PlannedJob> planned_jobs(const BuildPlan& plan,
                                               const std::string& kernel_dir) {
  std::map<std::string, PlannedJob> out;
  for (const auto& vb : plan.variants) {
    const std::string& v = vb.variant.name;
    std::vector<std::string> hipified, objects;
    for (const auto& h : vb.hipify) {
      out[h.output] = {
          JobKind::hipify, v, source_name(h.source, kernel_dir, vb.work_dir), "", 0, {}};
      hipified.push_back(h.output);
    }
    for (const auto& c : vb.compiles) {
      out[c.object] = {JobKind::compile,
                       v,
                       source_name(c.source, kernel_dir, vb.work_dir),
                       std::string(tool_name(c.tool)),
                       device_passes_of(c),
                       hipified};
      objects.push_back(c.object);
    }
    std::vector<std::string> before_bundle = objects;
    if (vb.link) {
      std::string so = vb.link->output.substr(vb.link->output.rfind('/') + 1);
      out[vb.link->output] = {JobKind::link, v, so, "", 0, objects};
      before_bundle = {vb.link->output};
    }
    std::string stamp =
        vb.bundle_stamp.empty() ? join_path(vb.work_dir, "bundle.stamp") : vb.bundle_stamp;
    out[stamp] = {JobKind::bundle, v, "bundle", "", 0, before_bundle};
  }
  return out;
}

// The latest entry of each output, keyed by its path made absolute to match the plan's.
std::map<std::string, NinjaLogEntry> latest_entries(const std::vector<NinjaLogEntry>& entries,
                                                    const std::string& ninja_dir) {
  std::map<std::string, NinjaLogEntry> latest;
  for (const auto& e : entries) {
    NinjaLogEntry a = e;
    if (!a.output.empty() && a.output[0] != '/' && !ninja_dir.empty())
      a.output = join_path(ninja_dir, a.output);
    latest[a.output] = std::move(a);
  }
  return latest;
}

// The jobs of `latest` sorted by start then output, named from the plan, with their waits.
std::vector<TimedJob> timed_jobs(const std::map<std::string, NinjaLogEntry>& latest,
                                 const std::map<std::string, PlannedJob>& planned,
                                 const std::string& ninja_dir) {
  std::vector<std::pair<std::string, const NinjaLogEntry*>> ran;
  for (const auto& [out, e] : latest) ran.emplace_back(out, &e);
  std::sort(ran.begin(), ran.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second->start_ms, a.first) < std::tie(b.second->start_ms, b.first);
  });
  std::vector<TimedJob> jobs;
  std::map<std::string, size_t> index;
  for (const auto& [out, e] : ran) {
    TimedJob j;
    j.output = e->output;
    j.start_ms = e->start_ms;
    j.end_ms = e->end_ms;
    if (auto p = planned.find(out); p != planned.end()) {
      j.kind = p->second.kind;
      j.variant = p->second.variant;
      j.name = p->second.name;
      j.tool = p->second.tool;
      j.device_passes = p->second.device_passes;
    } else {
      j.name = relative_to(out, ninja_dir);
    }
    index[out] = jobs.size();
    jobs.push_back(std::move(j));
  }
  for (const auto& [out, i] : index)
    if (auto p = planned.find(out); p != planned.end())
      for (const auto& dep : p->second.after)
        if (auto d = index.find(dep); d != index.end()) jobs[i].after.push_back(d->second);
  return jobs;
}

// The longest chain of jobs that wait for each other: its length and its jobs, first to last.
struct Chain {
  int64_t ms = 0;
  std::vector<size_t> jobs;
};

// The longest chain of dependent `jobs` by duration (empty when there are no jobs).
Chain longest_chain(const std::vector<TimedJob>& jobs) {
  // Jobs are sorted by start, and a job starts after those it waits for, so one pass in that
  // order sees every predecessor's chain first.
  std::vector<int64_t> chain(jobs.size(), 0);
  std::vector<std::optional<size_t>> prev(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    int64_t best = 0;
    for (size_t d : jobs[i].after)
      if (d < i && chain[d] > best) {
        best = chain[d];
        prev[i] = d;
      }
    chain[i] = best + jobs[i].duration_ms();
  }
  std::optional<size_t> end;
  for (size_t i = 0; i < chain.size(); ++i)
    if (!end || chain[i] > chain[*end]) end = i;
  Chain out;
  if (!end) return out;
  out.ms = chain[*end];
  for (std::optional<size_t> k = end; k; k = prev[*k]) out.jobs.insert(out.jobs.begin(), *k);
  return out;
}

// The job-count curve of `jobs`, one step per distinct start or end time.
std::vector<ConcurrencyStep> concurrency_steps(const std::vector<TimedJob>& jobs) {
  // +1 at each start, -1 at each end (ends first at equal times).
  std::vector<std::tuple<int64_t, int, bool>> events;
  for (const auto& j : jobs) {
    bool nvcc = j.tool == "nvcc";
    events.emplace_back(j.start_ms, +1, nvcc);
    events.emplace_back(j.end_ms, -1, nvcc);
  }
  std::sort(events.begin(), events.end());
  std::vector<ConcurrencyStep> steps;
  ConcurrencyStep now;
  for (const auto& [at, delta, nvcc] : events) {
    now.running += delta;
    if (nvcc) now.nvcc += delta;
    now.t_ms = at;
    if (!steps.empty() && steps.back().t_ms == at)
      steps.back() = now;
    else
      steps.push_back(now);
  }
  return steps;
}

}  // namespace

std::vector<NinjaLogEntry> parse_ninja_log_entries(std::string_view text) {
  std::vector<NinjaLogEntry> out;
  if (!log_format_known(text)) return out;
  for (auto line : split_lines(text))
    if (auto e = parse_line(line)) out.push_back(std::move(*e));
  return out;
}

std::vector<NinjaLogEntry> new_log_entries(std::string_view before, std::string_view after) {
  std::vector<NinjaLogEntry> out;
  if (!log_format_known(after)) return out;
  std::set<std::string_view> old;
  if (log_format_known(before))
    for (auto line : split_lines(before)) old.insert(line);
  for (auto line : split_lines(after))
    if (!old.contains(line))
      if (auto e = parse_line(line)) out.push_back(std::move(*e));
  return out;
}

std::string_view to_string(JobKind kind) {
  switch (kind) {
    case JobKind::compile: return "compile";
    case JobKind::link: return "link";
    case JobKind::bundle: return "bundle";
    case JobKind::hipify: return "hipify";
    case JobKind::other: break;
  }
  return "other";
}

Timings make_timings(const BuildPlan& plan, const TimingsContext& context,
                     const std::vector<NinjaLogEntry>& entries) {
  Timings t;
  t.kernel = context.kernel;
  t.slots = std::max(context.slots, 1);
  t.nvcc_pool_depth = plan.nvcc_pool_depth;
  t.nvcc_bytes_per_job = k_nvcc_bytes_per_thread * std::max(plan.nvcc_threads_max, 1);

  t.jobs = timed_jobs(latest_entries(entries, context.ninja_dir),
                      planned_jobs(plan, context.kernel_dir), context.ninja_dir);
  int64_t last_end = 0;
  for (const TimedJob& j : t.jobs) {
    t.sum_ms += j.duration_ms();
    t.longest_ms = std::max(t.longest_ms, j.duration_ms());
    last_end = std::max(last_end, j.end_ms);
  }
  Chain chain = longest_chain(t.jobs);
  t.chain_ms = chain.ms;
  t.critical_path = std::move(chain.jobs);
  for (size_t k : t.critical_path) t.jobs[k].critical = true;
  t.bound_ms = std::max(t.chain_ms, (t.sum_ms + t.slots - 1) / t.slots);
  t.wall_ms = context.wall_ms > 0 ? context.wall_ms : last_end;
  t.concurrency = concurrency_steps(t.jobs);
  return t;
}

const TimedJob* slowest_job(const Timings& timings) {
  const TimedJob* best = nullptr;
  for (const auto& j : timings.jobs)
    if (!best || j.duration_ms() > best->duration_ms()) best = &j;
  return best;
}

std::map<std::string, int64_t> variant_totals(const Timings& timings) {
  std::map<std::string, int64_t> out;
  for (const auto& j : timings.jobs) out[j.variant] += j.duration_ms();
  return out;
}

std::string timings_summary_line(const Timings& timings) {
  const TimedJob* slow = slowest_job(timings);
  if (!slow) return "up to date: no job ran";
  std::string what =
      slow->variant.empty() ? slow->name : fmt::format("{} for {}", slow->name, slow->variant);
  if (slow->kind != JobKind::compile && slow->kind != JobKind::other)
    what = fmt::format("{} ({})", what, to_string(slow->kind));
  return fmt::format("built in {:.1f} s (bound {:.1f} s); slowest: {} {:.1f} s",
                     timings.wall_ms / 1000.0, timings.bound_ms / 1000.0, what,
                     slow->duration_ms() / 1000.0);
}

int64_t estimate_build_ms(const std::vector<std::string>& outputs,
                          const std::map<std::string, int64_t>& history, int slots) {
  if (outputs.empty()) return -1;
  int64_t sum = 0, longest = 0;
  for (const auto& o : outputs) {
    auto it = history.find(o);
    if (it == history.end()) return -1;
    sum += it->second;
    longest = std::max(longest, it->second);
  }
  return std::max(longest, sum / std::max(slots, 1));
}

}  // namespace kb
