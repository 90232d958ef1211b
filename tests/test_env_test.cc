// kb test / kb develop: the variant each Torch loads, and the test environment.

#include "src/test_env.h"

#include <gtest/gtest.h>

#include "fakes.h"

namespace kb {
namespace {

TorchInstall torch(const std::string& version, std::optional<std::string> cuda,
                   const std::string& python = "/venv/bin/python") {
  TorchInstall t;
  t.python = python;
  t.version_string = version + (cuda ? "+cu" : "+cpu");
  t.version = *Version::parse(version);
  if (cuda) t.cuda = *Version::parse(*cuda);
  return t;
}

const std::string k_cpu211 = "torch211-cxx11-cpu-x86_64-linux";
const std::string k_cpu212 = "torch212-cxx11-cpu-x86_64-linux";
const std::string k_cu130 = "torch211-cxx11-cu130-x86_64-linux";
const std::string k_cu126 = "torch211-cxx11-cu126-x86_64-linux";
const std::string k_abi211 = "torch-stable-abi211-cu130-x86_64-linux";
const std::string k_abi210 = "torch-stable-abi210-cu130-x86_64-linux";
const std::string k_abi212 = "torch-stable-abi212-cu130-x86_64-linux";

std::optional<std::string> pick(const std::vector<std::string>& folders, const TorchInstall& t,
                                Backend b) {
  return loader_pick(folders, t, b, "x86_64", "linux");
}

TEST(KernelTest, RepoIdIsTheHubIdElseKernelsCommunity) {
  Config c;
  c.name = "relu";
  EXPECT_EQ(test_repo_id(c), "kernels-community/relu");
  c.hub_repo_id = "kb-examples/relu";
  EXPECT_EQ(test_repo_id(c), "kb-examples/relu");
}

TEST(KernelTest, LoaderBackendFollowsTorchsBuild) {
  EXPECT_EQ(loader_backend(torch("2.11.0", "13.0")), Backend::cuda);
  EXPECT_EQ(loader_backend(torch("2.11.0", std::nullopt)), Backend::cpu);
  TorchInstall rocm = torch("2.11.0", std::nullopt);
  rocm.hip = *Version::parse("6.4");
  EXPECT_EQ(loader_backend(rocm), Backend::rocm);
}

// The table of loader-contract.md A.3 for torch 2.11.0+cu130.
TEST(KernelTest, PicksAsTheLoaderRanks) {
  const auto t = torch("2.11.0", "13.0");
  EXPECT_EQ(pick({k_cu130, k_abi210, k_abi211, k_abi212}, t, Backend::cuda), k_abi211);
  EXPECT_EQ(pick({k_cu130, k_abi210}, t, Backend::cuda), k_abi210);              // stable ABI first
  EXPECT_EQ(pick({k_cu130, k_cu126, "torch-cuda"}, t, Backend::cuda), k_cu130);  // higher minor
  EXPECT_EQ(pick({"torch212-cxx11-cu130-x86_64-linux", "torch-cuda"}, t, Backend::cuda),
            "torch-cuda");  // Torch must match exactly; noarch last
  EXPECT_EQ(
      pick({"torch211-cxx11-cu132-x86_64-linux", "torch211-cxx11-cu120-x86_64-linux", k_abi212}, t,
           Backend::cuda),
      std::nullopt);  // CUDA minor too high, major differs, ABI too new
  EXPECT_EQ(pick({"torch211-cxx11-cu130-aarch64-linux"}, t, Backend::cuda), std::nullopt);
  EXPECT_EQ(pick({k_cpu211, k_cu130}, t, Backend::cpu), k_cpu211);
  EXPECT_EQ(pick({k_cpu211}, t, Backend::cuda), std::nullopt);
  EXPECT_EQ(pick({".kb", "notes", "torch-universal"}, t, Backend::cuda), std::nullopt);
}

TEST(KernelTest, Cxx98TorchRejectsKbsTaggedArchNames) {
  auto t = torch("2.11.0", std::nullopt);
  t.cxx11_abi = false;
  EXPECT_EQ(pick({k_cpu211, "torch-stable-abi211-cpu-x86_64-linux"}, t, Backend::cpu),
            "torch-stable-abi211-cpu-x86_64-linux");
  EXPECT_EQ(pick({k_cpu211}, t, Backend::cpu), std::nullopt);
}

TEST(KernelTest, EachTorchGetsItsBackendElseTheCpuBundle) {
  const std::vector<std::string> built = {k_cpu211, k_cpu212, k_cu130};
  auto targets = plan_test_targets(
      {torch("2.11.0", "13.0", "/a/bin/python"), torch("2.12.0", "13.0", "/b/bin/python"),
       torch("2.13.0", std::nullopt, "/c/bin/python")},
      built, "x86_64", "linux");
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].python, "/a/bin/python");
  EXPECT_EQ(targets[0].variant, k_cu130);
  EXPECT_EQ(targets[0].backend, Backend::cuda);
  EXPECT_EQ(targets[1].variant, k_cpu212);  // no 2.12 CUDA build: the CPU one is reachable
  EXPECT_EQ(targets[1].backend, Backend::cpu);
  EXPECT_EQ(targets[2].variant, std::nullopt);
  EXPECT_EQ(targets[2].why_none, "no cpu variant is built for torch 2.13 on x86_64-linux");
}

