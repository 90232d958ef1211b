#pragma once
// Pure parsing of kb's command line into a command name and its options.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kb/error.h"

namespace kb {

// How one option of a command is written.
struct OptionSpec {
  std::string name;     // long name without dashes: "variant"
  char short_name = 0;  // 'j' for -j, 0 for none
  bool takes_value = false;
  bool repeatable = false;
  std::string help;
  // A flag (takes_value false) that may also be given a value as --name=VALUE.
  bool optional_value = false;
};

namespace cli {
struct CliCall;
}  // namespace cli

// What runs a command: returns the process exit code (src/cli/commands.h).
using CommandHandler = int (*)(const cli::CliCall& call);

// One subcommand: name, summary, options, how many positional arguments it takes, and its
// handler.
struct CommandSpec {
  std::string name;
  std::string summary;
  std::string positional;  // "[DIR]", "MANIFEST" or ""
  int max_positional = 1;
  std::vector<OptionSpec> options;
  bool hidden = false;
  CommandHandler handler = nullptr;
};

// The parsed command line.
struct ParsedArgs {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> values;  // option -> values given
  std::vector<std::string> passthrough;                    // after "--"
  bool has(const std::string& opt) const { return values.count(opt) != 0; }
  // Last value of an option, or `fallback` when absent.
  std::string get(const std::string& opt, const std::string& fallback = "") const;
  // All values of a repeatable option.
  std::vector<std::string> all(const std::string& opt) const;
};

// kb's command table.
const std::vector<CommandSpec>& command_table();

// Parses argv (without argv[0]). Fails on an unknown command or option, a missing value,
// or too many positional arguments, naming the closest valid spelling.
Result<ParsedArgs> parse_args(const std::vector<std::string>& args,
                              const std::vector<CommandSpec>& table);

// What a command line that asks for help gets: `kb --help`, `kb help` and `kb -h` the
// general usage; `kb COMMAND ... --help` (or -h, before any "--") that command's usage.
// Fails for an unknown COMMAND, naming the closest one. nullopt when `args` asks for no help.
std::optional<Result<std::string>> help_request(const std::vector<std::string>& args,
                                                const std::vector<CommandSpec>& table);

// The text of `kb --help` (or of `kb COMMAND --help` when `command` is set).
std::string usage_text(const std::vector<CommandSpec>& table, const std::string& command = "");

}  // namespace kb
