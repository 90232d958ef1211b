// The Nix backend: parsers of captured Nix output, the refs and expressions kb hands to Nix,
// the flake.nix and git-tracking checks, and the prepare/execute flow on fakes.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

#include "backends/nix/flake.h"
#include "backends/nix/preflight.h"
#include "backends/nix/tracked.h"
#include "fakes.h"
#include "kb/nix_backend.h"

namespace kb::nix {
namespace {

std::string read_data(const std::string& rel) {
  std::ifstream in(std::string(KB_TEST_DATA) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Environment env_of(std::map<std::string, std::string> vars) { return Environment(std::move(vars)); }

NixOptions allowing_unsandboxed() {
  NixOptions o;
  o.allow_unsandboxed = true;
  return o;
}

bool mentions(const std::vector<Error>& list, std::string_view text) {
  for (const auto& e : list)
    if (e.message.find(text) != std::string::npos || e.hint.find(text) != std::string::npos)
      return true;
  return false;
}

NixInfo healthy_info() {
  NixInfo info;
  info.program = "/usr/bin/nix";
  info.version = *Version::parse("2.8.0");
  info.version_text = "2.8.0";
  info.sandbox = "true";
  info.system = "x86_64-linux";
  info.substituters = {"https://cache.nixos.org/", "https://huggingface.cachix.org"};
  info.experimental_features = {"nix-command", "flakes"};
  return info;
}

// ---- pre-flight parsers ----------------------------------------------------------------

TEST(NixPreflight, ParsesVersionLines) {
  std::string text;
  auto v = parse_nix_version("nix (Nix) 2.8.0\n", &text);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->str(), "2.8");
  EXPECT_EQ(text, "2.8.0");
  EXPECT_EQ(parse_nix_version("nix (Lix, like Nix) 2.91.1\n")->str(), "2.91.1");
  EXPECT_EQ(parse_nix_version("nix (Determinate Nix 3.6.2) 2.29.0\n")->str(), "2.29");
  EXPECT_EQ(parse_nix_version("nix (Nix) 2.8.0pre20220311_d532269\n")->str(), "2.8");
  EXPECT_FALSE(parse_nix_version("command not found").ok());
}

TEST(NixPreflight, ParsesCapturedShowConfigOfNix28) {
  NixInfo info;
  info.version = *Version::parse("2.8.0");
  ASSERT_TRUE(parse_show_config_json(read_data("nix/show-config-2.8.json"), info).ok());
  EXPECT_EQ(info.sandbox, "false");  // Debian's nix-setup-systemd default
  EXPECT_EQ(info.substituters, std::vector<std::string>{"https://cache.nixos.org/"});
  // 2.8 writes the features as enum numbers ([2, 3]).
  EXPECT_EQ(info.experimental_features, (std::vector<std::string>{"flakes", "nix-command"}));
  EXPECT_EQ(info.store, "auto");
  EXPECT_EQ(info.system, "x86_64-linux");
}

TEST(NixPreflight, ParsesOtherConfigShapes) {
  NixInfo info;
  info.version = *Version::parse("2.24");
  ASSERT_TRUE(
      parse_show_config_json(
          R"({"sandbox":{"value":"relaxed"},"experimental-features":{"value":["nix-command",7]},)"
          R"("substituters":{"value":"https://a https://b"}})",
          info)
          .ok());
  EXPECT_EQ(info.sandbox, "relaxed");
  EXPECT_EQ(info.experimental_features, (std::vector<std::string>{"nix-command", "#7"}));
  EXPECT_EQ(info.substituters, (std::vector<std::string>{"https://a", "https://b"}));
  // Before Nix 2.4, values were bare.
  ASSERT_TRUE(parse_show_config_json(R"({"sandbox":"true"})", info).ok());
  EXPECT_EQ(info.sandbox, "true");
  EXPECT_FALSE(parse_show_config_json("not json", info).ok());
  EXPECT_FALSE(parse_show_config_json(R"({"cores":{"value":2}})", info).ok());
}

TEST(NixPreflight, SandboxOffIsAnErrorWithTheConfigLine) {
  NixInfo info = healthy_info();
  info.sandbox = "false";
  auto r = check_nix(info, {}, Environment{});
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors().list.size(), 1u);
  const Error& e = r.errors().list[0];
  EXPECT_EQ(e.message, "the Nix sandbox is off (sandbox = false)");
  EXPECT_NE(e.hint.find("set `sandbox = true` in /etc/nix/nix.conf"), std::string::npos);
  EXPECT_NE(e.hint.find("--allow-unsandboxed"), std::string::npos);

  // When NIX_CONFIG sets it, the fix says so.
  Environment env = env_of({{"NIX_CONFIG", "substituters =\nsandbox = false\n"}});
  auto from_env = check_nix(info, {}, env);
  ASSERT_FALSE(from_env.ok());
  EXPECT_NE(from_env.errors().list[0].hint.find("NIX_CONFIG"), std::string::npos);

  auto allowed = check_nix(info, allowing_unsandboxed(), Environment{});
  ASSERT_TRUE(allowed.ok());
  EXPECT_TRUE(mentions(allowed->notes, "--allow-unsandboxed"));
}

TEST(NixPreflight, RelaxedSandboxIsRefusedOnLinuxOnly) {
  NixInfo info = healthy_info();
  info.sandbox = "relaxed";
  EXPECT_FALSE(check_nix(info, {}, Environment{}).ok());
  info.system = "aarch64-darwin";
  EXPECT_TRUE(check_nix(info, {}, Environment{}).ok());
}

TEST(NixPreflight, OldNixIsAnError) {
  NixInfo info = healthy_info();
  info.version = *Version::parse("2.3.16");
  info.version_text = "2.3.16";
  auto r = check_nix(info, {}, Environment{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "Nix 2.3.16 is too old for kb's Nix backend");
}

TEST(NixPreflight, DisabledFlakesAndCachesAreNotesNotErrors) {
  NixInfo info = healthy_info();
  info.experimental_features = {};
  info.substituters = {"https://huggingface-kernels.cachix.org"};
  auto r = check_nix(info, {}, Environment{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(mentions(r->notes, "does not enable flakes"));
  EXPECT_TRUE(mentions(r->notes, "is not the Hugging Face binary cache"));
  EXPECT_TRUE(mentions(r->notes, "Hugging Face binary cache is not among the substituters"));
  EXPECT_TRUE(check_nix(healthy_info(), {}, Environment{})->notes.empty());
}

// A PATH holding an executable named `nix` that is never run (FakeProcess answers).
class NixOnPath : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = ::testing::TempDir() + "kb-nix-test-bin";
    ::mkdir(dir.c_str(), 0755);
    nix = dir + "/nix";
    std::ofstream(nix) << "#!/bin/sh\nexit 99\n";
    ::chmod(nix.c_str(), 0755);
    env.set("PATH", dir);
  }
  std::string dir, nix;
  Environment env;
};

TEST(NixPreflight, MissingNixSaysHowToInstallIt) {
  FakeProcess process;
  auto r = nix_preflight(process, env_of({{"PATH", "/nonexistent-kb"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "nix not found");
  EXPECT_EQ(r.errors().list[0].hint,
            "install it (apt-get install nix-bin) or use the native backend (default)");
  EXPECT_EQ(process.total_calls(), 0);
}

TEST_F(NixOnPath, PreflightReadsTheConfigWithKbsFlagsAndPingsCaches) {
  FakeProcess process;
  process.on({nix, "--version"}, "nix (Nix) 2.8.0\n");
  process.on({nix, "show-config", "--json"},
             Captured{1, "", "error: experimental Nix feature 'nix-command' is disabled"});
  process.on(nix_argv(nix, {"show-config", "--json"}), read_data("nix/show-config-2.8.json"));
  process.on(nix_argv(nix, {"store", "ping", "--store", "https://cache.nixos.org/", "--option",
                            "connect-timeout", "3", "--option", "download-attempts", "1"}),
             Captured{1, "", "Couldn't resolve host name"});
  auto r = nix_preflight(process, env, allowing_unsandboxed());
  ASSERT_TRUE(r.ok()) << format_error(r.errors().list[0]);
  EXPECT_EQ(r->program, nix);
  EXPECT_EQ(r->version_text, "2.8.0");
  // nix-command came from kb's flag, not from the configuration.
  EXPECT_TRUE(r->experimental_features.empty());
  EXPECT_TRUE(mentions(r->notes, "does not enable flakes"));
  EXPECT_TRUE(mentions(r->notes, "substituter https://cache.nixos.org/ does not answer"));
}

// ---- flake refs, attributes, expressions ----------------------------------------------------

TEST(NixFlake, RefIsGitFileInsideGitAndPathOutside) {
  Version v28 = *Version::parse("2.8");
  KernelSource top{"/src/relu", "/src/relu", ""};
  EXPECT_EQ(*flake_ref(top, v28), "git+file:///src/relu");
  KernelSource sub{"/src/mono/kernels/relu", "/src/mono", "kernels/relu/"};
  EXPECT_EQ(*flake_ref(sub, v28), "git+file:///src/mono?dir=kernels/relu");
  KernelSource plain{"/tmp/relu/", std::nullopt, ""};
  EXPECT_EQ(*flake_ref(plain, v28), "path:/tmp/relu");
  KernelSource spaced{"/tmp/my kernel", std::nullopt, ""};
  EXPECT_EQ(*flake_ref(spaced, v28), "path:/tmp/my%20kernel");
  // Nix 2.8 does not decode %-escapes in git+file URLs.
  KernelSource spaced_git{"/tmp/my kernel", "/tmp/my kernel", ""};
  EXPECT_FALSE(flake_ref(spaced_git, v28).ok());
  EXPECT_EQ(*flake_ref(spaced_git, *Version::parse("2.19")), "git+file:///tmp/my%20kernel");
}

TEST(NixFlake, AttributesPerRequest) {
  EXPECT_EQ(build_attributes({}), std::vector<std::string>{"bundle"});
  EXPECT_EQ(build_attributes({"torch211-cxx11-cu130-x86_64-linux", "torch-cuda"}),
            (std::vector<std::string>{"redistributable.torch211-cxx11-cu130-x86_64-linux",
                                      "redistributable.torch-cuda"}));
  EXPECT_EQ(build_attributes({"odd.name"}),
            std::vector<std::string>{"redistributable.\"odd.name\""});
}

TEST(NixFlake, StringsAndBuilderRefs) {
  EXPECT_EQ(nix_string("a\"b\\c${d}$e"), R"("a\"b\\c\${d}$e")");
  EXPECT_EQ(*kernel_builder_ref("/src/kernels/"), "path:/src/kernels");
  EXPECT_EQ(*kernel_builder_ref("github:huggingface/kernels/abc"),
            "github:huggingface/kernels/abc");
  EXPECT_FALSE(kernel_builder_ref("../kernels").ok());
  EXPECT_FALSE(kernel_builder_ref("").ok());
}

TEST(NixFlake, ExpressionWithoutFlakeNix) {
  KernelSource source{"/src/mono/relu", "/src/mono", "relu/"};
  SelfRevision rev{"0123456", "0123456789abcdef0123456789abcdef01234567", false};
  EXPECT_EQ(build_expression(source, rev, "github:huggingface/kernels", false),
            "let\n"
            "  kernelBuilder = builtins.getFlake \"github:huggingface/kernels\";\n"
            "  source = /. + builtins.unsafeDiscardStringContext ((builtins.fetchGit { url = "
            "\"/src/mono\"; }).outPath + \"/relu\");\n"
            "  revision = { shortRev = \"0123456\"; rev = "
            "\"0123456789abcdef0123456789abcdef01234567\"; };\n"
            "  outputs = kernelBuilder.lib.genKernelFlakeOutputs { path = source; self = revision; "
            "};\n"
            "in\n"
            "outputs.packages.${builtins.currentSystem}\n");
}

TEST(NixFlake, ExpressionRevisionsAndKernelFlake) {
  KernelSource plain{"/tmp/relu", std::nullopt, ""};
  std::string e =
      build_expression(plain, SelfRevision{"srcabcdefghij", "", false}, "path:/kb", true);
  EXPECT_NE(e.find("source = /. + \"/tmp/relu\";"), std::string::npos);
  EXPECT_NE(e.find("revision = { shortRev = \"srcabcdefghij\"; };"), std::string::npos);
  EXPECT_NE(e.find("flake = import (source + \"/flake.nix\");"), std::string::npos);
  EXPECT_NE(e.find("kernel-builder = kernelBuilder;"), std::string::npos);
  EXPECT_EQ(e.find("genKernelFlakeOutputs"), std::string::npos);

  KernelSource git{"/k", "/k", ""};
  std::string d =
      build_expression(git, SelfRevision{"0123456", std::string(40, 'a'), true}, "x", false);
  EXPECT_NE(d.find("dirtyShortRev = \"0123456-dirty\"; dirtyRev = \"" + std::string(40, 'a') +
                   "-dirty\";"),
            std::string::npos);
  EXPECT_NE(d.find("source = /. + builtins.unsafeDiscardStringContext (builtins.fetchGit { url = "
                   "\"/k\"; }).outPath;"),
            std::string::npos);
}

TEST(NixFlake, ParsesVariantsJson) {
  auto v = parse_variants_json(R"(["torch211-cxx11-cpu-x86_64-linux","torch-cuda"])");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->size(), 2u);
  EXPECT_FALSE(parse_variants_json(R"({"a":1})").ok());
  EXPECT_FALSE(parse_variants_json(R"([1])").ok());
  EXPECT_FALSE(parse_variants_json("").ok());
}

// ---- flake.nix checks ---------------------------------------------------------------------

TEST(NixFlakeCheck, CanonicalFlakeIsClean) {
  std::string text = canonical_flake_nix(k_default_kernel_builder);
  FlakeCheck c = check_flake_nix(text, "flake.nix", std::nullopt);
  EXPECT_TRUE(c.errors.empty());
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_TRUE(c.calls_gen_kernel);
  EXPECT_EQ(c.builder_url, "github:huggingface/kernels");
  EXPECT_NE(canonical_flake_nix("path:/x").find("inputs.kernel-builder.url = \"path:/x\";"),
            std::string::npos);
}

TEST(NixFlakeCheck, RenamedEntryPointWithTheCurrentBuilderIsAnError) {
  std::string text =
      "{\n"
      "  inputs.kernel-builder.url = \"github:huggingface/kernels\";\n"
      "  outputs = { self, kernel-builder }:\n"
      "    kernel-builder.lib.genFlakeOutputs {\n"
      "      path = ./.;\n"
      "      rev = self.shortRev or self.dirtyShortRev or self.lastModifiedDate;\n"
      "    };\n"
      "}\n";
  FlakeCheck c = check_flake_nix(text, "/k/flake.nix", std::nullopt);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_NE(c.errors[0].message.find("renamed to genKernelFlakeOutputs"), std::string::npos);
  ASSERT_TRUE(c.errors[0].loc);
  EXPECT_EQ(c.errors[0].loc->file, "/k/flake.nix");
  EXPECT_EQ(c.errors[0].loc->line, 4);
  EXPECT_EQ(c.errors[0].loc->col, 24);
  EXPECT_NE(c.errors[0].hint.find("genKernelFlakeOutputs { inherit self; path = ./.; }"),
            std::string::npos);
}

TEST(NixFlakeCheck, OldRepositoryMakesThemWarnings) {
  std::string text =
      "{ inputs = { kernel-builder = { url = \"github:huggingface/kernel-builder\"; }; };\n"
      "  outputs = { self, kernel-builder }: kernel-builder.lib.genFlakeOutputs ./.; }\n";
  FlakeCheck c = check_flake_nix(text, "flake.nix", std::nullopt);
  EXPECT_TRUE(c.errors.empty());
  EXPECT_EQ(c.builder_url, "github:huggingface/kernel-builder");
  EXPECT_TRUE(mentions(c.warnings, "renamed to genKernelFlakeOutputs"));
  EXPECT_TRUE(mentions(c.warnings, "the archived repository"));
  // Overriding the builder with the current one makes them errors again.
  FlakeCheck o = check_flake_nix(text, "flake.nix", std::string("github:huggingface/kernels"));
  EXPECT_TRUE(mentions(o.errors, "renamed to genKernelFlakeOutputs"));
}

TEST(NixFlakeCheck, RemovedBundleFunctionsRevAndSelf) {
  FlakeCheck gone = check_flake_nix(
      "{ outputs = { self, kernel-builder }: { packages.x86_64-linux.default = "
      "kernel-builder.lib.x86_64-linux.buildTorchExtensionBundle ./.; }; }",
      "flake.nix", std::nullopt);
  EXPECT_TRUE(mentions(gone.errors, "lib.<system>.buildTorchExtensionBundle"));

  FlakeCheck rev = check_flake_nix(
      "{ outputs = { self, kernel-builder }: kernel-builder.lib.genKernelFlakeOutputs {\n"
      "  path = ./.; rev = self.shortRev; }; }",
      "flake.nix", std::nullopt);
  ASSERT_EQ(rev.errors.size(), 1u);
  EXPECT_NE(rev.errors[0].message.find("passes `rev`"), std::string::npos);
  EXPECT_EQ(rev.errors[0].loc->line, 2);
  EXPECT_EQ(rev.errors[0].loc->col, 15);

  FlakeCheck no_self = check_flake_nix(
      "{ outputs = { self, kernel-builder }: kernel-builder.lib.genKernelFlakeOutputs "
      "{ path = ./.; }; }",
      "flake.nix", std::nullopt);
  EXPECT_TRUE(mentions(no_self.errors, "does not pass `self`"));

  // A `rev` outside the call's arguments is not the call's.
  FlakeCheck rev_elsewhere = check_flake_nix(
      canonical_flake_nix(k_default_kernel_builder) + "\n# and\n{ pinned = { rev = \"abc\"; }; }\n",
      "flake.nix", std::nullopt);
  EXPECT_TRUE(rev_elsewhere.errors.empty());

  FlakeCheck inherit_many = check_flake_nix(
      "{ outputs = { self, kernel-builder }: kernel-builder.lib.genKernelFlakeOutputs "
      "{ inherit path self; }; }",
      "flake.nix", std::nullopt);
  EXPECT_TRUE(inherit_many.errors.empty());
}

TEST(NixFlakeCheck, CommentsAreIgnored) {
  std::string text = canonical_flake_nix(k_default_kernel_builder) +
                     "# once: kernel-builder.lib.genFlakeOutputs\n"
                     "/* lib.x86_64-linux.mkTorchExtensionBundle */\n";
  FlakeCheck c = check_flake_nix(text, "flake.nix", std::nullopt);
  EXPECT_TRUE(c.errors.empty());
  // '#' inside a string is not a comment.
  FlakeCheck s = check_flake_nix("{ x = \"a#b\"; y = ''c # ${d}''; outputs = _: genFlakeOutputs; }",
                                 "flake.nix", std::nullopt);
  EXPECT_EQ(s.errors.size(), 1u);
}

// ---- git tracking -------------------------------------------------------------------------

TEST(NixTracked, NeededFilesFollowTheSourceSet) {
  Config config = sample_config();
  auto needed = needed_files(config,
                             {"torch-ext/relu/__init__.py", "torch-ext/relu/_ops.pyi",
                              "torch-ext/relu/weights.bin", "torch-ext/torch_binding.cpp"},
                             true, {"CARD.md"});
  std::vector<std::string> paths;
  for (const auto& f : needed) paths.push_back(f.path + (f.required ? "" : " (optional)"));
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "CARD.md (optional)", "build.toml", "flake.nix", "relu_cpu/relu.cpp",
                       "relu_cuda/launch.cpp", "relu_cuda/relu.cu", "relu_cuda/relu.cuh",
                       "torch-ext/relu/__init__.py", "torch-ext/relu/_ops.pyi",
                       "torch-ext/torch_binding.cpp", "torch-ext/torch_binding.h"}));
}

TEST(NixTracked, ParsesNulSeparatedList) {
  EXPECT_EQ(parse_nul_separated(std::string("a\0b c\0", 6)),
            (std::vector<std::string>{"a", "b c"}));
  EXPECT_TRUE(parse_nul_separated("").empty());
}

TEST(NixTracked, UntrackedFilesAreNamedWithTheFix) {
  SourceLoc where{"/k/build.toml", 12, 8};
  std::vector<NeededFile> needed{{"build.toml", std::nullopt, true},
                                 {"src/new.cu", where, true},
                                 {"third_party/cutlass/x.h", std::nullopt, true},
                                 {"CARD.md", std::nullopt, false}};
  TrackingReport r = check_tracked(needed, {"build.toml", "third_party/cutlass"});
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].message,
            "'src/new.cu' is not tracked by git, so Nix, which builds the checkout's tracked "
            "files, will not see it");
  EXPECT_EQ(r.errors[0].hint, "git add src/new.cu");
  EXPECT_EQ(r.errors[0].loc->line, 12);
  EXPECT_NE(r.errors[1].message.find("inside git submodule 'third_party/cutlass'"),
            std::string::npos);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].message.find("'CARD.md' is not tracked"), std::string::npos);
}

