#include "kb/native_backend.h"

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "backends/native/ninja_file.h"
#include "kb/build_plan.h"
#include "kb/bundle_manifest.h"
#include "kb/ninja_writer.h"
#include "kb/nvcc_slots.h"
#include "tests/fakes.h"

namespace kb::native {
namespace {

// A plan of host compiles only: `sources` (relative to `kernel_dir`) compiled with
// `cxx` into <build_dir>/.kb/<name>/, linked into x.so, and bundled.
VariantBuild host_variant(const std::string& name, const std::string& kernel_dir,
                          const std::string& build_dir, const std::vector<std::string>& sources,
                          const std::string& cxx = "/usr/bin/g++") {
  VariantBuild vb;
  vb.variant.name = name;
  vb.work_dir = build_dir + "/.kb/" + name;
  vb.bundle_dir = build_dir + "/" + name;
  vb.bundle_manifest = vb.work_dir + "/bundle.json";
  vb.bundle_stamp = vb.work_dir + "/bundle.stamp";
  LinkStep link;
  link.output = vb.work_dir + "/x.so";
  link.argv = {cxx, "-shared", "-o", link.output};
  link.description = "LINK " + name + " x.so";
  for (const auto& src : sources) {
    CompileStep c;
    c.source = kernel_dir + "/" + src;
    c.object = vb.work_dir + "/" + src + ".o";
    c.depfile = c.object + ".d";
    c.argv = {cxx, "-fPIC", "-c", c.source, "-o", c.object, "-MD", "-MF", c.depfile};
    c.description = "CXX " + name + " " + src;
    vb.compiles.push_back(c);
    link.argv.push_back(c.object);
  }
  vb.link = link;
  vb.copies = {{link.output, "pkg/x.so"}};
  vb.work_files[vb.work_dir + "/gen/registration.h"] = "#pragma once\n";
  vb.manifest = manifest_for(vb);  // as make_build_plan completes every variant
  vb.work_files[vb.bundle_manifest] = bundle_manifest_text(vb.manifest);
  return vb;
}

BuildPlan two_variant_plan() {
  BuildPlan plan;
  plan.jobs = 3;
  plan.variants.push_back(host_variant("v1", "/k", "/b", {"a.cpp"}));
  plan.variants.push_back(host_variant("v2", "/k", "/b", {"a.cpp"}));
  return plan;
}

NativeRunOptions fake_options() {
  return {.build_dir = "/b",
          .kernel_dir = "/k",
          .kb_path = "/bin/kb",
          .build_toml = "/k/build.toml",
          .ninja = "/usr/bin/ninja"};
}

Environment env_of(const std::string& name, const std::string& value) {
  Environment env;
  env.set(name, value);
  return env;
}

const std::vector<std::string> k_ninja = {"/usr/bin/ninja", "-C", "/b/.kb", "-j", "3"};
// k_ninja with every variant of two_variant_plan as targets: ninja's default is never used.
const std::vector<std::string> k_ninja_all = {
    "/usr/bin/ninja", "-C", "/b/.kb", "-j", "3", "v1", "v2"};

// Remembers the environment ninja was started with.
class EnvProcess : public FakeProcess {
 public:
  Result<AttachedExit> run_attached(const std::vector<std::string>& argv, const Environment& env,
                                    const std::string& cwd) override {
    last_env = env;
    return FakeProcess::run_attached(argv, env, cwd);
  }
  Environment last_env;
};

TEST(NativeBackend, GenerateOnlyWritesEveryFileAndRunsNothing) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  FakeProcess process;
  NativeRunOptions o = fake_options();
  o.generate_only = true;
  auto r = run_native_build(plan, o, disk, process, Environment());
  ASSERT_TRUE(r.ok()) << format_error(r.errors().list[0]);
  EXPECT_FALSE(r->ran_ninja);
  EXPECT_EQ(process.total_calls(), 0);
  for (const char* f :
       {"/b/.kb/build.ninja", "/b/.kb/v1/variant.ninja", "/b/.kb/v2/variant.ninja",
        "/b/.kb/v1/gen/registration.h", "/b/.kb/v1/bundle.json", "/b/.kb/v2/bundle.json",
        "/b/compile_commands.json", "/b/.kb/variants.txt"}) {
    EXPECT_TRUE(disk.has_file(f)) << f;
  }
  EXPECT_EQ(r->written.back(), "/b/.kb/build.ninja");  // written last
  EXPECT_NE(disk.content("/b/.kb/v1/bundle.json").find("/b/.kb/v1/bundle.stamp"),
            std::string::npos);
  EXPECT_NE(disk.content("/b/.kb/variants.txt").find("\nv1\nv2\n"), std::string::npos);

