#pragma once
// The compiler launcher (--launcher) and, for sccache, its build farm (docs/distributed.md):
// what `sccache --dist-status` says, and how wide a build may then run. Pure.

#include <string>
#include <string_view>
#include <vector>

namespace kb {

// Whether `launcher` (a name or a path) is sccache: its file name is "sccache".
bool is_sccache(std::string_view launcher);

// The argv that asks sccache for its farm: `<launcher> --dist-status`.
std::vector<std::string> dist_status_command(const std::string& launcher);

// What sccache's client says about its farm.
struct FarmStatus {
  enum class State {
    disabled,       // no [dist] scheduler configured: sccache caches, compiles locally
    not_connected,  // a scheduler is configured but cannot be reached
    connected,      // the scheduler answered
    unknown,        // an answer kb cannot read
  };
  State state = State::unknown;
  std::string scheduler;  // its URL ("" when disabled or unknown)
  int servers = 0;        // build servers the scheduler knows (connected)
  int cpus = 0;           // their cores, all together (connected)
  int in_progress = 0;    // compiles they run now (connected)
  std::string detail;     // sccache's own words when not connected or unknown
  bool operator==(const FarmStatus&) const = default;
};

// The FarmStatus of `sccache --dist-status`'s JSON output ({"Disabled": ...},
// {"NotConnected": [url, why]}, {"SchedulerStatus": [url, {num_servers, num_cpus,
// in_progress}]}). Never fails: anything else is State::unknown with the text as detail.
FarmStatus parse_dist_status(std::string_view text);

// Whether compiles go to the farm: connected, with at least one server and one core.
bool farm_usable(const FarmStatus& farm);

// The -j for a build through `farm` on a machine with `local_cores`: the farm's cores when it
// is usable and has more, else local_cores. At most 4096 (kb's -j limit), at least 1.
int farm_jobs(const FarmStatus& farm, int local_cores);

// One line for the user about `farm` as kb will use it, e.g. "sccache farm at URL: 2
// server(s), 4 core(s): -j4, links and bundles at most 2 at a time" or "sccache's scheduler
// at URL is not reachable (...): compiles run on this machine, through sccache's cache".
std::string describe_farm(const FarmStatus& farm, int jobs, int local_jobs);

}  // namespace kb