// ---- prepare / execute on fakes -----------------------------------------------------------

const char* k_build_toml =
    "[general]\n"
    "name = \"relu\"\n"
    "version = 1\n"
    "edition = 5\n"
    "license = \"Apache-2.0\"\n"
    "backends = [\"cpu\"]\n"
    "\n"
    "[torch]\n"
    "src = [\"torch-ext/torch_binding.cpp\"]\n"
    "\n"
    "[kernel.relu_cpu]\n"
    "backend = \"cpu\"\n"
    "depends = [\"torch\"]\n"
    "src = [\"relu_cpu/relu.cpp\"]\n";

const std::string k_commit = "0123456789abcdef0123456789abcdef01234567";

class NixFlow : public NixOnPath {
 protected:
  void SetUp() override {
    NixOnPath::SetUp();
    disk.add_file("/k/build.toml", k_build_toml);
    disk.add_file("/k/torch-ext/torch_binding.cpp", "");
    disk.add_file("/k/torch-ext/relu/__init__.py", "");
    disk.add_file("/k/relu_cpu/relu.cpp", "");
    disk.add_file("/k/flake.nix", canonical_flake_nix(k_default_kernel_builder));
    disk.add_file("/k/flake.lock", "{}");
    process.on({nix, "--version"}, "nix (Nix) 2.8.0\n");
    process.on({nix, "show-config", "--json"},
               R"({"sandbox":{"value":true},"experimental-features":{"value":[2,3]},)"
               R"("substituters":{"value":["https://huggingface.cachix.org"]},)"
               R"("system":{"value":"x86_64-linux"}})");
    process.on(
        nix_argv(nix, {"store", "ping", "--store", "https://huggingface.cachix.org", "--option",
                       "connect-timeout", "3", "--option", "download-attempts", "1"}),
        "");
    git_checkout({"build.toml", "flake.lock", "flake.nix", "relu_cpu/relu.cpp",
                  "torch-ext/relu/__init__.py", "torch-ext/torch_binding.cpp"},
                 false);
    request.kernel_dir = "/k";
  }