  // The same plan again touches nothing.
  auto again = run_native_build(plan, o, disk, process, Environment());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->written.empty());
}

TEST(NativeBackend, RunsNinjaAttachedWithStatusAndTargets) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  EnvProcess process;
  std::vector<std::string> argv = k_ninja;
  argv.insert(argv.end(), {"-d", "explain", "v2"});
  process.on_run(argv, 0);
  NativeRunOptions o = fake_options();
  o.targets = {"v2"};
  o.ninja_args = {"-d", "explain"};
  auto r = run_native_build(plan, o, disk, process, env_of("PATH", "/usr/bin"));
  ASSERT_TRUE(r.ok()) << format_error(r.errors().list[0]);
  EXPECT_TRUE(r->ran_ninja);
  EXPECT_EQ(r->exit_code, 0);
  ASSERT_EQ(process.log.size(), 1u);
  EXPECT_TRUE(process.log[0].attached);
  EXPECT_EQ(process.log[0].cwd, "/b/.kb");
  EXPECT_EQ(process.last_env.get("NINJA_STATUS"), "[%f/%t %es] ");
  EXPECT_EQ(process.last_env.get("PATH"), "/usr/bin");
  EXPECT_TRUE(r->unfinished_variants.empty());
  EXPECT_TRUE(r->rerun_command.empty());
}

TEST(NativeBackend, KeepsTheUsersNinjaStatusAndJobs) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  EnvProcess process;
  process.on_run({"/usr/bin/ninja", "-C", "/b/.kb", "-j", "7", "v1", "v2"}, 0);
  NativeRunOptions o = fake_options();
  o.jobs = 7;
  auto r = run_native_build(plan, o, disk, process, env_of("NINJA_STATUS", "> "));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(process.last_env.get("NINJA_STATUS"), "> ");
}

// A .ninja_log that knows every job a dry run lists: the status line carries the expected
// duration (max(longest, Σ / -j)), and the lines ninja appends are this run's jobs.
TEST(NativeBackend, StatusLineShowsTheExpectedDurationFromHistory) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  std::string old_log =
      "# ninja log v5\n0\t4000\t1\t/b/.kb/v1/a.cpp.o\tff\n4000\t5000\t1\t/b/.kb/v1/x.so\tee\n"
      "5000\t5600\t1\t/b/.kb/v1/bundle.stamp\tdd\n";
  disk.add_file("/b/.kb/.ninja_log", old_log);
  EnvProcess process;
  std::vector<std::string> dry = {"/usr/bin/ninja", "-n", "-C", "/b/.kb", "-j", "3", "v1", "v2"};
  process.on(dry, "ninja: Entering directory `/b/.kb'\nCXX v1 a.cpp\nLINK v1 x.so\nBUNDLE v1\n");
  process.on_run(k_ninja_all, 0, [&] {
    disk.add_file("/b/.kb/.ninja_log", old_log + "0\t3900\t2\t/b/.kb/v1/a.cpp.o\tff\n");
  });
  auto r = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_TRUE(r.ok()) << format_error(r.errors().list[0]);
  EXPECT_EQ(process.calls(dry), 1);
  EXPECT_EQ(r->estimate_ms, 4000);  // the longest job beats Σ / 3
  EXPECT_EQ(process.last_env.get("NINJA_STATUS"), "[%f/%t %es of ~4s] ");
  EXPECT_EQ(r->log_entries, (std::vector<NinjaLogEntry>{{0, 3900, "/b/.kb/v1/a.cpp.o"}}));
  EXPECT_EQ(r->jobs, 3);
}

