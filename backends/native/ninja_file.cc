#include "backends/native/ninja_file.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "kb/ninja_writer.h"
#include "kb/path.h"
#include "kb/shell.h"

namespace kb::native {

namespace {

// Every edge carries its own command and description in these two variables, so a rule is
// only a kind (pool, depfile handling) and build.ninja shows each exact command.
constexpr const char* k_cmd = "$cmd";
constexpr const char* k_desc = "$desc";

const char* rule_of(CompileStep::Tool tool) {
  switch (tool) {
    case CompileStep::Tool::nvcc: return "nvcc";
    case CompileStep::Tool::hip: return "hip";
    case CompileStep::Tool::cxx: break;
  }
  return "cxx";
}

std::vector<std::pair<std::string, std::string>> edge_vars(const std::vector<std::string>& argv,
                                                           std::string_view description) {
  return {{"cmd", ninja_escape(shell_join(argv))}, {"desc", ninja_escape(description)}};
}

// FNV-1a: build.ninja only needs to change when a variant file changes, not resist attack.
std::string short_digest(std::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

// Durations compared in steps of 25%: timings wobble from run to run, and an order that
// followed every wobble would rewrite build.ninja after every build. Within a step the
// plan's order decides.
int cost_bucket(int64_t ms) {
  return ms <= 1 ? 0 : static_cast<int>(std::log(static_cast<double>(ms)) / std::log(1.25));
}

// ---- ROCm hipify (docs/rocm.md) ----
// `kb internal-hipify` rewrites its output only when the text changes, so the rule is
// restat: a new kb binary re-runs every hipify edge (each depends on kb), and only the
// sources whose translation changed are recompiled. The rule is written only for plans
// that hipify, so CUDA/CPU build files are unchanged.
bool plan_hipifies(const BuildPlan& plan) {
  return std::any_of(plan.variants.begin(), plan.variants.end(),
                     [](const VariantBuild& vb) { return !vb.hipify.empty(); });
}

void write_hipify_rule(NinjaWriter& w, const std::string& pool) {
  w.rule("hipify", {.command = k_cmd, .description = k_desc, .pool = pool, .restat = true});
}

void write_hipify_edges(NinjaWriter& w, const VariantBuild& vb, const NinjaOptions& options) {
  for (const auto& h : vb.hipify) {
    NinjaBuild edge{.outputs = {h.output}, .rule = "hipify", .inputs = {h.source}};
    if (!options.kb_path.empty()) edge.implicit = {options.kb_path};
    edge.variables = edge_vars(h.argv, h.description);
    w.build(edge);
  }
}
// ---- end ROCm hipify ----

// `pool`: the pool of the steps that run on this machine whoever compiles ("" for none).
void write_rules(NinjaWriter& w, const std::string& pool) {
  w.rule("cxx", {.command = k_cmd, .description = k_desc, .depfile = "$out.d", .deps = "gcc"});
  w.rule("nvcc", {.command = k_cmd,
                  .description = k_desc,
                  .depfile = "$out.d",
                  .deps = "gcc",
                  .pool = "nvcc"});
  // hipcc is as memory-hungry as nvcc, so it shares the pool.
  w.rule("hip", {.command = k_cmd,
                 .description = k_desc,
                 .depfile = "$out.d",
                 .deps = "gcc",
                 .pool = "nvcc"});
  w.rule("link", {.command = k_cmd, .description = k_desc, .pool = pool});
  w.rule("bundle", {.command = k_cmd, .description = k_desc, .pool = pool});
  // restat: kb writes build.ninja only when its text changes; ninja then records the edge
  // as clean instead of rerunning it forever.
  w.rule("regen", {.command = k_cmd,
                   .description = k_desc,
                   .pool = "console",
                   .generator = true,
                   .restat = true});
}

void write_compile(NinjaWriter& w, const CompileStep& step, const NinjaOptions& options) {
  NinjaBuild edge{.outputs = {step.object}, .rule = rule_of(step.tool), .inputs = {step.source}};
  edge.order_only = step.order_only;  // ROCm: hipified headers
  edge.variables = edge_vars(compile_command(step, options), step.description);
  if (!step.depfile.empty() && step.depfile != step.object + ".d") {
    edge.variables.emplace_back("depfile", ninja_escape(step.depfile));
  }
  w.build(edge);
}

// Everything `w` could not express, as one error about `file`; Ok when the text is faithful.
Result<Ok> faithful(const NinjaWriter& w, const std::string& file) {
  if (w.problems().empty()) return Ok{};
  std::string shown;  // the file's own name may hold the newline
  for (char c : file) {
    if (c == '\n')
      shown += "\\n";
    else if (c == '\r')
      shown += "\\r";
    else
      shown += c;
  }
  std::string message = "cannot write " + shown + ": Ninja cannot express " + w.problems().front();
  if (w.problems().size() > 1) message += fmt::format(" (and {} more)", w.problems().size() - 1);
  return Error{std::move(message),
               {},
               "a compiler flag, include directory, file name or path (--out, --torch, the "
               "kernel directory) holds a character that build.ninja cannot carry; remove it "
               "or rename the file"};
}

Result<std::string> render_variant(const VariantBuild& vb, const NinjaOptions& options) {
  NinjaWriter w;
  w.comment("Variant " + vb.variant.name + ". Generated by kb; do not edit.");
  if (!vb.compiles.empty()) {
    w.comment("Its compile edges are in ../build.ninja, in one longest-first order.");
  }
  if (!vb.hipify.empty()) {
    w.newline();
    w.comment("CUDA -> HIP translation of the ROCm sections' sources and headers.");
    write_hipify_edges(w, vb, options);
  }
  std::vector<std::string> bundle_inputs;
  if (vb.link) {
    std::vector<std::string> objects;
    for (const auto& c : vb.compiles) objects.push_back(c.object);
    w.newline();
    w.build({.outputs = {vb.link->output},
             .rule = "link",
             .inputs = objects,
             .variables = edge_vars(vb.link->argv, vb.link->description)});
    bundle_inputs.push_back(vb.link->output);
  }
  for (const auto& copy : vb.copies) bundle_inputs.push_back(copy.from);
  const std::string& manifest = vb.bundle_manifest;
  bundle_inputs.push_back(manifest);
  std::set<std::string> seen;
  std::erase_if(bundle_inputs, [&](const std::string& p) { return !seen.insert(p).second; });
  w.newline();
  w.build({.outputs = {vb.bundle_stamp},
           .rule = "bundle",
           .inputs = bundle_inputs,
           .variables =
               edge_vars(bundle_command(options.kb_path, manifest), "BUNDLE " + vb.variant.name)});
  w.newline();
  w.build({.outputs = {vb.variant.name}, .rule = "phony", .inputs = {vb.bundle_stamp}});
  KB_TRY(faithful(w, variant_ninja_path(vb)));
  return w.take();
}

}  // namespace

std::string ninja_dir(std::string_view build_dir) {
  return without_trailing_slash(build_dir) + "/.kb";
}

std::string variant_ninja_path(const VariantBuild& variant) {
  return variant.work_dir + "/variant.ninja";
}

std::vector<std::string> compile_command(const CompileStep& step, const NinjaOptions& options) {
  std::vector<std::string> argv;
  if (options.launcher && !options.launcher->empty()) {
    argv.push_back(*options.launcher);
  } else if (options.overlap_nvcc && step.tool == CompileStep::Tool::nvcc) {
    argv = {options.kb_path, "internal-nvcc", "--"};
  }
  argv.insert(argv.end(), step.argv.begin(), step.argv.end());
  return argv;
}

std::vector<std::string> bundle_command(const std::string& kb_path, const std::string& manifest) {
  return {kb_path, "internal-bundle", manifest};
}

std::vector<std::string> regen_command(const NinjaOptions& options) {
  std::vector<std::string> argv = {options.kb_path, "build",           options.kernel_dir,
                                   "--out",         options.build_dir, "--generate-only"};
  argv.insert(argv.end(), options.regen_args.begin(), options.regen_args.end());
  return argv;
}

std::map<std::string, int64_t> parse_ninja_log(std::string_view text) {
  std::map<std::string, int64_t> out;
  constexpr std::string_view k_header = "# ninja log v";
  if (!text.starts_with(k_header)) return out;
  int version = 0;
  std::string_view rest = text.substr(k_header.size());
  std::from_chars(rest.data(), rest.data() + rest.size(), version);
  if (version < 5) return out;
  size_t pos = text.find('\n');
  while (pos != std::string_view::npos && pos + 1 < text.size()) {
    size_t end = text.find('\n', pos + 1);
    std::string_view line =
        text.substr(pos + 1, end == std::string_view::npos ? end : end - pos - 1);
    pos = end;
    std::string_view field[5];
    size_t n = 0;
    size_t from = 0;
    while (n < 5) {
      size_t tab = line.find('\t', from);
      field[n++] = line.substr(from, tab == std::string_view::npos ? tab : tab - from);
      if (tab == std::string_view::npos) break;
      from = tab + 1;
    }
    if (n < 5 || field[3].empty()) continue;
    int64_t start = 0;
    int64_t finish = 0;
    auto a = std::from_chars(field[0].data(), field[0].data() + field[0].size(), start);
    auto b = std::from_chars(field[1].data(), field[1].data() + field[1].size(), finish);
    if (a.ec != std::errc() || b.ec != std::errc() || finish < start) continue;
    out[std::string(field[3])] = finish - start;
  }
  return out;
}

int64_t estimate_cost_ms(const CompileStep& step, int nvcc_threads) {
  // The levels and their calibration: docs/performance.md, "The scheduler's first guess".
  if (step.tool == CompileStep::Tool::cxx) {
    switch (step.torch_includes) {
      case TorchIncludes::full: return 10'000;
      case TorchIncludes::stable: return 1'500;
      case TorchIncludes::none: return 500;
    }
  }
  int64_t passes = std::max(step.device_passes, 1);
  int64_t threads = std::clamp<int64_t>(nvcc_threads, 1, passes);
  int64_t rounds = (passes + threads - 1) / threads;
  switch (step.torch_includes) {
    case TorchIncludes::full: return 35'000 + 17'000 * rounds;
    case TorchIncludes::stable: return 3'000 + 1'500 * rounds;
    case TorchIncludes::none: break;
  }
  return 1'000 + 700 * rounds;
}

std::vector<ScheduledCompile> schedule_compiles(const BuildPlan& plan,
                                                const std::map<std::string, int64_t>& durations) {
  // The longest earlier duration of each source in any variant: a new variant's objects
  // have no history, but the same source built for another variant is the best guess.
  std::map<std::string, int64_t> by_source;
  for (const auto& vb : plan.variants) {
    for (const auto& c : vb.compiles) {
      if (auto it = durations.find(c.object); it != durations.end()) {
        int64_t& best = by_source[c.source];
        best = std::max(best, it->second);
      }
    }
  }
  std::vector<ScheduledCompile> out;
  for (size_t v = 0; v < plan.variants.size(); ++v) {
    const auto& vb = plan.variants[v];
    for (size_t i = 0; i < vb.compiles.size(); ++i) {
      const CompileStep& c = vb.compiles[i];
      ScheduledCompile s{.variant = v, .compile = i};
      if (auto it = durations.find(c.object); it != durations.end()) {
        s.cost_ms = it->second;
        s.measured = true;
      } else if (auto src = by_source.find(c.source); src != by_source.end()) {
        s.cost_ms = src->second;
        s.measured = true;
      } else {
        s.cost_ms = estimate_cost_ms(c, vb.nvcc_threads);
      }
      out.push_back(s);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ScheduledCompile& a, const ScheduledCompile& b) {
                     if (int ba = cost_bucket(a.cost_ms), bb = cost_bucket(b.cost_ms); ba != bb)
                       return ba > bb;
                     if (a.compile != b.compile) return a.compile < b.compile;
                     return a.variant < b.variant;
                   });
  return out;
}

Result<NinjaFiles> render_ninja(const BuildPlan& plan, const NinjaOptions& options) {
  NinjaFiles files;
  std::string dir = ninja_dir(options.build_dir);
  for (const auto& vb : plan.variants) {
    // The plan owns the bundle's paths; a stage that made them up here could disagree.
    if (vb.bundle_manifest.empty() || vb.bundle_stamp.empty())
      return Error{"variant " + vb.variant.name + " has no bundle manifest or stamp path",
                   {},
                   "this is a bug in kb's planner (make_build_plan sets both)"};
    KB_TRY_ASSIGN(auto text, render_variant(vb, options));
    files.variants.push_back({variant_ninja_path(vb), std::move(text)});
  }

  NinjaWriter w;
  w.comment("Generated by kb from " + options.build_toml + "; do not edit.");
  w.comment("`ninja -C " + dir + "` rebuilds (and reruns kb when build.toml changes);");
  w.comment("`ninja -C " + dir + " <variant>` builds one variant.");
  w.variable("ninja_required_version", "1.10");
  w.newline();
  w.pool("nvcc", std::max(1, plan.nvcc_pool_depth));
  // Compiles on a build farm: links and bundles stay within this machine's cores.
  const std::string local_pool = plan.local_pool_depth > 0 ? "local" : "";
  if (!local_pool.empty()) w.pool(local_pool, plan.local_pool_depth);
  w.newline();
  write_rules(w, local_pool);
  if (plan_hipifies(plan)) write_hipify_rule(w, local_pool);

  w.newline();
  std::vector<std::string> regen_inputs = {options.build_toml};
  regen_inputs.insert(regen_inputs.end(), options.regen_inputs.begin(), options.regen_inputs.end());
  NinjaBuild regen{.outputs = {"build.ninja"}, .rule = "regen", .inputs = regen_inputs};
  for (const auto& f : files.variants) regen.implicit_outputs.push_back(f.path);
  regen.variables = edge_vars(regen_command(options), "KB regenerating build.ninja");
  w.build(regen);

  w.newline();
  for (const auto& f : files.variants) {
    w.comment("digest " + short_digest(f.text));
    w.subninja(f.path);
  }

  auto order = schedule_compiles(plan, options.durations_ms);
  if (!order.empty()) {
    size_t measured = std::count_if(order.begin(), order.end(),
                                    [](const ScheduledCompile& s) { return s.measured; });
    w.newline();
    w.comment(fmt::format(
        "Compiles of all variants, longest first ({} timed by an earlier build, {} estimated):",
        measured, order.size() - measured));
    w.comment("ninja starts ready edges in this order.");
    for (const auto& s : order) {
      w.newline();
      write_compile(w, plan.variants[s.variant].compiles[s.compile], options);
    }
  }

  std::vector<std::string> stamps;
  for (const auto& vb : plan.variants) stamps.push_back(vb.bundle_stamp);
  w.newline();
  w.build({.outputs = {"all"}, .rule = "phony", .inputs = stamps});
  w.default_targets({"all"});
  KB_TRY(faithful(w, dir + "/build.ninja"));
  files.top = {dir + "/build.ninja", w.take()};
  return files;
}

}  // namespace kb::native
