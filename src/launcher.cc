// The compiler launcher and sccache's farm (kb/launcher.h). Pure.

#include "kb/launcher.h"

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace kb {

bool is_sccache(std::string_view launcher) {
  size_t slash = launcher.rfind('/');
  std::string_view name = slash == std::string_view::npos ? launcher : launcher.substr(slash + 1);
  return name == "sccache";
}

std::vector<std::string> dist_status_command(const std::string& launcher) {
  return {launcher, "--dist-status"};
}

FarmStatus parse_dist_status(std::string_view text) {
  using nlohmann::json;
  FarmStatus out;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto unknown = [&] {
    out.state = FarmStatus::State::unknown;
    std::string t(text);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    out.detail = t.empty() ? "no answer" : t;
    return out;
  };
  if (j.is_discarded() || !j.is_object() || j.size() != 1) return unknown();
  const auto& [key, value] = *j.items().begin();
  if (key == "Disabled") {
    out.state = FarmStatus::State::disabled;
    return out;
  }
  if (!value.is_array() || value.size() != 2 || !value[0].is_string()) return unknown();
  out.scheduler = value[0].get<std::string>();
  if (key == "NotConnected" || key == "SchedulerError") {
    out.state = FarmStatus::State::not_connected;
    out.detail = value[1].is_string() ? value[1].get<std::string>() : value[1].dump();
    return out;
  }
  if (key != "SchedulerStatus" || !value[1].is_object()) return unknown();
  const json& s = value[1];
  auto count = [&](const char* field) {
    return s.contains(field) && s[field].is_number_integer()
               ? static_cast<int>(std::clamp<int64_t>(s[field].get<int64_t>(), 0, 1 << 20))
               : 0;
  };
  out.state = FarmStatus::State::connected;
  out.servers = count("num_servers");
  out.cpus = count("num_cpus");
  out.in_progress = count("in_progress");
  return out;
}

bool farm_usable(const FarmStatus& farm) {
  return farm.state == FarmStatus::State::connected && farm.servers > 0 && farm.cpus > 0;
}

int farm_jobs(const FarmStatus& farm, int local_cores) {
  int local = std::max(1, local_cores);
  int jobs = farm_usable(farm) ? std::max(local, farm.cpus) : local;
  return std::min(jobs, 4096);
}

std::string describe_farm(const FarmStatus& farm, int jobs, int local_jobs) {
  switch (farm.state) {
    case FarmStatus::State::disabled:
      return "sccache has no [dist] scheduler configured: compiles run on this machine, "
             "through sccache's cache";
    case FarmStatus::State::not_connected:
      return fmt::format(
          "sccache's scheduler at {} is not reachable ({}): compiles run on this machine, "
          "through sccache's cache, -j{}",
          farm.scheduler, farm.detail, jobs);
    case FarmStatus::State::unknown:
      return fmt::format(
          "sccache --dist-status gave an answer kb cannot read ({}): compiles run as sccache "
          "decides, -j{}",
          farm.detail, jobs);
    case FarmStatus::State::connected: break;
  }
  if (!farm_usable(farm))
    return fmt::format(
        "sccache's scheduler at {} has no build server: compiles run on this "
        "machine, through sccache's cache, -j{}",
        farm.scheduler, jobs);
  return fmt::format(
      "sccache farm at {}: {} server(s), {} core(s), {} compile(s) running: -j{}, links and "
      "bundles at most {} at a time on this machine",
      farm.scheduler, farm.servers, farm.cpus, farm.in_progress, jobs, local_jobs);
}

}  // namespace kb