// Nothing to do (the dry run says so): ninja is not started a second time.
TEST(NativeBackend, UpToDateBuildStartsNinjaOnce) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  disk.add_file("/b/.kb/.ninja_log", "# ninja log v5\n0\t4000\t1\t/b/.kb/v1/a.cpp.o\tff\n");
  EnvProcess process;
  process.on({"/usr/bin/ninja", "-n", "-C", "/b/.kb", "-j", "3", "v1", "v2"},
             "ninja: Entering directory `/b/.kb'\nninja: no work to do.\n");
  process.on_run(k_ninja_all, 0);
  auto r = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->up_to_date);
  EXPECT_EQ(process.calls(k_ninja_all), 0);
  EXPECT_EQ(r->exit_code, 0);
}

// A stale build.ninja (the regeneration edge would run) is not up to date.
TEST(NativeBackend, RegenerationIsWorkToDo) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  disk.add_file("/b/.kb/.ninja_log", "# ninja log v5\n0\t4000\t1\t/b/.kb/v1/a.cpp.o\tff\n");
  EnvProcess process;
  process.on({"/usr/bin/ninja", "-n", "-C", "/b/.kb", "-j", "3", "v1", "v2"},
             "KB regenerating build.ninja\nninja: no work to do.\n");
  process.on_run(k_ninja_all, 0);
  auto r = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->up_to_date);
  EXPECT_EQ(process.calls(k_ninja_all), 1);
}

// A job without history (v2's objects) means no estimate: the plain status line.
TEST(NativeBackend, NoEstimateWhenAJobHasNoHistory) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  disk.add_file("/b/.kb/.ninja_log", "# ninja log v5\n0\t4000\t1\t/b/.kb/v1/a.cpp.o\tff\n");
  EnvProcess process;
  process.on({"/usr/bin/ninja", "-n", "-C", "/b/.kb", "-j", "3", "v1", "v2"},
             "CXX v1 a.cpp\nCXX v2 a.cpp\n");
  process.on_run(k_ninja_all, 0);
  auto r = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->estimate_ms, -1);
  EXPECT_EQ(process.last_env.get("NINJA_STATUS"), "[%f/%t %es] ");
  EXPECT_TRUE(r->log_entries.empty());
}

TEST(NativeBackend, FailureNamesUnfinishedVariantsAndTheRerunCommand) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  FakeProcess process;
  process.on_run(k_ninja_all, 1);
  process.on({"/usr/bin/ninja", "-C", "/b/.kb", "-n", "v1"}, "ninja: no work to do.\n");
  process.on({"/usr/bin/ninja", "-C", "/b/.kb", "-n", "v2"}, "[1/3] CXX v2 a.cpp\n");
  auto r = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_EQ(r->unfinished_variants, std::vector<std::string>{"v2"});
  EXPECT_EQ(r->rerun_command, "/usr/bin/ninja -C /b/.kb -v v1 v2");
  EXPECT_EQ(r->ninja_dir, "/b/.kb");
}

TEST(NativeBackend, FailureOnANearlyFullDiskSaysSo) {
  for (std::optional<int64_t> free :
       {std::optional<int64_t>(1 << 20), std::optional<int64_t>(int64_t{10} << 30),
        std::optional<int64_t>()}) {
    BuildPlan plan = two_variant_plan();
    FakeDisk disk;
    disk.available = free;
    FakeProcess process;
    process.on_run(k_ninja_all, 1);
    auto r = run_native_build(plan, fake_options(), disk, process, Environment());
    ASSERT_TRUE(r.ok());
    bool low = free && *free < k_low_space_bytes;
    ASSERT_EQ(r->low_space.has_value(), low) << (free ? *free : -1);
    if (low) {
      EXPECT_NE(r->low_space->message.find("/b has only 1024 KiB available"), std::string::npos)
          << r->low_space->message;
      EXPECT_NE(r->low_space->hint.find("--out"), std::string::npos);
    }
  }
}

