#include "src/cli/completions.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kb/disk.h"
#include "kb/process.h"

namespace kb {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// Whether `script` contains `text` (a plain bool keeps a failure's message short: the scripts
// are long).
bool mentions(const std::string& script, const std::string& text) {
  return script.find(text) != std::string::npos;
}

// A table whose texts hold everything a shell could trip over.
std::vector<CommandSpec> awkward_table() {
  return {
      {"alpha",
       "it's [odd]: $HOME `x` \\ \"q\" (y)",
       "[DIR]",
       1,
       {{"weird", 'w', true, true, "a 'quoted' [bracketed]: $VAR `cmd` \\ help"},
        {"flag", 0, false, false, "plain: flag [x]"}}},
      {"beta-gamma", "no positional", "", 0, {{"out", 0, true, false, "dir: 'x'"}}},
      {"hidden-one", "never completed", "", 0, {}, true},
  };
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kb-completions.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    m_path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(m_path); }
  const std::string& path() const { return m_path; }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = m_path + "/" + name;
    std::ofstream(p) << text;
    return p;
  }

 private:
  std::string m_path;
};

std::optional<std::string> shell_path(const std::string& shell) {
  return find_in_path(shell, Environment::from_process(), RealDisk());
}

// Runs `shell -n file`: the shell's own syntax check. Returns its stderr, "" when accepted.
std::string syntax_errors(const std::string& shell, const std::string& file) {
  RealProcess process;
  auto r = process.capture({*shell_path(shell), "-n", file}, Environment::from_process());
  if (!r) return "could not run " + shell;
  return r->exit_code == 0 ? "" : r->err + r->out + " (exit " + std::to_string(r->exit_code) + ")";
}

TEST(CompletionsTest, KnowsThreeShells) {
  EXPECT_THAT(completion_shells(), UnorderedElementsAre("bash", "zsh", "fish"));
  EXPECT_EQ(completion_script("tcsh", command_table()), "");
  EXPECT_EQ(completion_script("", command_table()), "");
}

TEST(CompletionsTest, EveryScriptMentionsEveryCommandAndOption) {
  for (const auto& shell : completion_shells()) {
    std::string script = completion_script(shell, command_table());
    ASSERT_FALSE(script.empty()) << shell;
    // fish spells options as -l NAME / -s X; bash and zsh as --NAME / -X.
    auto long_form = [&](const std::string& name) {
      return shell == "fish" ? "-l " + name : "--" + name;
    };
    auto short_form = [&](char c) { return std::string(shell == "fish" ? "-s " : "-") + c; };
    for (const auto& c : command_table()) {
      if (c.hidden) {
        EXPECT_FALSE(mentions(script, c.name)) << shell << " completes the hidden " << c.name;
        continue;
      }
      EXPECT_TRUE(mentions(script, c.name)) << shell << ": kb " << c.name;
      for (const auto& o : c.options) {
        EXPECT_TRUE(mentions(script, long_form(o.name)))
            << shell << ": kb " << c.name << " --" << o.name;
        if (o.short_name) {
          EXPECT_TRUE(mentions(script, short_form(o.short_name)))
              << shell << ": kb " << c.name << " -" << o.short_name;
        }
      }
    }
    EXPECT_TRUE(mentions(script, long_form("version"))) << shell;
    EXPECT_TRUE(mentions(script, long_form("help"))) << shell;
  }
}

TEST(CompletionsTest, ZshAndFishCarryTheHelpTexts) {
  for (const char* shell : {"zsh", "fish"}) {
    std::string script = completion_script(shell, command_table());
    // Up to the first quote: after it, each shell escapes the text its own way.
    auto plain = [](const std::string& text) { return text.substr(0, text.find('\'')); };
    for (const auto& c : command_table()) {
      if (c.hidden) continue;
      EXPECT_TRUE(mentions(script, plain(c.summary))) << shell << ": " << c.summary;
      for (const auto& o : c.options)
        EXPECT_TRUE(mentions(script, plain(o.help))) << shell << ": " << o.help;
    }
  }
}

// --timings[=FORMAT]: a flag to bash and fish, an option whose value follows '=' to zsh.
TEST(CompletionsTest, OptionalValueIsOfferedAfterEqualsInZsh) {
  EXPECT_THAT(completion_script("zsh", command_table()), HasSubstr("'--timings=-["));
  EXPECT_THAT(completion_script("zsh", command_table()),
              HasSubstr(":report format:(html json trace)'"));
  EXPECT_THAT(completion_script("bash", command_table()), HasSubstr(" --timings"));
  EXPECT_THAT(completion_script("fish", command_table()), HasSubstr("-l timings -d "));
}

// `kb bundle merge DIR...`: the word "merge" is offered first, directories after it.
TEST(CompletionsTest, ZshAndFishOfferTheSubcommandBeforeItsDirectories) {
  std::string zsh = completion_script("zsh", command_table());
  EXPECT_THAT(zsh, HasSubstr("'1:subcommand:(merge)'"));
  EXPECT_THAT(zsh, HasSubstr("'*:kernel directory:_files -/'"));
  std::string fish = completion_script("fish", command_table());
  EXPECT_THAT(fish, HasSubstr("'__fish_seen_subcommand_from bundle; and not "
                              "__fish_seen_subcommand_from merge' -a merge\n"));
  EXPECT_THAT(fish,
              HasSubstr("'__fish_seen_subcommand_from bundle; and "
                        "__fish_seen_subcommand_from merge' -a '(__fish_complete_directories)'"));
}