TEST(KernelTest, EnvironmentPointsTheLoaderAtTheBuild) {
  Environment base({{"PATH", "/usr/bin"},
                    {"PYTHONPATH", "/mine"},
                    {"LOCAL_KERNELS", "org/other=/o:kb-examples/relu=/stale"}});
  auto env =
      kernel_test_environment(base, {"kb-examples/relu", "/k/build", k_cpu211, std::nullopt});
  EXPECT_EQ(env.get("LOCAL_KERNELS"), "kb-examples/relu=/k/build:org/other=/o");
  EXPECT_EQ(env.get("PYTHONPATH"),
            "/k/build/.kb/import/" + k_cpu211 + ":/k/build/" + k_cpu211 + ":/mine");
  EXPECT_EQ(env.get("KB_KERNEL_BUILD"), "/k/build");
  EXPECT_EQ(env.get("KB_VARIANT"), k_cpu211);
  EXPECT_EQ(env.get("PATH"), "/usr/bin");
  EXPECT_EQ(env.get("VIRTUAL_ENV"), std::nullopt);

  auto shell =
      kernel_test_environment(Environment(std::map<std::string, std::string>{{"PATH", "/usr/bin"}}),
                              {"org/k", "/k/build", std::nullopt, "/venv"});
  EXPECT_EQ(shell.get("LOCAL_KERNELS"), "org/k=/k/build");
  EXPECT_EQ(shell.get("PYTHONPATH"), std::nullopt);
  EXPECT_EQ(shell.get("KB_VARIANT"), std::nullopt);
  EXPECT_EQ(shell.get("PATH"), "/venv/bin:/usr/bin");
  EXPECT_EQ(shell.get("VIRTUAL_ENV"), "/venv");
}

TEST(KernelTest, PytestCommandAndExitMeanings) {
  EXPECT_EQ(pytest_argv("/v/bin/python", "/k/tests", {"-k", "relu"}),
            (std::vector<std::string>{"/v/bin/python", "-m", "pytest", "/k/tests", "-p",
                                      "no:cacheprovider", "-k", "relu"}));
  EXPECT_EQ(pytest_exit_meaning(0), "all tests passed");
  EXPECT_EQ(pytest_exit_meaning(1), "some tests failed");
  EXPECT_EQ(pytest_exit_meaning(5), "no tests were collected");
  EXPECT_EQ(pytest_exit_meaning(9), "pytest exited with status 9");
}

TEST(KernelTest, ImportShimMakesThePackageTheBundle) {
  std::string text = import_shim_source("/k/build/v \"q\"\\x");
  EXPECT_NE(text.find("__path__ = [\"/k/build/v \\\"q\\\"\\\\x\"]"), std::string::npos) << text;
  EXPECT_NE(text.find("exec(_kb_code)"), std::string::npos);

  FakeDisk disk;
  ASSERT_TRUE(write_import_shim("/k/build", k_cpu211, "relu", disk).ok());
  std::string shim = "/k/build/.kb/import/" + k_cpu211 + "/relu/__init__.py";
  EXPECT_EQ(disk.content(shim), import_shim_source("/k/build/" + k_cpu211));
  disk.log.clear();
  ASSERT_TRUE(write_import_shim("/k/build", k_cpu211, "relu", disk).ok());
  disk.fail_if = [](std::string_view op, const std::string&) { return op == "make_dirs"; };
  EXPECT_FALSE(write_import_shim("/k/build", k_cpu212, "relu", disk).ok());
}

TEST(KernelTest, VenvRootNeedsPyvenvCfg) {
  FakeDisk disk;
  disk.add_file("/venv/pyvenv.cfg", "home = /usr/bin\n");
  disk.add_file("/venv/bin/python", "", true);
  disk.add_file("/usr/bin/python3", "", true);
  EXPECT_EQ(venv_root("/venv/bin/python", disk), "/venv");
  EXPECT_EQ(venv_root("/usr/bin/python3", disk), std::nullopt);
  EXPECT_EQ(venv_root("python3", disk), std::nullopt);
}

TEST(KernelTest, MissingTestsDirSaysHowToAddOne) {
  FakeDisk disk;
  Config c;
  c.name = "relu";
  c.version = 2;
  auto r = kernel_tests_dir("/k", c, disk);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "no tests/ directory in /k");
  EXPECT_NE(r.errors().list[0].hint.find("tests/test_relu.py"), std::string::npos);
  EXPECT_NE(
      r.errors().list[0].hint.find("kernels.get_kernel(\"kernels-community/relu\", version=2)"),
      std::string::npos);
  disk.add_file("/k/tests/test_relu.py", "");
  EXPECT_EQ(*kernel_tests_dir("/k", c, disk), "/k/tests");
}

}  // namespace
}  // namespace kb