TEST(NativeBackend, SuccessOnANearlyFullDiskIsNoNote) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  disk.available = 0;
  FakeProcess process;
  process.on_run(k_ninja_all, 0);
  auto r = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->low_space.has_value());
}

TEST(NativeBackend, InterruptAsksNinjaNothingMore) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  FakeProcess process;
  process.on_run(k_ninja_all, 130);
  auto r = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 130);
  EXPECT_EQ(process.total_calls(), 1);
}

// kb received SIGTERM while ninja ran (ninja 1.11 then exits 1, like a failed build): the
// outcome says interrupted, and ninja is not asked about unfinished variants.
TEST(NativeBackend, SignalToKbIsReportedAsAnInterruption) {
  for (int sig : {SIGINT, SIGTERM}) {
    BuildPlan plan = two_variant_plan();
    FakeDisk disk;
    FakeProcess process;
    process.on_run_interrupted(k_ninja_all, sig, 1);
    auto r = run_native_build(plan, fake_options(), disk, process, Environment());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->interrupted_by, sig);
    EXPECT_EQ(r->exit_code, 1);
    EXPECT_TRUE(r->unfinished_variants.empty());
    EXPECT_EQ(process.total_calls(), 1);
    EXPECT_EQ(r->rerun_command, "/usr/bin/ninja -C /b/.kb -v v1 v2");
  }
}

// Without --variant, ninja still gets the planned variants by name: build.ninja's default
// would be whatever another kb last planned into it.
TEST(NativeBackend, NinjaAlwaysGetsThePlannedVariantsAsTargets) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  FakeProcess process;
  process.on_run(k_ninja_all, 0);
  auto all = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_TRUE(all.ok()) << format_error(all.errors().list[0]);
  ASSERT_EQ(process.log.size(), 1u);
  EXPECT_EQ(process.log[0].argv, k_ninja_all);

  std::vector<std::string> one = k_ninja;
  one.push_back("v1");
  process.on_run(one, 0);
  NativeRunOptions o = fake_options();
  o.targets = {"v1"};
  ASSERT_TRUE(run_native_build(plan, o, disk, process, Environment()).ok());
  EXPECT_EQ(process.log.back().argv, one);
}

TEST(NativeBackend, LockHolderIsPassedToNinja) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  EnvProcess process;
  process.on_run(k_ninja_all, 0);
  NativeRunOptions o = fake_options();
  o.lock_holder = "4242";
  ASSERT_TRUE(run_native_build(plan, o, disk, process, Environment()).ok());
  EXPECT_EQ(process.last_env.get(k_lock_holder_env), "4242");
}

TEST(NativeBackend, NvccStepsShareOneSlotPoolWhenKbRunsNvcc) {
  BuildPlan plan = two_variant_plan();
  plan.cuda_sources = 2;
  plan.nvcc_slots = 5;
  FakeDisk disk;
  EnvProcess process;
  std::vector<std::string> argv = {"/usr/bin/ninja", "-C", "/b/.kb", "-j", "4", "v1", "v2"};
  process.on_run(argv, 0);
  NativeRunOptions o = fake_options();
  o.overlap_nvcc = true;
  o.jobs = 4;
  ASSERT_TRUE(run_native_build(plan, o, disk, process, Environment()).ok());
  // -j 4 is below the memory's 5 slots: 4 slot files, named to ninja's children.
  EXPECT_EQ(process.last_env.get(k_nvcc_slots_env), "4:/b/.kb/nvcc-slots");
  for (const char* f : {"/b/.kb/nvcc-slots/slot-0", "/b/.kb/nvcc-slots/slot-3"})
    EXPECT_TRUE(disk.has_file(f)) << f;

  // nvcc run by ccache or by itself (--serial-nvcc), or no .cu at all: no pool.
  for (int variant = 0; variant < 3; ++variant) {
    EnvProcess other;
    other.on_run(argv, 0);
    NativeRunOptions p = o;
    BuildPlan q = plan;
    if (variant == 0) p.launcher = "ccache";
    if (variant == 1) p.overlap_nvcc = false;
    if (variant == 2) q.cuda_sources = 0;
    ASSERT_TRUE(run_native_build(q, p, disk, other, Environment()).ok());
    EXPECT_FALSE(other.last_env.get(k_nvcc_slots_env)) << variant;
  }
}

