// sccache's farm as kb reads it: `sccache --dist-status` answers (captured from sccache 0.16
// against a loopback farm, docs/distributed.md), the -j a farm allows, the user's line.

#include "kb/launcher.h"

#include <gtest/gtest.h>

namespace kb {
namespace {

using State = FarmStatus::State;

TEST(Launcher, RecognisesSccacheByFileName) {
  EXPECT_TRUE(is_sccache("sccache"));
  EXPECT_TRUE(is_sccache("/root/.cache/kb-deps/sccache/bin/sccache"));
  EXPECT_FALSE(is_sccache("ccache"));
  EXPECT_FALSE(is_sccache("/opt/sccache/bin/sccache-dist"));
  EXPECT_EQ(dist_status_command("sccache"), (std::vector<std::string>{"sccache", "--dist-status"}));
}

TEST(ParseDistStatus, ReadsEachAnswerOfSccache016) {
  FarmStatus up = parse_dist_status(
      R"({"SchedulerStatus":["http://127.0.0.1:10600/",{"num_servers":2,"num_cpus":4,"in_progress":1}]})"
      "\n");
  EXPECT_EQ(up, (FarmStatus{State::connected, "http://127.0.0.1:10600/", 2, 4, 1, ""}));
  EXPECT_TRUE(farm_usable(up));

  FarmStatus down = parse_dist_status(
      R"({"NotConnected":["http://127.0.0.1:10699/","enabled, not connected, will retry in 30.0s"]})");
  EXPECT_EQ(down.state, State::not_connected);
  EXPECT_EQ(down.scheduler, "http://127.0.0.1:10699/");
  EXPECT_EQ(down.detail, "enabled, not connected, will retry in 30.0s");
  EXPECT_FALSE(farm_usable(down));

  EXPECT_EQ(parse_dist_status(R"({"Disabled":"disabled"})").state, State::disabled);

  FarmStatus odd = parse_dist_status("sccache: error: something\n");
  EXPECT_EQ(odd.state, State::unknown);
  EXPECT_EQ(odd.detail, "sccache: error: something");
  EXPECT_EQ(parse_dist_status("").detail, "no answer");
  EXPECT_EQ(parse_dist_status(R"({"SchedulerStatus":["u", 3]})").state, State::unknown);
}

TEST(FarmJobs, TheFarmsCoresWhenItHasMoreThanThisMachine) {
  FarmStatus farm{State::connected, "u", 10, 160, 0, ""};
  EXPECT_EQ(farm_jobs(farm, 16), 160);
  EXPECT_EQ(farm_jobs(farm, 256), 256);  // never fewer than the local cores
  farm.cpus = 100000;
  EXPECT_EQ(farm_jobs(farm, 16), 4096);  // kb's -j limit
  FarmStatus empty{State::connected, "u", 0, 0, 0, ""};
  EXPECT_FALSE(farm_usable(empty));
  EXPECT_EQ(farm_jobs(empty, 8), 8);
  EXPECT_EQ(farm_jobs(FarmStatus{State::not_connected, "u", 0, 0, 0, "x"}, 0), 1);
}

TEST(DescribeFarm, SaysWhereCompilesRun) {
  FarmStatus up{State::connected, "http://s:10600/", 2, 4, 0, ""};
  EXPECT_EQ(describe_farm(up, 4, 2),
            "sccache farm at http://s:10600/: 2 server(s), 4 core(s), 0 compile(s) running: -j4, "
            "links and bundles at most 2 at a time on this machine");
  FarmStatus down{State::not_connected, "http://s:10600/", 0, 0, 0, "connection refused"};
  EXPECT_EQ(describe_farm(down, 2, 0),
            "sccache's scheduler at http://s:10600/ is not reachable (connection refused): "
            "compiles run on this machine, through sccache's cache, -j2");
}

}  // namespace
}  // namespace kb
