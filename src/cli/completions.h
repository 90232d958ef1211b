#pragma once
// Shell completion scripts generated from kb's command table (what `kb completions SHELL`
// prints). Pure: text in, text out.

#include <string>
#include <string_view>
#include <vector>

#include "src/cli/args.h"

namespace kb {

// The shells completion_script knows: "bash", "zsh", "fish".
const std::vector<std::string>& completion_shells();

// Returns the completion script for `shell` covering every command of `table` that is not
// hidden, each command's options (long and short), --help and --version, a directory for a
// "[DIR]" positional, a file for "MANIFEST", the shell names for "SHELL", and the variants
// of `kb matrix` (in the current directory) for --variant. Returns "" for an unknown shell.
//   bash: source it, or put it in ~/.local/share/bash-completion/completions/kb
//   zsh:  put it in a $fpath directory as _kb (it starts with #compdef kb)
//   fish: put it in ~/.config/fish/completions/kb.fish
std::string completion_script(std::string_view shell, const std::vector<CommandSpec>& table);

}  // namespace kb
