// The timings reports (kb/timings.h): JSON, the self-contained HTML page, the Chrome trace.
// Pure: a Timings value in, text out.
#include <algorithm>
#include <functional>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kb/timings.h"

namespace kb {

namespace {

using json = nlohmann::ordered_json;

double seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// The variants in order of their first job; "" (no variant) last.
std::vector<std::string> variant_order(const Timings& t) {
  std::vector<std::string> out;
  bool other = false;
  for (const auto& j : t.jobs) {
    if (j.variant.empty())
      other = true;
    else if (std::find(out.begin(), out.end(), j.variant) == out.end())
      out.push_back(j.variant);
  }
  if (other) out.push_back("");
  return out;
}

// Lanes for non-overlapping bars: each job gets the first lane free at its start.
std::vector<int> lanes_of(const Timings& t, const std::vector<size_t>& jobs) {
  std::vector<int64_t> free_at;
  std::vector<int> lane(jobs.size());
  for (size_t k = 0; k < jobs.size(); ++k) {
    const TimedJob& j = t.jobs[jobs[k]];
    size_t l = 0;
    while (l < free_at.size() && free_at[l] > j.start_ms) ++l;
    if (l == free_at.size()) free_at.push_back(0);
    free_at[l] = j.end_ms;
    lane[k] = static_cast<int>(l);
  }
  return lane;
}

std::string job_label(const TimedJob& j) {
  if (j.kind == JobKind::compile && j.device_passes > 0)
    return fmt::format("{} ({}, {} device pass{})", j.name, j.tool, j.device_passes,
                       j.device_passes == 1 ? "" : "es");
  if (j.kind == JobKind::compile) return fmt::format("{} ({})", j.name, j.tool);
  if (j.kind == JobKind::other) return j.name;
  return fmt::format("{} {}", to_string(j.kind), j.name == "bundle" ? "" : j.name);
}

const char* color_of(const TimedJob& j) {
  if (j.kind == JobKind::compile) return j.tool == "cxx" ? "#6a9fd4" : "#7fbf6a";
  if (j.kind == JobKind::link) return "#d9a54a";
  if (j.kind == JobKind::bundle) return "#a98bd1";
  if (j.kind == JobKind::hipify) return "#d47f9a";
  return "#aaaaaa";
}

constexpr int k_label_w = 360;
constexpr int k_plot_w = 900;
constexpr int k_row_h = 18;

std::string time_axis(int64_t span_ms, int x0, int y, int height) {
  std::string out;
  double span_s = std::max(seconds(span_ms), 0.001);
  double steps[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600};
  // The finest step that needs at most 10 ticks (the coarsest when none does).
  double step = steps[std::size(steps) - 1];
  for (double s : steps)
    if (span_s / s <= 10) {
      step = s;
      break;
    }
  for (double s = 0; s <= span_s + 1e-9; s += step) {
    int x = x0 + static_cast<int>(s / span_s * k_plot_w);
    out += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" class="grid"/>)"
                       R"(<text x="{0}" y="{3}" class="axis">{4:g} s</text>)",
                       x, y, y + height, y + height + 12, s);
  }
  return out;
}

std::string timeline_svg(const Timings& t) {
  int64_t span = std::max<int64_t>(
      std::max(t.wall_ms, t.concurrency.empty() ? 0 : t.concurrency.back().t_ms), 1);
  auto x_of = [&](int64_t ms) { return k_label_w + static_cast<double>(ms) / span * k_plot_w; };
  std::string rows;
  int y = 0;
  for (const auto& v : variant_order(t)) {
    rows += fmt::format(R"(<text x="0" y="{}" class="variant">{}</text>)", y + 13,
                        html_escape(v.empty() ? "(no variant)" : v));
    y += k_row_h;
    std::vector<size_t> jobs;
    for (size_t i = 0; i < t.jobs.size(); ++i)
      if (t.jobs[i].variant == v) jobs.push_back(i);
    for (size_t i : jobs) {
      const TimedJob& j = t.jobs[i];
      double x = x_of(j.start_ms);
      double w = std::max(x_of(j.end_ms) - x, 1.0);
      std::string label = job_label(j);
      rows += fmt::format(R"(<g class="job{}"><title>{} — {:.2f} s ({:.2f}–{:.2f} s){}</title>)"
                          R"(<text x="12" y="{}" class="job">{}</text>)"
                          R"(<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}"{}/></g>)",
                          j.critical ? " critical" : "", html_escape(label),
                          seconds(j.duration_ms()), seconds(j.start_ms), seconds(j.end_ms),
                          j.critical ? ", on the critical path" : "", y + 13, html_escape(label), x,
                          y + 2, w, k_row_h - 4, color_of(j),
                          j.critical ? R"( stroke="#d62728" stroke-width="2")" : "");
      y += k_row_h;
    }
  }
  int height = std::max(y, k_row_h);
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" class="timeline">{}{}</svg>)",
      k_label_w + k_plot_w + 20, height + 20, time_axis(span, k_label_w, 0, height), rows);
}