  void git_checkout(const std::vector<std::string>& tracked, bool dirty) {
    process.on({"git", "-C", "/k", "rev-parse", "--show-toplevel", "--show-prefix"}, "/k\n\n");
    process.on({"git", "-C", "/k", "rev-parse", "HEAD^{tree}"}, std::string(40, 'b') + "\n");
    process.on({"git", "-C", "/k", "rev-parse", "HEAD"}, k_commit + "\n");
    process.on({"git", "-C", "/k", "status", "--porcelain", "--untracked-files=no",
                "--ignore-submodules=all"},
               dirty ? " M relu_cpu/relu.cpp\n" : "");
    std::string z;
    for (const auto& t : tracked) z += t + '\0';
    process.on({"git", "-C", "/k", "ls-files", "-z"}, z);
  }

  FakeDisk disk;
  FakeProcess process;
  NixBuildRequest request;
};

TEST_F(NixFlow, FlakeKernelBuildsTheBundleFromItsGitCheckout) {
  auto plan = nix_prepare(request, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  EXPECT_EQ(plan->route, NixRoute::flake);
  EXPECT_EQ(plan->flake_ref, "git+file:///k");
  EXPECT_TRUE(plan->notes.empty()) << plan->notes[0].message;
  EXPECT_EQ(plan->build_argv, nix_argv(nix, {"build", "-L", "-o", "/k/build/.kb/nix-result",
                                             "git+file:///k#bundle"}));

  // The fake nix build leaves a bundle behind the result link.
  process.on_run(plan->build_argv, 0, [&] {
    disk.add_file("/k/build/.kb/nix-result/torch211-cxx11-cpu-x86_64-linux/__init__.py", "init");
    disk.add_file("/k/build/.kb/nix-result/torch211-cxx11-cpu-x86_64-linux/metadata.json", "{}");
    disk.add_file("/k/build/.kb/nix-result/CARD.md", "card");
    disk.add_file("/k/build/.kb/nix-result/benchmarks/benchmark.py", "b");
  });
  disk.add_file("/k/build/torch211-cxx11-cpu-x86_64-linux/stale.py", "old");
  auto outcome = nix_execute(*plan, disk, process, env);
  ASSERT_TRUE(outcome.ok()) << format_error(outcome.errors().list[0]);
  EXPECT_EQ(outcome->variants, std::vector<std::string>{"torch211-cxx11-cpu-x86_64-linux"});
  EXPECT_EQ(outcome->extras, (std::vector<std::string>{"CARD.md", "benchmarks"}));
  EXPECT_EQ(disk.content("/k/build/torch211-cxx11-cpu-x86_64-linux/__init__.py"), "init");
  EXPECT_FALSE(disk.has_file("/k/build/torch211-cxx11-cpu-x86_64-linux/stale.py"));
  EXPECT_EQ(disk.content("/k/build/CARD.md"), "card");
  EXPECT_EQ(disk.content("/k/build/benchmarks/benchmark.py"), "b");
  bool swapped = false;
  for (const auto& l : disk.log)
    swapped |= l ==
               "replace /k/build/.kb/stage/torch211-cxx11-cpu-x86_64-linux -> "
               "/k/build/torch211-cxx11-cpu-x86_64-linux";
  EXPECT_TRUE(swapped);
}

TEST_F(NixFlow, VariantIsCheckedAgainstTheFlake) {
  process.on(nix_argv(nix, {"eval", "--json", "git+file:///k#variants"}),
             R"(["torch211-cxx11-cpu-x86_64-linux"])");
  request.variants = {"torch211-cxx11-cpu-x86_64-linux"};
  auto plan = nix_prepare(request, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  EXPECT_EQ(plan->build_argv.back(),
            "git+file:///k#redistributable.torch211-cxx11-cpu-x86_64-linux");

  request.variants = {"torch211-cxx11-cpu-x86_64-linu"};
  auto bad = nix_prepare(request, disk, process, env);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.errors().list[0].message,
            "variant 'torch211-cxx11-cpu-x86_64-linu' is not built by this kernel's flake on "
            "x86_64-linux");
  EXPECT_NE(bad.errors().list[0].hint.find("did you mean 'torch211-cxx11-cpu-x86_64-linux'?"),
            std::string::npos);
}

TEST_F(NixFlow, UntrackedSourceStopsBeforeNixBuilds) {
  git_checkout({"build.toml", "flake.lock", "flake.nix", "torch-ext/relu/__init__.py",
                "torch-ext/torch_binding.cpp"},
               false);
  auto plan = nix_prepare(request, disk, process, env);
  ASSERT_FALSE(plan.ok());
  ASSERT_EQ(plan.errors().list.size(), 1u);
  EXPECT_NE(plan.errors().list[0].message.find("'relu_cpu/relu.cpp' is not tracked by git"),
            std::string::npos);
  ASSERT_TRUE(plan.errors().list[0].loc);
  EXPECT_EQ(plan.errors().list[0].loc->file, "/k/build.toml");
  for (const auto& call : process.log) EXPECT_FALSE(call.attached);
}

TEST_F(NixFlow, KernelBuilderOverrideImportsTheFlakeImpurely) {
  git_checkout({"build.toml", "flake.lock", "flake.nix", "relu_cpu/relu.cpp",
                "torch-ext/relu/__init__.py", "torch-ext/torch_binding.cpp"},
               true);
  request.kernel_builder = "/src/fake-kb";
  request.options.max_jobs = 2;
  auto plan = nix_prepare(request, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  EXPECT_EQ(plan->route, NixRoute::flake_with_builder);
  EXPECT_NE(plan->expression.find("builtins.getFlake \"path:/src/fake-kb\""), std::string::npos);
  EXPECT_NE(plan->expression.find("dirtyShortRev = \"0123456-dirty\""), std::string::npos);
  EXPECT_TRUE(mentions(plan->notes, "uncommitted changes"));
  auto expected = nix_argv(nix, {"build", "-L", "-o", "/k/build/.kb/nix-result", "--impure",
                                 "--expr", plan->expression, "bundle", "--max-jobs", "2"});
  EXPECT_EQ(plan->build_argv, expected);
}

TEST_F(NixFlow, KernelWithoutFlakeOutsideGitUsesAContentId) {
  ASSERT_TRUE(disk.remove_all("/k/flake.nix").ok());
  process.on({"git", "-C", "/k", "rev-parse", "--show-toplevel", "--show-prefix"},
             Captured{128, "", "fatal: not a git repository"});
  auto plan = nix_prepare(request, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  EXPECT_EQ(plan->route, NixRoute::expression);
  EXPECT_NE(plan->expression.find("source = /. + \"/k\";"), std::string::npos);
  EXPECT_NE(plan->expression.find("revision = { shortRev = \"src"), std::string::npos);
  EXPECT_NE(plan->expression.find("getFlake \"github:huggingface/kernels\""), std::string::npos);
  EXPECT_TRUE(mentions(plan->notes, "no flake.nix"));
}

TEST_F(NixFlow, FlakeKernelOutsideGitIsRefused) {
  process.on({"git", "-C", "/k", "rev-parse", "--show-toplevel", "--show-prefix"},
             Captured{128, "", "fatal: not a git repository"});
  auto plan = nix_prepare(request, disk, process, env);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(mentions(plan.errors().list, "not in a git checkout"));
}

TEST_F(NixFlow, FailedBuildKeepsBuildDirAndShowsTheCommand) {
  auto plan = nix_prepare(request, disk, process, env);
  ASSERT_TRUE(plan.ok());
  process.on_run(plan->build_argv, 1);
  auto r = nix_execute(*plan, disk, process, env);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "nix build failed (exit 1)");
  EXPECT_NE(r.errors().list[0].hint.find("git+file:///k#bundle"), std::string::npos);
  process.on_run(plan->build_argv, 130);
  EXPECT_EQ(nix_execute(*plan, disk, process, env).errors().list[0].message,
            "nix build was interrupted");
}

TEST_F(NixFlow, RelativeKernelDirIsRefused) {
  request.kernel_dir = "k";
  auto plan = nix_prepare(request, disk, process, env);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(process.total_calls(), 0);
}

TEST_F(NixFlow, WritesTheCanonicalFlakeOnlyWhenAsked) {
  EXPECT_FALSE(write_canonical_flake("/k", disk).ok());
  ASSERT_TRUE(disk.remove_all("/k/flake.nix").ok());
  ASSERT_TRUE(write_canonical_flake("/k", disk).ok());
  EXPECT_EQ(disk.content("/k/flake.nix"), canonical_flake_nix(k_default_kernel_builder));
}

// ---- kb test / kb develop --backend=nix -------------------------------------------------

TEST_F(NixFlow, TestWithoutVariantBuildsAndRunsTheFlakesCiTest) {
  NixShellRequest shell{request, /*test=*/true, {}};
  auto plan = nix_prepare_shell(shell, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  EXPECT_TRUE(plan->run_result);
  EXPECT_EQ(plan->plan.build_argv, nix_argv(nix, {"build", "-L", "-o", "/k/build/.kb/nix-ci-test",
                                                  "git+file:///k#ci-test"}));
  int ran_script = 0;
  process.on_run(plan->plan.build_argv, 0,
                 [&] { disk.add_file("/k/build/.kb/nix-ci-test", "#!/bin/sh\n", true); });
  process.on_run({"/k/build/.kb/nix-ci-test"}, 1, [&] { ++ran_script; });
  auto code = nix_run_shell(*plan, disk, process, env);
  ASSERT_TRUE(code.ok()) << format_error(code.errors().list[0]);
  EXPECT_EQ(*code, 1);  // the script's status is the tests' status
  EXPECT_EQ(ran_script, 1);
  EXPECT_EQ(process.log.back().cwd, "/k");
}

TEST_F(NixFlow, CiTestTakesNoPytestArgumentsAndOneVariantAtMost) {
  NixShellRequest shell{request, /*test=*/true, {"-k", "relu"}};
  auto r = nix_prepare_shell(shell, disk, process, env);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors().list[0].hint.find("--variant V"), std::string::npos);
  shell.command.clear();
  shell.build.variants = {"a", "b"};
  EXPECT_FALSE(nix_prepare_shell(shell, disk, process, env).ok());
  EXPECT_EQ(process.total_calls(), 0);
}

TEST_F(NixFlow, TestWithVariantRunsPytestInTheTestShell) {
  const std::string v = "torch211-cxx11-cpu-x86_64-linux";
  process.on(nix_argv(nix, {"eval", "--json", "git+file:///k#archVariants"}), "[\"" + v + "\"]");
  NixShellRequest shell{request, /*test=*/true, {"-x"}};
  shell.build.variants = {v};
  auto plan = nix_prepare_shell(shell, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  EXPECT_FALSE(plan->run_result);
  EXPECT_EQ(plan->argv,
            nix_argv(nix, {"develop", "git+file:///k#testShells." + v, "--command", "python3", "-m",
                           "pytest", "/k/tests", "-p", "no:cacheprovider", "-x"}));
  process.on_run(plan->argv, 5);
  auto code = nix_run_shell(*plan, disk, process, env);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 5);

  shell.build.variants = {"torch211-cxx11-cpu-x86_64-linu"};
  auto bad = nix_prepare_shell(shell, disk, process, env);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.errors().list[0].hint.find("did you mean '" + v + "'?"), std::string::npos);
}

TEST_F(NixFlow, DevelopEntersTheDefaultOrTheVariantsDevShell) {
  NixShellRequest shell{request, /*test=*/false, {}};
  auto plan = nix_prepare_shell(shell, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  EXPECT_EQ(plan->argv, nix_argv(nix, {"develop", "git+file:///k#default"}));

  const std::string v = "torch211-cxx11-cpu-x86_64-linux";
  process.on(nix_argv(nix, {"eval", "--json", "git+file:///k#archVariants"}), "[\"" + v + "\"]");
  shell.build.variants = {v};
  shell.command = {"python3", "-c", "print(1)"};
  plan = nix_prepare_shell(shell, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  EXPECT_EQ(plan->argv, nix_argv(nix, {"develop", "git+file:///k#devShells." + v, "--command",
                                       "python3", "-c", "print(1)"}));
}

TEST_F(NixFlow, ImpureRoutesEnterShellsThroughTheDevShellsSet) {
  request.kernel_builder = "/src/fake-kb";
  NixShellRequest shell{request, /*test=*/false, {"true"}};
  auto plan = nix_prepare_shell(shell, disk, process, env);
  ASSERT_TRUE(plan.ok()) << format_error(plan.errors().list[0]);
  ASSERT_NE(plan->plan.shell_expression.find("outputs.devShells.${builtins.currentSystem}"),
            std::string::npos);
  EXPECT_EQ(plan->argv, nix_argv(nix, {"develop", "--impure", "--expr", plan->plan.shell_expression,
                                       "default", "--command", "true"}));
}

}  // namespace
}  // namespace kb::nix
