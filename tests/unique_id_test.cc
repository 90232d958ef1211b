#include "kb/unique_id.h"

#include <gtest/gtest.h>

#include "tests/fakes.h"

namespace kb {
namespace {

constexpr const char* k_tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
constexpr const char* k_commit = "0123456789ABCDEF0123456789abcdef01234567";

TEST(UniqueId, FromTreeTakesSevenHexDigits) {
  EXPECT_EQ(*unique_id_from_tree(std::string(k_tree) + "\n", false), "4b825dc");
  EXPECT_EQ(*unique_id_from_tree(k_tree, true), "4b825dc_dirty");
  // SHA-256 repositories have 64-hex ids.
  EXPECT_EQ(*unique_id_from_tree(std::string(64, 'a'), false), "aaaaaaa");
}

TEST(UniqueId, FromTreeRejectsNonIds) {
  EXPECT_FALSE(unique_id_from_tree("", false).ok());
  EXPECT_FALSE(unique_id_from_tree("fatal: not a git repository", false).ok());
  EXPECT_FALSE(unique_id_from_tree("4b825dc", false).ok());
  EXPECT_FALSE(unique_id_from_tree(std::string(40, 'g'), false).ok());
}

TEST(UniqueId, CommitIsLowercased) {
  EXPECT_EQ(*parse_commit_id(std::string(k_commit) + "\n"),
            "0123456789abcdef0123456789abcdef01234567");
}

TEST(UniqueId, PorcelainDirtiness) {
  EXPECT_FALSE(porcelain_is_dirty(""));
  EXPECT_FALSE(porcelain_is_dirty("\n"));
  EXPECT_TRUE(porcelain_is_dirty(" M relu_cuda/relu.cu\n"));
  EXPECT_TRUE(porcelain_is_dirty("D  old.py\n"));
}

TEST(UniqueId, ContentIdIsStablePrefixedAndSensitive) {
  std::vector<std::pair<std::string, std::string>> files{{"build.toml", "[general]\n"},
                                                         {"relu.cu", "__global__ void k();"}};
  std::string id = content_unique_id(files);
  EXPECT_EQ(id.size(), 13u);
  EXPECT_EQ(id.substr(0, 3), "src");
  for (char c : id.substr(3)) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) << id;
  // Order of the input does not matter; content and names do.
  EXPECT_EQ(content_unique_id({files[1], files[0]}), id);
  EXPECT_NE(content_unique_id({{"build.toml", "[general]\n"}, {"relu.cu", "x"}}), id);
  EXPECT_NE(
      content_unique_id({{"build.toml", "[general]\n"}, {"relu2.cu", "__global__ void k();"}}), id);
  // Length framing: moving bytes between name and content changes the id.
  EXPECT_NE(content_unique_id({{"ab", "c"}}), content_unique_id({{"a", "bc"}}));
}

TEST(UniqueId, ContentIdInputsCoverSourcesAndPython) {
  Config c = sample_config();
  auto paths =
      content_id_inputs(c, {"__init__.py", "layers/x.py", "__pycache__/x.cpython-311.pyc"});
  std::vector<std::string> expected{"build.toml",
                                    "relu_cpu/relu.cpp",
                                    "relu_cuda/launch.cpp",
                                    "relu_cuda/relu.cu",
                                    "relu_cuda/relu.cuh",
                                    "torch-ext/relu/__init__.py",
                                    "torch-ext/relu/layers/x.py",
                                    "torch-ext/torch_binding.cpp",
                                    "torch-ext/torch_binding.h"};
  EXPECT_EQ(paths, expected);
}

TEST(UniqueId, ContentIdOfReadsTheInputsThroughDisk) {
  Config c = sample_config();
  FakeDisk disk;
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& rel : content_id_inputs(c, {"__init__.py"})) {
    disk.add_file("/k/" + rel, "bytes of " + rel);
    files.emplace_back(rel, "bytes of " + rel);
  }
  auto id = content_unique_id_of(c, "/k", {"__init__.py"}, disk);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, content_unique_id(files));
  FakeDisk empty;
  EXPECT_FALSE(content_unique_id_of(c, "/k", {}, empty).ok()) << "a missing input is an error";
}

std::vector<std::string> git(std::vector<std::string> args) {
  std::vector<std::string> argv{"git", "-C", "/src/relu"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

TEST(UniqueId, DetectsCleanGitState) {
  FakeProcess p;
  p.on(git({"rev-parse", "HEAD^{tree}"}), std::string(k_tree) + "\n");
  p.on(git({"rev-parse", "HEAD"}), std::string(k_commit) + "\n");
  p.on(git({"status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all"}), "");
  auto state = detect_git_state("/src/relu", p, Environment{});
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(state->has_value());
  EXPECT_EQ((*state)->unique_id, "4b825dc");
  EXPECT_EQ((*state)->commit, "0123456789abcdef0123456789abcdef01234567");
  EXPECT_FALSE((*state)->dirty);
  EXPECT_EQ(p.total_calls(), 3);
}

TEST(UniqueId, DetectsDirtyGitState) {
  FakeProcess p;
  p.on(git({"rev-parse", "HEAD^{tree}"}), std::string(k_tree) + "\n");
  p.on(git({"rev-parse", "HEAD"}), std::string(k_commit) + "\n");
  p.on(git({"status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all"}),
       " M relu_cuda/relu.cu\n");
  auto state = detect_git_state("/src/relu", p, Environment{});
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_EQ((*state)->unique_id, "4b825dc_dirty");
  EXPECT_TRUE((*state)->dirty);
}

TEST(UniqueId, NotARepositoryIsNullopt) {
  FakeProcess p;
  p.on(git({"rev-parse", "HEAD^{tree}"}),
       Captured{128, "", "fatal: not a git repository (or any of the parent directories): .git\n"});
  auto state = detect_git_state("/src/relu", p, Environment{});
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->has_value());
  EXPECT_EQ(p.total_calls(), 1);
}

TEST(UniqueId, NoGitProgramIsNullopt) {
  FakeProcess p;  // no answers: git cannot be started
  auto state = detect_git_state("/src/relu", p, Environment{});
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->has_value());
}

TEST(UniqueId, MissingGitIsANoteNamingTheContentId) {
  FakeProcess p;  // no answers: git cannot be started
  auto note = missing_git_note(p, Environment{}, "cid0123456789");
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->message.find("git cannot be run"), std::string::npos) << note->message;
  EXPECT_NE(note->message.find("cid0123456789"), std::string::npos) << note->message;
  EXPECT_NE(note->hint.find("--unique-id"), std::string::npos) << note->hint;
  EXPECT_EQ(p.calls({"git", "--version"}), 1);
}

TEST(UniqueId, NoNoteWhenGitRuns) {
  FakeProcess p;
  p.on({"git", "--version"}, "git version 2.39.5\n");
  EXPECT_FALSE(missing_git_note(p, Environment{}, "cid0123456789").has_value());
}

TEST(UniqueId, GarbageFromGitIsAnError) {
  FakeProcess p;
  p.on(git({"rev-parse", "HEAD^{tree}"}), "HEAD^{tree}\n");
  p.on(git({"rev-parse", "HEAD"}), std::string(k_commit) + "\n");
  p.on(git({"status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all"}), "");
  EXPECT_FALSE(detect_git_state("/src/relu", p, Environment{}).ok());
}

}  // namespace
}  // namespace kb