TEST(NativeBackend, UnknownTargetIsAnErrorWithAHint) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  FakeProcess process;
  NativeRunOptions o = fake_options();
  o.targets = {"v3"};
  auto r = run_native_build(plan, o, disk, process, Environment());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "no planned variant is named 'v3'");
  EXPECT_NE(r.errors().list[0].hint.find("did you mean 'v"), std::string::npos);
  EXPECT_TRUE(disk.all_files().empty());
}

TEST(NativeBackend, NinjaMissingFromPathIsAnError) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  FakeProcess process;
  NativeRunOptions o = fake_options();
  o.ninja = "";
  auto r = run_native_build(plan, o, disk, process, env_of("PATH", "/nonexistent-kb-test-dir"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "ninja not found in PATH");
}

TEST(NativeBackend, WriteFailureStopsBeforeBuildNinjaAndNinja) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  disk.fail_if = [](std::string_view, const std::string& path) {
    return path == "/b/.kb/v2/variant.ninja";
  };
  FakeProcess process;
  auto r = run_native_build(plan, fake_options(), disk, process, Environment());
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(disk.has_file("/b/.kb/build.ninja"));
  EXPECT_EQ(process.total_calls(), 0);
}

TEST(NativeBackend, DryRunListsCommandsPerVariantAndTouchesNothing) {
  BuildPlan plan;
  plan.variants.push_back(host_variant("v1", "/my k", "/b", {"a.cpp"}));
  FakeDisk disk;
  FakeProcess process;
  NativeRunOptions o = fake_options();
  o.dry_run = true;
  o.launcher = "ccache";
  auto r = run_native_build(plan, o, disk, process, Environment());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dry_run_text,
            "# v1\n"
            "ccache /usr/bin/g++ -fPIC -c '/my k/a.cpp' -o /b/.kb/v1/a.cpp.o -MD -MF "
            "/b/.kb/v1/a.cpp.o.d\n"
            "/usr/bin/g++ -shared -o /b/.kb/v1/x.so /b/.kb/v1/a.cpp.o\n"
            "/bin/kb internal-bundle /b/.kb/v1/bundle.json\n");
  EXPECT_TRUE(disk.all_files().empty());
  EXPECT_TRUE(disk.log.empty());
  EXPECT_EQ(process.total_calls(), 0);
}

TEST(NativeBackend, DryRunOfTwoVariantsKeepsOnlyTheTargets) {
  BuildPlan plan = two_variant_plan();
  NativeRunOptions o = fake_options();
  EXPECT_NE(dry_run_text(plan, o).find("\n\n# v2\n"), std::string::npos);
  o.targets = {"v2"};
  EXPECT_EQ(dry_run_text(plan, o).rfind("# v2\n", 0), 0u);
  EXPECT_EQ(dry_run_text(plan, o).find("# v1"), std::string::npos);
}

TEST(NativeBackend, VariantsRecordKeepsEarlierVariants) {
  BuildPlan plan = two_variant_plan();
  FakeDisk disk;
  disk.add_file("/b/.kb/variants.txt", "# record\nold-variant\n");
  FakeProcess process;
  NativeRunOptions o = fake_options();
  o.generate_only = true;
  ASSERT_TRUE(run_native_build(plan, o, disk, process, Environment()).ok());
  std::string record = disk.content("/b/.kb/variants.txt");
  EXPECT_NE(record.find("\nold-variant\nv1\nv2\n"), std::string::npos) << record;
}

