// Runs nvcc's steps as a graph (kb/nvcc_overlap.h).

#include "kb/nvcc_overlap.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "kb/nvcc_slots.h"
#include "kb/nvcc_steps.h"

namespace kb {

namespace {

// A build step has no time limit of its own (ninja's user decides); a day stands for none.
constexpr std::chrono::milliseconds k_no_limit{24LL * 3600 * 1000};

// How often a compile whose next step waits for a slot of the shared pool looks again (a
// slot freed by another process wakes nobody here). Steps take seconds; this costs nothing.
constexpr std::chrono::milliseconds k_slot_poll{10};

// kb's environment with nvcc's variables set, as nvcc runs its steps.
Environment step_environment(const NvccSchedule& s, const Environment& env) {
  Environment out = env;
  for (const auto& [name, value] : s.variables) out.set(name, value);
  return out;
}

// The argv running `step`: its shell command, exec'ed so that the tool is the process, under
// `setpriv --pdeathsig TERM` where setpriv is found. Each step leads its own process group
// (Process::capture), so ninja's signal to kb's group on Ctrl-C does not reach it; the death
// signal ends it when kb ends, so no orphaned cicc goes on writing into the step directory
// that the next run reuses.
std::vector<std::string> step_argv(const NvccStep& step, std::vector<std::string> argv) {
  for (const char* a : {"/bin/sh", "-c"}) argv.emplace_back(a);
  argv.push_back("exec " + step.command);
  return argv;
}

// The graph's run: which steps ended how, shared by the worker threads.
struct GraphRun {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<int> state;  // 0 waiting, 1 running, 2 done
  std::vector<Captured> results;
  std::optional<Error> spawn_error;
  bool failed = false;
  int running = 0;
};

bool ready(const GraphRun& g, const NvccStep& step) {
  return std::all_of(step.after.begin(), step.after.end(),
                     [&](size_t j) { return g.state[j] == 2 && g.results[j].exit_code == 0; });
}

// Runs the steps of `s`, each once those it comes after have succeeded, and no step after
// one has failed. With `slots`, each step holds a slot of the pool while it runs and only
// the pool limits how many run; without, at most `limit` run at a time.
void run_graph(const NvccSchedule& s, Process& process, const Environment& kb_env,
               const std::vector<std::string>& prefix, int limit, NvccSlots* slots, GraphRun& g) {
  Environment env = step_environment(s, kb_env);
  size_t n = s.steps.size();
  if (slots) limit = static_cast<int>(n);
  g.state.assign(n, 0);
  g.results.assign(n, Captured{});
  std::vector<std::thread> threads;
  std::unique_lock lock(g.mutex);
  for (;;) {
    bool waiting_for_slot = false;
    for (size_t i = 0; i < n && !g.failed && g.running < limit; ++i) {
      if (g.state[i] != 0 || !ready(g, s.steps[i])) continue;
      int slot = slots ? slots->try_take() : -1;
      if (slots && slot < 0) {
        waiting_for_slot = true;
        break;
      }
      g.state[i] = 1;
      ++g.running;
      threads.emplace_back([&, i, slot] {
        auto r = process.capture(step_argv(s.steps[i], prefix), env, k_no_limit);
        if (slots) slots->give_back(slot);
        std::lock_guard done(g.mutex);
        if (r.ok()) g.results[i] = std::move(*r);
        if (!r.ok() && !g.spawn_error) g.spawn_error = r.errors().list[0];
        if (!r.ok() || g.results[i].exit_code != 0) g.failed = true;
        g.state[i] = 2;
        --g.running;
        g.changed.notify_all();
      });
    }
    bool all_done = std::all_of(g.state.begin(), g.state.end(), [](int v) { return v == 2; });
    if (g.running == 0 && (all_done || g.failed)) break;
    if (waiting_for_slot)
      g.changed.wait_for(lock, k_slot_poll);
    else
      g.changed.wait(lock);
  }
  lock.unlock();
  for (auto& t : threads) t.join();
}

// Joins the preprocessing steps' dependency files into `depfile` (make syntax allows one
// rule per part for the same target).
Result<Ok> write_depfile(Disk& disk, const NvccSchedule& s, const std::string& depfile) {
  std::string text;
  for (const auto& part : s.depfile_parts) {
    KB_TRY_ASSIGN(std::string one, disk.read_file(part));
    text += one;
    if (!text.empty() && text.back() != '\n') text += '\n';
  }
  return disk.write_file_atomic(depfile, text);
}

Result<NvccRun> run_plain(const std::vector<std::string>& argv, Process& process,
                          const Environment& env, std::string because) {
  KB_TRY_ASSIGN(auto exit, process.run_attached(argv, env, ""));
  NvccRun run;
  run.exit_code = exit.status();
  run.plain_because = std::move(because);
  return run;
}

}  // namespace

Result<NvccRun> run_nvcc_overlapped(const std::vector<std::string>& argv, Process& process,
                                    Disk& disk, const Environment& env) {
  auto call = parse_nvcc_call(argv);
  if (!call.ok()) return run_plain(argv, process, env, call.errors().list[0].message);
  std::string keep_dir = call->object + ".steps";
  KB_TRY(disk.remove_all(keep_dir));
  KB_TRY(disk.make_dirs(keep_dir));
  std::vector<std::string> dry = call->argv;
  for (auto& a : nvcc_dryrun_args(keep_dir)) dry.push_back(a);
  KB_TRY_ASSIGN(Captured printed, process.capture(dry, env));
  auto schedule = printed.exit_code == 0
                      ? schedule_nvcc_steps(printed.err, *call, keep_dir)
                      : Result<NvccSchedule>(Error{printed.err, std::nullopt, ""});
  if (!schedule.ok()) {
    (void)disk.remove_all(keep_dir);
    return run_plain(argv, process, env, schedule.errors().list[0].message);
  }
  KB_TRY(disk.write_file_atomic(schedule->module_id_file, schedule->module_id));
  GraphRun g;
  std::vector<std::string> prefix;
  if (auto setpriv = find_in_path("setpriv", env, disk))
    prefix = {*setpriv, "--pdeathsig", "TERM", "--"};
  auto slots = NvccSlots::from_env(env);
  run_graph(*schedule, process, env, prefix, std::max(2, call->threads + 1), slots.get(), g);
  NvccRun run;
  run.overlapped = true;
  for (size_t i = 0; i < g.results.size(); ++i) {
    run.output += g.results[i].out + g.results[i].err;
    if (g.results[i].exit_code != 0) {
      run.exit_code = g.results[i].exit_code;
      break;
    }
  }
  auto depfile = run.exit_code == 0 && !g.spawn_error && !call->depfile.empty()
                     ? write_depfile(disk, *schedule, call->depfile)
                     : Result<Ok>(Ok{});
  (void)disk.remove_all(keep_dir);
  if (g.spawn_error) return *g.spawn_error;
  KB_TRY(depfile);
  return run;
}

}  // namespace kb
