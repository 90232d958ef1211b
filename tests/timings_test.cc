#include "kb/timings.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace kb {
namespace {

// Variant "cu" (a host TU, a .cu for two archs, a link, a bundle) and the noarch "py"
// (a bundle only), below /k/build/.kb.
BuildPlan two_variant_plan() {
  BuildPlan plan;
  plan.nvcc_pool_depth = 2;
  plan.nvcc_threads_max = 1;
  VariantBuild cu;
  cu.variant.name = "cu";
  cu.work_dir = "/k/build/.kb/cu";
  CompileStep host;
  host.tool = CompileStep::Tool::cxx;
  host.source = "/k/torch-ext/torch_binding.cpp";
  host.object = "/k/build/.kb/cu/obj/torch_binding.o";
  cu.compiles.push_back(host);
  CompileStep dev;
  dev.tool = CompileStep::Tool::nvcc;
  dev.source = "/k/relu_cuda/relu.cu";
  dev.object = "/k/build/.kb/cu/obj/relu.o";
  dev.argv = {
      "nvcc", "-gencode", "arch=compute_80,code=sm_80", "-gencode", "arch=compute_90,code=sm_90",
      "-c"};
  dev.device_passes = 2;  // as the planner counts them
  cu.compiles.push_back(dev);
  CompileStep id;
  id.source = "/k/build/.kb/cu/gen/ops_id.c";
  id.object = "/k/build/.kb/cu/obj/ops_id.o";
  cu.compiles.push_back(id);
  cu.link = LinkStep{"/k/build/.kb/cu/_relu.abi3.so", {}, ""};
  cu.bundle_stamp = "/k/build/.kb/cu/bundle.stamp";
  plan.variants.push_back(cu);
  VariantBuild py;
  py.variant.name = "py";
  py.work_dir = "/k/build/.kb/py";
  py.bundle_stamp = "/k/build/.kb/py/bundle.stamp";
  plan.variants.push_back(py);
  return plan;
}

// One build of two_variant_plan with -j2: the host TU 0-3 s, the .cu 0-6 s, the link
// 6-7 s, the bundles 7-7.5 s and 3-3.2 s; paths as ninja logs them (relative to .kb).
std::vector<NinjaLogEntry> one_build() {
  return {{0, 3000, "cu/obj/torch_binding.o"},
          {0, 6000, "cu/obj/relu.o"},
          {3000, 3200, "py/bundle.stamp"},
          {6000, 7000, "cu/_relu.abi3.so"},
          {7000, 7500, "cu/bundle.stamp"}};
}

TimingsContext context(int slots = 2, int64_t wall = 7600) {
  return {.kernel = "relu",
          .kernel_dir = "/k",
          .ninja_dir = "/k/build/.kb",
          .slots = slots,
          .wall_ms = wall};
}

TEST(NinjaLogEntries, ParsesV5AndLaterAndSkipsBadLines) {
  auto e = parse_ninja_log_entries(
      "# ninja log v5\n0\t10\t0\ta.o\tff\nbad line\n5\t3\t0\tb.o\tff\n2\t9\t0\tc.o\tee\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0], (NinjaLogEntry{0, 10, "a.o"}));
  EXPECT_EQ(e[1], (NinjaLogEntry{2, 9, "c.o"}));
  EXPECT_TRUE(parse_ninja_log_entries("# ninja log v4\n0\t10\t0\ta.o\n").empty());
  EXPECT_TRUE(parse_ninja_log_entries("").empty());
}

TEST(NinjaLogEntries, NewEntriesAreTheLinesNotInTheOldLog) {
  std::string before = "# ninja log v5\n0\t10\t1\ta.o\tff\n0\t20\t1\tb.o\tee\n";
  std::string appended = before + "0\t12\t2\ta.o\tff\n";
  EXPECT_EQ(new_log_entries(before, appended), (std::vector<NinjaLogEntry>{{0, 12, "a.o"}}));
  // Recompacted at start: the old lines rewritten in another order, then this run's.
  std::string recompacted =
      "# ninja log v5\n0\t20\t1\tb.o\tee\n0\t10\t1\ta.o\tff\n3\t4\t2\tc.o\t11\n";
  EXPECT_EQ(new_log_entries(before, recompacted), (std::vector<NinjaLogEntry>{{3, 4, "c.o"}}));
  // No log before: every entry is new.
  EXPECT_EQ(new_log_entries("", before).size(), 2u);
}

TEST(Timings, NamesEachJobFromThePlan) {
  Timings t = make_timings(two_variant_plan(), context(), one_build());
  ASSERT_EQ(t.jobs.size(), 5u);
  // Sorted by start, then output.
  EXPECT_EQ(t.jobs[0].name, "relu_cuda/relu.cu");
  EXPECT_EQ(t.jobs[0].kind, JobKind::compile);
  EXPECT_EQ(t.jobs[0].tool, "nvcc");
  EXPECT_EQ(t.jobs[0].device_passes, 2);
  EXPECT_EQ(t.jobs[0].variant, "cu");
  EXPECT_EQ(t.jobs[1].name, "torch-ext/torch_binding.cpp");
  EXPECT_EQ(t.jobs[1].tool, "cxx");
  EXPECT_EQ(t.jobs[1].device_passes, 0);
  EXPECT_EQ(t.jobs[2].kind, JobKind::bundle);
  EXPECT_EQ(t.jobs[2].variant, "py");
  EXPECT_EQ(t.jobs[3].kind, JobKind::link);
  EXPECT_EQ(t.jobs[3].name, "_relu.abi3.so");
  EXPECT_EQ(t.jobs[3].after, (std::vector<size_t>{1, 0}));  // the plan's compile order
  EXPECT_EQ(t.jobs[4].kind, JobKind::bundle);
  EXPECT_EQ(t.jobs[4].after, (std::vector<size_t>{3}));
}

TEST(Timings, CriticalPathIsTheLongestDependentChain) {
  Timings t = make_timings(two_variant_plan(), context(), one_build());
  EXPECT_EQ(t.critical_path, (std::vector<size_t>{0, 3, 4}));  // relu.cu -> link -> bundle
  EXPECT_EQ(t.chain_ms, 7500);
  EXPECT_TRUE(t.jobs[0].critical);
  EXPECT_FALSE(t.jobs[1].critical);
  EXPECT_EQ(t.sum_ms, 3000 + 6000 + 200 + 1000 + 500);
  EXPECT_EQ(t.longest_ms, 6000);
  EXPECT_EQ(t.bound_ms, 7500);  // the chain beats Σ/2 = 5350
  EXPECT_EQ(t.wall_ms, 7600);
}

TEST(Timings, BoundIsSumOverSlotsWhenThatIsLonger) {
  Timings t = make_timings(two_variant_plan(), context(/*slots=*/1, /*wall=*/0), one_build());
  EXPECT_EQ(t.bound_ms, 10700);
  EXPECT_EQ(t.wall_ms, 7500);  // no wall given: the last job's end
}

TEST(Timings, OnlyJobsThatRanCountAndTheLatestEntryWins) {
  // A rebuild of the link and bundle only, the link logged twice.
  std::vector<NinjaLogEntry> entries = {
      {0, 900, "cu/_relu.abi3.so"}, {0, 800, "cu/_relu.abi3.so"}, {800, 1000, "cu/bundle.stamp"}};
  Timings t = make_timings(two_variant_plan(), context(), entries);
  ASSERT_EQ(t.jobs.size(), 2u);
  EXPECT_EQ(t.jobs[0].duration_ms(), 800);
  EXPECT_EQ(t.critical_path, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(t.chain_ms, 1000);
}

TEST(Timings, GeneratedSourcesAreNamedFromTheWorkDir) {
  Timings t = make_timings(two_variant_plan(), context(), {{0, 50, "cu/obj/ops_id.o"}});
  ASSERT_EQ(t.jobs.size(), 1u);
  EXPECT_EQ(t.jobs[0].name, "gen/ops_id.c");
  EXPECT_EQ(t.jobs[0].kind, JobKind::compile);
}

TEST(Timings, UnknownOutputsAreOtherJobs) {
  Timings t = make_timings(two_variant_plan(), context(), {{0, 50, "build.ninja"}});
  ASSERT_EQ(t.jobs.size(), 1u);
  EXPECT_EQ(t.jobs[0].kind, JobKind::other);
  EXPECT_EQ(t.jobs[0].name, "build.ninja");
  EXPECT_EQ(t.jobs[0].variant, "");
}

TEST(Timings, ConcurrencyCountsRunningAndNvccJobs) {
  Timings t = make_timings(two_variant_plan(), context(), one_build());
  ASSERT_FALSE(t.concurrency.empty());
  EXPECT_EQ(t.concurrency[0].t_ms, 0);
  EXPECT_EQ(t.concurrency[0].running, 2);
  EXPECT_EQ(t.concurrency[0].nvcc, 1);
  EXPECT_EQ(t.concurrency.back().running, 0);
  EXPECT_EQ(t.nvcc_bytes_per_job, k_nvcc_bytes_per_thread);
  EXPECT_EQ(t.nvcc_pool_depth, 2);
}

TEST(Timings, SummaryLineNamesWallBoundAndSlowestTu) {
  Timings t = make_timings(two_variant_plan(), context(), one_build());
  EXPECT_EQ(timings_summary_line(t),
            "built in 7.6 s (bound 7.5 s); slowest: relu_cuda/relu.cu for cu 6.0 s");
  EXPECT_EQ(timings_summary_line(make_timings(two_variant_plan(), context(), {})),
            "up to date: no job ran");
  EXPECT_EQ(variant_totals(t).at("cu"), 10500);
  EXPECT_EQ(variant_totals(t).at("py"), 200);
}

TEST(TimingsRender, JsonHoldsEveryJobAndTheCriticalPath) {
  auto j = nlohmann::json::parse(
      render_timings_json(make_timings(two_variant_plan(), context(), one_build())));
  EXPECT_EQ(j["schema"], "kb-timings/1");
  EXPECT_EQ(j["kernel"], "relu");
  ASSERT_EQ(j["jobs"].size(), 5u);
  EXPECT_EQ(j["jobs"][0]["name"], "relu_cuda/relu.cu");
  EXPECT_EQ(j["jobs"][0]["device_passes"], 2);
  EXPECT_EQ(j["jobs"][0]["critical"], true);
  EXPECT_EQ(j["critical_path"], nlohmann::json({0, 3, 4}));
  EXPECT_DOUBLE_EQ(j["bound_s"].get<double>(), 7.5);
  EXPECT_DOUBLE_EQ(j["wall_s"].get<double>(), 7.6);
  EXPECT_EQ(j["concurrency"][0]["nvcc_reserved_bytes"], k_nvcc_bytes_per_thread);
  EXPECT_DOUBLE_EQ(j["variant_totals_s"]["cu"].get<double>(), 10.5);
}

TEST(TimingsRender, HtmlIsSelfContainedAndShowsEveryTuAndTheCriticalPath) {
  std::string h = render_timings_html(make_timings(two_variant_plan(), context(), one_build()));
  EXPECT_NE(h.find("relu_cuda/relu.cu"), std::string::npos);
  EXPECT_NE(h.find("torch-ext/torch_binding.cpp"), std::string::npos);
  EXPECT_NE(h.find("class=\"job critical\""), std::string::npos);
  EXPECT_NE(h.find("<h2>Critical path</h2>"), std::string::npos);
  EXPECT_NE(h.find("nvcc pool"), std::string::npos);
  EXPECT_NE(h.find("7.5 s"), std::string::npos);  // the bound
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_EQ(h.find("src="), std::string::npos);
  EXPECT_EQ(h.find("href="), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
}

TEST(TimingsRender, HtmlEscapesNames) {
  Timings t = make_timings(two_variant_plan(), context(), {{0, 5, "x<y>&.o"}});
  std::string h = render_timings_html(t);
  EXPECT_NE(h.find("x&lt;y&gt;&amp;.o"), std::string::npos);
  EXPECT_EQ(h.find("x<y>"), std::string::npos);
}

TEST(TimingsRender, TraceHasOneCompleteEventPerJobWithoutOverlapInALane) {
  auto j = nlohmann::json::parse(
      render_timings_trace(make_timings(two_variant_plan(), context(), one_build())));
  int complete = 0;
  std::map<std::pair<int, int>, int64_t> lane_end;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] != "X") continue;
    ++complete;
    auto key = std::make_pair(e["pid"].get<int>(), e["tid"].get<int>());
    EXPECT_GE(e["ts"].get<int64_t>(), lane_end[key]);
    lane_end[key] = e["ts"].get<int64_t>() + e["dur"].get<int64_t>();
  }
  EXPECT_EQ(complete, 5);
}

TEST(TimingsEstimate, NeedsHistoryForEveryOutput) {
  std::map<std::string, int64_t> history = {{"a.o", 4000}, {"b.o", 1000}, {"c.o", 1000}};
  EXPECT_EQ(estimate_build_ms({"a.o", "b.o", "c.o"}, history, 2), 4000);
  EXPECT_EQ(estimate_build_ms({"b.o", "c.o"}, history, 1), 2000);
  EXPECT_EQ(estimate_build_ms({"a.o", "d.o"}, history, 2), -1);
  EXPECT_EQ(estimate_build_ms({}, history, 2), -1);
}

}  // namespace
}  // namespace kb