// A step curve of `value(step)` over time, scaled to `top`.
template <class F>
std::string step_path(const Timings& t, int64_t span, double top, int height, F value) {
  std::string d = fmt::format("M{} {}", k_label_w, height);
  double prev_y = height;
  for (const auto& s : t.concurrency) {
    double x = k_label_w + static_cast<double>(s.t_ms) / span * k_plot_w;
    double y = height - (top > 0 ? value(s) / top * (height - 4) : 0);
    d += fmt::format(" L{:.1f} {:.1f} L{:.1f} {:.1f}", x, prev_y, x, y);
    prev_y = y;
  }
  return d;
}

std::string curve_svg(const Timings& t, const std::string& title, double top,
                      const std::string& top_label,
                      const std::function<double(const ConcurrencyStep&)>& value, const char* color,
                      std::optional<double> limit, const std::string& limit_label) {
  constexpr int height = 120;
  int64_t span = std::max<int64_t>(
      std::max(t.wall_ms, t.concurrency.empty() ? 0 : t.concurrency.back().t_ms), 1);
  double scale = std::max(top, limit.value_or(0));
  std::string out =
      fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}">)",
                  k_label_w + k_plot_w + 20, height + 20);
  out += time_axis(span, k_label_w, 0, height);
  out += fmt::format(
      R"(<text x="0" y="14" class="variant">{}</text><text x="0" y="30" class="axis">max {}</text>)",
      html_escape(title), html_escape(top_label));
  out += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="2"/>)",
                     step_path(t, span, scale, height, value), color);
  if (limit && scale > 0) {
    double y = height - *limit / scale * (height - 4);
    out += fmt::format(
        R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="limit"/><text x="{}" y="{:.1f}" class="axis">{}</text>)",
        k_label_w, k_label_w + k_plot_w, y, y, k_label_w + 4, std::max(y - 3, 10.0),
        html_escape(limit_label));
  }
  return out + "</svg>";
}

constexpr const char* k_style = R"(body{font:14px sans-serif;margin:16px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}
.summary td{padding:2px 12px 2px 0}.big{font-size:18px;font-weight:bold}
table.list{border-collapse:collapse}table.list td,table.list th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
svg text{font:11px sans-serif}.variant{font-weight:bold}.axis{fill:#666}.grid{stroke:#eee}
.limit{stroke:#d62728;stroke-dasharray:4 3}.critical text{fill:#d62728;font-weight:bold}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
)";

// The page's head, title and summary table, and the paragraph that explains the bound.
std::string summary_html(const Timings& t) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += fmt::format("<title>kb timings: {}</title><style>{}</style></head><body>\n",
                   html_escape(t.kernel), k_style);
  h += fmt::format("<h1>kb build timings: {}</h1>\n", html_escape(t.kernel));
  const TimedJob* slow = slowest_job(t);
  h += fmt::format(
      "<table class=\"summary\"><tr><td>wall</td><td class=\"big\">{:.1f} s</td><td>ideal "
      "bound</td>"
      "<td class=\"big\">{:.1f} s</td><td>wall / bound</td><td class=\"big\">{}</td></tr>\n"
      "<tr><td>jobs</td><td>{}</td><td>Σ job time</td><td>{:.1f} "
      "s</td><td>-j</td><td>{}</td></tr>\n"
      "<tr><td>critical path</td><td>{:.1f} s</td><td>longest job</td><td>{:.1f} "
      "s</td><td>slowest</td><td>{}</td></tr></table>\n",
      seconds(t.wall_ms), seconds(t.bound_ms),
      t.bound_ms > 0 ? fmt::format("{:.2f}", double(t.wall_ms) / t.bound_ms) : "—", t.jobs.size(),
      seconds(t.sum_ms), t.slots, seconds(t.chain_ms), seconds(t.longest_ms),
      slow ? html_escape(job_label(*slow)) : "—");
  h += "<p>The bound is max(critical path, Σ job time / -j): no schedule of these jobs finishes "
       "sooner. "
       "The critical path is the longest chain of jobs that wait for each other (hipify → compile "
       "→ link → "
       "bundle), by this build's durations.</p>\n";
  return h;
}