TEST(CompletionsTest, ScriptsStartAsTheirShellsExpect) {
  EXPECT_EQ(completion_script("zsh", command_table()).rfind("#compdef kb\n", 0), 0u);
  EXPECT_THAT(completion_script("bash", command_table()), HasSubstr("complete -F _kb kb\n"));
  EXPECT_THAT(completion_script("fish", command_table()), HasSubstr("complete -c kb -f\n"));
}

// Each shell that is installed must accept the script for kb's table and for a table whose
// texts are full of quotes, brackets, dollars and backslashes.
class CompletionsSyntaxTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CompletionsSyntaxTest, ShellAcceptsTheScript) {
  const std::string& shell = GetParam();
  if (!shell_path(shell)) GTEST_SKIP() << shell << " is not installed";
  TempDir dir;
  for (const auto& [name, table] :
       {std::pair{"kb", command_table()}, std::pair{"awkward", awkward_table()}}) {
    std::string file = dir.write(std::string(name) + "." + shell, completion_script(shell, table));
    EXPECT_EQ(syntax_errors(shell, file), "") << shell << " rejects the " << name << " script";
  }
}

INSTANTIATE_TEST_SUITE_P(Shells, CompletionsSyntaxTest, ::testing::Values("bash", "zsh", "fish"));

// Runs the bash completion function as bash would for the words typed, in `cwd`, and
// returns the candidates (sorted).
std::vector<std::string> bash_complete(const std::string& script_file, const std::string& cwd,
                                       const std::vector<std::string>& words) {
  std::string array;
  for (const auto& w : words) array += " '" + w + "'";
  std::string program = "cd '" + cwd + "' && source '" + script_file + "' && COMP_WORDS=(" + array +
                        ") && COMP_CWORD=" + std::to_string(words.size() - 1) +
                        " && _kb && printf '%s\\n' \"${COMPREPLY[@]}\" | sort";
  RealProcess process;
  auto r = process.capture({"bash", "-c", program}, Environment::from_process());
  std::vector<std::string> out;
  if (!r || r->exit_code != 0)
    return {"<bash failed: " + (r ? r->err : std::string("no bash")) + ">"};
  std::string line;
  for (char ch : r->out) {
    if (ch != '\n') {
      line += ch;
    } else if (!line.empty()) {
      out.push_back(line);
      line.clear();
    }
  }
  return out;
}

TEST(CompletionsTest, BashCompletesCommandsOptionsValuesAndDirectories) {
  if (!shell_path("bash")) GTEST_SKIP() << "bash is not installed";
  TempDir dir;
  std::string script = dir.write("kb.bash", completion_script("bash", command_table()));
  std::filesystem::create_directories(dir.path() + "/work/kernel-a");
  std::filesystem::create_directories(dir.path() + "/work/kernel-b");
  dir.write("work/notes.txt", "");
  std::string work = dir.path() + "/work";

  EXPECT_THAT(bash_complete(script, work, {"kb", "ma"}), UnorderedElementsAre("matrix"));
  EXPECT_THAT(bash_complete(script, work, {"kb", "--v"}), UnorderedElementsAre("--version"));
  EXPECT_THAT(bash_complete(script, work, {"kb", "build", "--var"}),
              UnorderedElementsAre("--variant"));
  EXPECT_THAT(bash_complete(script, work, {"kb", "build", "--backend", ""}),
              UnorderedElementsAre("native", "nix"));
  EXPECT_THAT(bash_complete(script, work, {"kb", "build", "--backend", "=", "n"}),
              UnorderedElementsAre("native", "nix"));
  EXPECT_THAT(bash_complete(script, work, {"kb", "build", "--linker", "l"}),
              UnorderedElementsAre("lld"));
  EXPECT_THAT(bash_complete(script, work, {"kb", "build", "-j", ""}), IsEmpty());
  // A kernel directory: directories only, not files.
  EXPECT_THAT(bash_complete(script, work, {"kb", "check-config", ""}),
              UnorderedElementsAre("kernel-a", "kernel-b"));
  EXPECT_THAT(bash_complete(script, work, {"kb", "clean", "--out", "kernel-"}),
              UnorderedElementsAre("kernel-a", "kernel-b"));
  // A subcommand first, then its directories.
  EXPECT_THAT(bash_complete(script, work, {"kb", "bundle", ""}), UnorderedElementsAre("merge"));
  EXPECT_THAT(bash_complete(script, work, {"kb", "bundle", "merge", "kernel-"}),
              UnorderedElementsAre("kernel-a", "kernel-b"));
  EXPECT_THAT(
      bash_complete(script, work, {"kb", "bundle", "merge", "kernel-a", "--out", "kernel-"}),
      UnorderedElementsAre("kernel-a", "kernel-b"));
  // The hidden command is not offered.
  EXPECT_THAT(bash_complete(script, work, {"kb", "intern"}), IsEmpty());
}

}  // namespace
}  // namespace kb
