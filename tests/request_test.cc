// The Request (kb/request.h): the backend choice, MemAvailable, the defaults, and to_argv
// round-tripped through the CLI's parser (src/cli/args.h, src/cli/request_args.h).

#include "kb/request.h"

#include <gtest/gtest.h>

#include "src/cli/args.h"
#include "src/cli/request_args.h"
#include "tests/fakes.h"

namespace kb {
namespace {

TEST(BuildBackend, ParsesBothSpellingsAndRejectsOthers) {
  EXPECT_EQ(*parse_build_backend("native"), BuildBackend::native);
  EXPECT_EQ(*parse_build_backend("nix"), BuildBackend::nix);
  for (const char* bad : {"", "Nix", "foo", "native "}) {
    auto r = parse_build_backend(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.errors().list.front().message, std::string("unknown backend '") + bad + "'");
    EXPECT_EQ(r.errors().list.front().hint, "use --backend=native or --backend=nix");
  }
  EXPECT_EQ(to_string(BuildBackend::nix), "nix");
  EXPECT_EQ(to_string(BuildBackend::native), "native");
}

TEST(MemAvailable, ReadsKibAsBytes) {
  const char* meminfo =
      "MemTotal:       65755960 kB\n"
      "MemFree:         1234567 kB\n"
      "MemAvailable:   40000000 kB\n"
      "Buffers:          100000 kB\n";
  EXPECT_EQ(parse_mem_available(meminfo), int64_t{40000000} * 1024);
  EXPECT_EQ(parse_mem_available("MemAvailable: 7 kB"), 7 * 1024);
}

TEST(MemAvailable, MissingOrBrokenIsNullopt) {
  EXPECT_EQ(parse_mem_available(""), std::nullopt);
  EXPECT_EQ(parse_mem_available("MemTotal: 100 kB\n"), std::nullopt);
  EXPECT_EQ(parse_mem_available("MemAvailable: lots kB\n"), std::nullopt);
  EXPECT_EQ(parse_mem_available("MemAvailable: -5 kB\n"), std::nullopt);
}

TEST(MachineFacts, MemoryComesThroughDiskElseEightGib) {
  FakeDisk disk;
  disk.add_file("/proc/meminfo", "MemAvailable:   1024 kB\n");
  MachineFacts facts = read_machine_facts(disk, "/usr/bin/kb", "42");
  EXPECT_EQ(facts.mem_available_bytes, 1024 * 1024);
  EXPECT_EQ(facts.self_exe, "/usr/bin/kb");
  EXPECT_EQ(facts.pid, "42");
  EXPECT_GE(facts.cores, 1);
  FakeDisk empty;
  EXPECT_EQ(read_machine_facts(empty, "", "").mem_available_bytes, int64_t{8} << 30);
}

TEST(DefaultRequest, TakesTheMachinesFacts) {
  MachineFacts facts{.cores = 6, .mem_available_bytes = 123, .self_exe = "/bin/kb", .pid = "7"};
  Request r = default_request("/k", facts);
  EXPECT_EQ(r.kernel_dir, "/k");
  EXPECT_EQ(r.out_dir, "/k/build");
  EXPECT_EQ(r.jobs, 6);
  EXPECT_EQ(r.memory_budget_bytes, 123);
  EXPECT_EQ(r.kb_path, "/bin/kb");
  EXPECT_EQ(r.lock_owner, "7");
  EXPECT_EQ(r.linker, "auto");
  EXPECT_EQ(r.backend, BuildBackend::native);
}

TEST(AbsoluteIn, JoinsAndNormalisesLexically) {
  EXPECT_EQ(absolute_in("/w", "a/../b"), "/w/b");
  EXPECT_EQ(absolute_in("/w", "/x/./y"), "/x/y");
  EXPECT_EQ(absolute_in("/w", "venv/"), "/w/venv/");
  EXPECT_EQ(absolute_dir_in("/w", "venv/"), "/w/venv");
  EXPECT_EQ(absolute_dir_in("/w", "."), "/w");
}

const MachineFacts k_facts{
    .cores = 4, .mem_available_bytes = int64_t{3} << 30, .self_exe = "/opt/kb/bin/kb", .pid = "99"};

// The request `kb build DIR --out OUT <to_argv(request)>` parses to, as the regeneration
// edge runs it from the same directory.
Result<Request> reparse(const Request& request) {
  std::vector<std::string> argv = {"build", request.kernel_dir_given, "--out", request.out_dir};
  for (auto& a : to_argv(request)) argv.push_back(std::move(a));
  auto parsed = parse_args(argv, command_table());
  if (!parsed) return parsed.take_errors();
  return cli::request_from_args(*parsed, k_facts, request.cwd);
}

// A `kb build` request as the CLI makes it for `dir` run in /work.
Request build_request(const std::string& dir) {
  Request r = default_request(dir, k_facts);
  r.command = "build";
  r.kernel_dir_given = dir;
  r.cwd = "/work";
  return r;
}

TEST(ToArgv, DefaultsAreLinkerAndJobs) {
  Request r = build_request("/k");
  EXPECT_EQ(to_argv(r), (std::vector<std::string>{"--linker", "auto", "-j", "4"}));
}

TEST(ToArgv, RoundTripsThroughTheCliParser) {
  std::vector<Request> requests;
  requests.push_back(build_request("/k"));
  {
    Request r = build_request("/src/relu");
    r.out_dir = "/tmp/out";
    r.query.torch = {"/venvs/t211/bin/python", "/venvs/t212"};
    r.query.cuda = {"/usr/local/cuda-12.8"};
    r.query.rocm = {"/opt/rocm-6.3"};
    r.query.deps = {"cutlass_3_8=/src/cutlass"};
    r.variants = {"torch211-cxx11-cu128-x86_64-linux", "torch212-cxx11-cpu-x86_64-linux"};
    r.unique_id = "abc123";
    r.launcher = "ccache";
    r.linker = "mold";
    r.cuda_archs = "8.0;9.0a";
    r.rocm_archs = "native";
    r.id_in_binding = true;
    r.serial_nvcc = true;
    r.jobs = 17;
    requests.push_back(r);
  }
  {
    Request r = build_request("/k");
    r.linker = "default";
    r.jobs = 1;
    r.unique_id = "with space";
    r.variants = {"-odd-name"};
    requests.push_back(r);
  }
  {
    Request r = build_request("/k");
    r.launcher = "";
    r.cuda_archs = "all";
    r.query.deps = {"a=/x", "b=/y"};
    r.jobs = 4096;
    requests.push_back(r);
  }
  for (const auto& r : requests) {
    auto back = reparse(r);
    ASSERT_TRUE(back.ok()) << format_error(back.errors().list.front());
    // to_argv always passes -j: the regeneration keeps the -j kb build ran with (one widened
    // for a build farm included) instead of widening it again.
    Request expected = r;
    expected.jobs_given = true;
    EXPECT_EQ(*back, expected) << "argv: " << testing::PrintToString(to_argv(r));
  }
}

TEST(ToArgv, RelativeToolchainPathsBecomeAbsolute) {
  Request r = build_request("/k");
  r.query.torch = {"venv", "../t/bin/python"};
  r.query.cuda = {"cuda"};
  auto argv = to_argv(r);
  EXPECT_EQ(std::vector<std::string>(argv.begin(), argv.begin() + 6),
            (std::vector<std::string>{"--torch", "/work/venv", "--torch", "/t/bin/python", "--cuda",
                                      "/work/cuda"}));
  auto back = reparse(r);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->query.torch, (std::vector<std::string>{"/work/venv", "/t/bin/python"}));
}

}  // namespace
}  // namespace kb