TEST(CleanBuild, RemovesRecordedBundlesAndKbDirOnly) {
  FakeDisk disk;
  disk.add_file("/b/.kb/variants.txt", "# record\nv1\n../etc\n.hidden\nv3\n");
  disk.add_file("/b/.kb/v1/a.o", "");
  disk.add_file("/b/v1/pkg/x.so", "");
  disk.add_file("/b/v2/pkg/x.so", "");  // not recorded: not kb's
  disk.add_file("/b/.hidden/f", "");
  disk.add_file("/etc/f", "");
  disk.add_file("/b/notes.txt", "mine");
  disk.add_file("/b/compile_commands.json", "[]\n");
  ASSERT_TRUE(clean_build("/b", disk).ok());
  EXPECT_FALSE(disk.has_dir("/b/.kb"));
  EXPECT_FALSE(disk.has_dir("/b/v1"));
  EXPECT_EQ(disk.all_files(),
            (std::vector<std::string>{"/b/.hidden/f", "/b/notes.txt", "/b/v2/pkg/x.so", "/etc/f"}));
}

TEST(CleanBuild, NothingToCleanIsFine) {
  FakeDisk disk;
  disk.add_file("/b/notes.txt", "mine");
  ASSERT_TRUE(clean_build("/b", disk).ok());
  EXPECT_TRUE(disk.log.empty());
  EXPECT_FALSE(clean_build("", disk).ok());
}

// --- One real build: RealDisk, RealProcess and the ninja on PATH. ---

namespace fs = std::filesystem;

class RealNinjaBuild : public ::testing::Test {
 protected:
  void SetUp() override {
    env = Environment::from_process();
    auto n = find_in_path("ninja", env, RealDisk());
    auto cxx = find_in_path("g++", env, RealDisk());
    if (!n || !cxx) GTEST_SKIP() << "needs ninja and g++ on PATH";
    ninja = *n;
    gxx = *cxx;
    std::string tmpl = (fs::temp_directory_path() / "kb-native-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root = tmpl;
  }
  void TearDown() override {
    if (!root.empty()) fs::remove_all(root);
  }

  // Writes a file whose mtime lies 10 s in the past, so everything built later is newer.
  void write_old(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
    fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::seconds(10));
  }

  // Output paths of the .ninja_log lines after the first `skip` lines.
  std::vector<std::string> log_outputs(const std::string& log, size_t skip) {
    std::vector<std::string> out;
    std::istringstream in(log);
    std::string line;
    for (size_t i = 0; std::getline(in, line); ++i) {
      if (i < skip || line.starts_with("#")) continue;
      size_t a = line.find('\t');
      a = line.find('\t', a + 1);
      a = line.find('\t', a + 1);
      out.push_back(line.substr(a + 1, line.find('\t', a + 1) - a - 1));
    }
    return out;
  }