// The jobs timeline: its heading, its colour legend and its SVG.
std::string jobs_html(const Timings& t) {
  std::string h =
      "<h2>Jobs</h2>\n<p class=\"legend\">"
      "<span><i style=\"background:#6a9fd4\"></i>host compile</span>"
      "<span><i style=\"background:#7fbf6a\"></i>device compile</span>"
      "<span><i style=\"background:#d9a54a\"></i>link</span>"
      "<span><i style=\"background:#a98bd1\"></i>bundle</span>"
      "<span><i style=\"background:#d47f9a\"></i>hipify</span>"
      "<span><i style=\"border:2px solid #d62728\"></i>critical path</span></p>\n";
  h += timeline_svg(t) + "\n";
  return h;
}

// The jobs-running curve against -j, and the nvcc pool's memory curve when an nvcc job ran.
std::string concurrency_html(const Timings& t) {
  std::string h;
  int top = 0, nvcc_top = 0;
  for (const auto& s : t.concurrency) {
    top = std::max(top, s.running);
    nvcc_top = std::max(nvcc_top, s.nvcc);
  }
  h += "<h2>Concurrency</h2>\n";
  h += curve_svg(
           t, "jobs running", top, fmt::format("{} jobs", top),
           [](const ConcurrencyStep& s) { return double(s.running); }, "#1f77b4", double(t.slots),
           fmt::format("-j {}", t.slots)) +
       "\n";
  if (nvcc_top > 0) {
    double gib = double(1LL << 30);
    double per = t.nvcc_bytes_per_job / gib;
    h += "<h2>nvcc pool: reserved memory</h2>\n<p>Each running nvcc job reserves the plan's "
         "per-job budget "
         "(--threads × 2.5 GiB); the pool lets " +
         std::to_string(t.nvcc_pool_depth) + " run at once.</p>\n";
    h += curve_svg(
             t, "nvcc reserved", nvcc_top * per, fmt::format("{:.1f} GiB", nvcc_top * per),
             [per](const ConcurrencyStep& s) { return s.nvcc * per; }, "#2ca02c",
             t.nvcc_pool_depth * per, fmt::format("pool {:.1f} GiB", t.nvcc_pool_depth * per)) +
         "\n";
  }
  return h;
}

// The critical path as an ordered list, each job with its variant and duration.
std::string critical_path_html(const Timings& t) {
  std::string h = "<h2>Critical path</h2>\n<ol class=\"critical-path\">";
  for (size_t i : t.critical_path) {
    const TimedJob& j = t.jobs[i];
    h += fmt::format("<li>{} — {} ({:.2f} s)</li>", html_escape(job_label(j)),
                     html_escape(j.variant.empty() ? "(no variant)" : j.variant),
                     seconds(j.duration_ms()));
  }
  return h + "</ol>\n";
}

// The compile jobs, slowest first (ties in start order), as a table.
std::string slowest_tus_html(const Timings& t) {
  std::string h =
      "<h2>Slowest TUs</h2>\n<table "
      "class=\"list\"><tr><th>TU</th><th>variant</th><th>tool</th><th>s</th></tr>";
  std::vector<const TimedJob*> compiles;
  for (const auto& j : t.jobs)
    if (j.kind == JobKind::compile) compiles.push_back(&j);
  std::stable_sort(compiles.begin(), compiles.end(), [](const TimedJob* a, const TimedJob* b) {
    return a->duration_ms() > b->duration_ms();
  });
  for (const TimedJob* j : compiles)
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.2f}</td></tr>",
                     html_escape(j->name), html_escape(j->variant), j->tool,
                     seconds(j->duration_ms()));
  return h + "</table>\n";
}

// Each variant's Σ job time, as a table.
std::string variants_html(const Timings& t) {
  std::string h =
      "<h2>Variants</h2>\n<table class=\"list\"><tr><th>variant</th><th>Σ job time "
      "s</th></tr>";
  for (const auto& [v, ms] : variant_totals(t))
    h += fmt::format("<tr><td>{}</td><td class=\"n\">{:.2f}</td></tr>",
                     html_escape(v.empty() ? "(no variant)" : v), seconds(ms));
  return h + "</table>\n";
}

}  // namespace

std::string render_timings_json(const Timings& t) {
  json j;
  j["schema"] = "kb-timings/1";
  j["kernel"] = t.kernel;
  j["wall_s"] = seconds(t.wall_ms);
  j["bound_s"] = seconds(t.bound_ms);
  j["sum_s"] = seconds(t.sum_ms);
  j["longest_s"] = seconds(t.longest_ms);
  j["critical_path_s"] = seconds(t.chain_ms);
  j["slots"] = t.slots;
  j["nvcc_pool"] = {{"depth", t.nvcc_pool_depth}, {"bytes_per_job", t.nvcc_bytes_per_job}};
  json jobs = json::array();
  for (const auto& job : t.jobs) {
    json o;
    o["kind"] = std::string(to_string(job.kind));
    o["variant"] = job.variant;
    o["name"] = job.name;
    o["output"] = job.output;
    if (job.kind == JobKind::compile) {
      o["tool"] = job.tool;
      o["device_passes"] = job.device_passes;
    }
    o["start_s"] = seconds(job.start_ms);
    o["end_s"] = seconds(job.end_ms);
    o["duration_s"] = seconds(job.duration_ms());
    o["critical"] = job.critical;
    o["after"] = job.after;
    jobs.push_back(std::move(o));
  }
  j["jobs"] = std::move(jobs);
  j["critical_path"] = t.critical_path;
  json conc = json::array();
  for (const auto& s : t.concurrency)
    conc.push_back({{"t_s", seconds(s.t_ms)},
                    {"running", s.running},
                    {"nvcc", s.nvcc},
                    {"nvcc_reserved_bytes", s.nvcc * t.nvcc_bytes_per_job}});
  j["concurrency"] = std::move(conc);
  json totals = json::object();
  for (const auto& [v, ms] : variant_totals(t)) totals[v] = seconds(ms);
  j["variant_totals_s"] = std::move(totals);
  return j.dump(2) + "\n";
}

std::string render_timings_html(const Timings& t) {
  std::string h = summary_html(t);
  if (t.jobs.empty()) {
    h += "<p>No job ran: everything was up to date.</p></body></html>\n";
    return h;
  }
  h += jobs_html(t);
  h += concurrency_html(t);
  h += critical_path_html(t);
  h += slowest_tus_html(t);
  h += variants_html(t);
  h += "</body></html>\n";
  return h;
}

std::string render_timings_trace(const Timings& t) {
  json events = json::array();
  auto variants = variant_order(t);
  for (size_t p = 0; p < variants.size(); ++p) {
    int pid = static_cast<int>(p) + 1;
    events.push_back({{"name", "process_name"},
                      {"ph", "M"},
                      {"pid", pid},
                      {"args", {{"name", variants[p].empty() ? "(no variant)" : variants[p]}}}});
    std::vector<size_t> jobs;
    for (size_t i = 0; i < t.jobs.size(); ++i)
      if (t.jobs[i].variant == variants[p]) jobs.push_back(i);
    auto lanes = lanes_of(t, jobs);
    for (size_t k = 0; k < jobs.size(); ++k) {
      const TimedJob& j = t.jobs[jobs[k]];
      events.push_back({{"name", job_label(j)},
                        {"cat", std::string(to_string(j.kind)) + (j.critical ? ",critical" : "")},
                        {"ph", "X"},
                        {"ts", j.start_ms * 1000},
                        {"dur", j.duration_ms() * 1000},
                        {"pid", pid},
                        {"tid", lanes[k] + 1},
                        {"args", {{"output", j.output}, {"critical", j.critical}}}});
    }
  }
  json out;
  out["traceEvents"] = std::move(events);
  out["displayTimeUnit"] = "ms";
  return out.dump() + "\n";
}

}  // namespace kb