  size_t line_count(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

  Environment env;
  std::string ninja;
  std::string gxx;
  std::string root;
};

TEST_F(RealNinjaBuild, BuildsThenDoesNothingThenRebuildsOnlyTheTouchedObject) {
  std::string kernel = root + "/kernel";
  std::string build = root + "/build";
  write_old(kernel + "/build.toml", "# not read by this test\n");
  write_old(kernel + "/a.cpp", "int a() { return 1; }\n");
  write_old(kernel + "/b.cpp", "int b() { return 2; }\n");
  // Stands in for `kb`: `internal-bundle` writes the stamp next to the manifest; `build`
  // (the regeneration) logs its arguments and, like kb with an unchanged plan, writes nothing.
  std::string fake_kb = root + "/fake-kb";
  write_old(
      fake_kb,
      "#!/bin/sh\n"
      "if [ \"$1\" = build ]; then echo \"$@\" >> \"$(dirname \"$0\")/regen.log\"; exit 0; fi\n"
      "[ \"$1\" = internal-bundle ] || exit 3\n"
      "touch \"$(dirname \"$2\")/bundle.stamp\"\n");
  fs::permissions(fake_kb, fs::perms::owner_all);

  BuildPlan plan;
  plan.jobs = 2;
  plan.variants.push_back(host_variant("v1", kernel, build, {"a.cpp", "b.cpp"}, gxx));
  NativeRunOptions o{.build_dir = build,
                     .kernel_dir = kernel,
                     .kb_path = fake_kb,
                     .build_toml = kernel + "/build.toml",
                     .ninja = ninja};
  RealDisk disk;
  RealProcess process;
  std::string work = build + "/.kb/v1";

  auto first = run_native_build(plan, o, disk, process, env);
  ASSERT_TRUE(first.ok()) << format_error(first.errors().list[0]);
  ASSERT_EQ(first->exit_code, 0);
  EXPECT_TRUE(fs::exists(work + "/a.cpp.o"));
  EXPECT_TRUE(fs::exists(work + "/b.cpp.o"));
  EXPECT_TRUE(fs::exists(work + "/x.so"));
  EXPECT_TRUE(fs::exists(work + "/bundle.stamp"));
  EXPECT_TRUE(fs::exists(build + "/compile_commands.json"));

  std::string log1 = *disk.read_file(build + "/.kb/.ninja_log");
  auto second = run_native_build(plan, o, disk, process, env);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->exit_code, 0);
  // Only the compile order may change, now that the first build timed the compiles.
  for (const auto& f : second->written) EXPECT_EQ(f, build + "/.kb/build.ninja");
  EXPECT_EQ(*disk.read_file(build + "/.kb/.ninja_log"), log1);
  auto settled = run_native_build(plan, o, disk, process, env);
  ASSERT_TRUE(settled.ok());
  EXPECT_TRUE(settled->written.empty());
  EXPECT_EQ(*disk.read_file(build + "/.kb/.ninja_log"), log1);
  auto dry = process.capture({ninja, "-C", build + "/.kb", "-n"}, env);
  ASSERT_TRUE(dry.ok());
  EXPECT_NE(dry->out.find("no work to do"), std::string::npos) << dry->out;

  fs::last_write_time(kernel + "/a.cpp", fs::file_time_type::clock::now());
  auto third = run_native_build(plan, o, disk, process, env);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->exit_code, 0);
  std::string log3 = *disk.read_file(build + "/.kb/.ninja_log");
  auto rebuilt = log_outputs(log3, line_count(log1));
  EXPECT_NE(std::find(rebuilt.begin(), rebuilt.end(), work + "/a.cpp.o"), rebuilt.end());
  EXPECT_EQ(std::find(rebuilt.begin(), rebuilt.end(), work + "/b.cpp.o"), rebuilt.end());
  EXPECT_FALSE(fs::exists(root + "/regen.log"));

  // ninja alone reruns kb once when build.toml changes; an unchanged build.ninja (restat)
  // then counts as up to date instead of being regenerated again and again.
  fs::last_write_time(kernel + "/build.toml", fs::file_time_type::clock::now());
  auto ninja_alone = process.run_attached({ninja, "-C", build + "/.kb"}, env, "");
  ASSERT_TRUE(ninja_alone.ok());
  EXPECT_EQ(ninja_alone->exit_code, 0);
  ASSERT_TRUE(fs::exists(root + "/regen.log"));
  EXPECT_EQ(*disk.read_file(root + "/regen.log"),
            "build " + kernel + " --out " + build + " --generate-only\n");
  ASSERT_TRUE(process.run_attached({ninja, "-C", build + "/.kb"}, env, "").ok());
  EXPECT_EQ(line_count(*disk.read_file(root + "/regen.log")), 1u);
}

}  // namespace
}  // namespace kb::native
