// Completion scripts for bash, zsh and fish, written from the command table so that a new
// command or option is completed without touching this file. What an option's value is
// (a directory, a file, one of a few words, a variant name) is not in the table; it is
// decided here from the option's name, and an option this file does not know gets no value
// completion rather than a wrong one.

#include "src/cli/completions.h"

#include <fmt/format.h>

namespace kb {

namespace {

// What completes at a place that takes a value.
enum class ValueKind { none, dir, file, command, variant, words };

struct ValueCompletion {
  ValueKind kind = ValueKind::none;
  std::string words;  // space-separated, for ValueKind::words
  std::string what;   // what the value is, for zsh's message
};

ValueCompletion option_value(const OptionSpec& o) {
  if (o.name == "cuda" || o.name == "rocm") return {ValueKind::dir, "", "toolkit root"};
  if (o.name == "out") return {ValueKind::dir, "", "build directory"};
  if (o.name == "torch") return {ValueKind::file, "", "python or venv"};
  if (o.name == "backend") return {ValueKind::words, "native nix", "backend"};
  if (o.name == "variant") return {ValueKind::variant, "", "variant"};
  if (o.name == "launcher") return {ValueKind::command, "", "launcher"};
  if (o.name == "cuda-archs" || o.name == "rocm-archs")
    return {ValueKind::words, "native all", "archs"};
  if (o.name == "abi") return {ValueKind::words, "warn error off", "abi check"};
  if (o.name == "manylinux")
    return {ValueKind::words, "manylinux_2_28 manylinux_2_34 manylinux2014", "policy"};
  if (o.name == "linker") return {ValueKind::words, "auto default bfd mold lld gold", "linker"};
  if (o.name == "timings") return {ValueKind::words, "html json trace", "report format"};
  return {ValueKind::none, "", o.name};
}

ValueCompletion positional_value(const CommandSpec& c) {
  if (c.positional.find("DIR") != std::string::npos)
    return {ValueKind::dir, "", "kernel directory"};
  if (c.positional.find("MANIFEST") != std::string::npos) return {ValueKind::file, "", "manifest"};
  if (c.positional.find("SHELL") != std::string::npos)
    return {ValueKind::words, "bash zsh fish", "shell"};
  return {ValueKind::none, "", ""};
}

// The subcommand a command's positional spec starts with ("merge" of "merge DIR..."), or ""
// when it starts with a value ("[DIR]", "MANIFEST"): a word of lowercase letters and dashes.
std::string subcommand_of(const CommandSpec& c) {
  std::string first = c.positional.substr(0, c.positional.find(' '));
  for (char ch : first)
    if (!((ch >= 'a' && ch <= 'z') || ch == '-')) return "";
  return first;
}

std::vector<const CommandSpec*> visible(const std::vector<CommandSpec>& table) {
  std::vector<const CommandSpec*> out;
  for (const auto& c : table)
    if (!c.hidden) out.push_back(&c);
  return out;
}

// Text inside '...' for sh-like shells: ' becomes '\''.
std::string sh_quote(std::string_view s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// Text inside '...' for fish: \ and ' are escaped with a backslash.
std::string fish_quote(std::string_view s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\\' || ch == '\'') out += '\\';
    out += ch;
  }
  return out + "'";
}

// The explanation inside a zsh _arguments spec's [...]: a bracket or backslash would end or
// escape it.
std::string zsh_explanation(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '[' || ch == ']' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

// --- bash ----------------------------------------------------------------------------------

std::string bash_reply(const ValueCompletion& v) {
  switch (v.kind) {
    case ValueKind::dir: return "_kb_reply_dirs";
    case ValueKind::file: return "_kb_reply_files";
    case ValueKind::command: return "_kb_reply_commands";
    case ValueKind::variant: return "_kb_reply_variants";
    case ValueKind::words: return "_kb_reply_words " + sh_quote(v.words);
    case ValueKind::none: break;
  }
  return "";
}

std::string bash_command_case(const CommandSpec& c) {
  std::string value_cases;
  std::string flags = "--help -h";
  for (const auto& o : c.options) {
    std::string pattern = "--" + o.name;
    flags += " --" + o.name;
    if (o.short_name) {
      pattern += fmt::format("|-{}", o.short_name);
      flags += fmt::format(" -{}", o.short_name);
    }
    if (!o.takes_value) continue;
    std::string reply = bash_reply(option_value(o));  // "" leaves the value to the user
    value_cases +=
        fmt::format("        {}) {}return 0 ;;\n", pattern, reply.empty() ? "" : reply + "; ");
  }
  std::string out = fmt::format("    {})\n", c.name);
  if (!value_cases.empty()) out += "      case $prev in\n" + value_cases + "      esac\n";
  if (auto sub = subcommand_of(c); !sub.empty())
    out += fmt::format(
        "      if ((COMP_CWORD == 2)) && [[ $cur != -* ]]; then _kb_reply_words {}; return 0; fi\n",
        sh_quote(sub));
  auto positional = positional_value(c);
  if (positional.kind == ValueKind::none)
    out += fmt::format("      _kb_reply_words {}\n", sh_quote(flags));
  else
    out += fmt::format("      if [[ $cur == -* ]]; then _kb_reply_words {}; else {}; fi\n",
                       sh_quote(flags), bash_reply(positional));
  out += "      ;;\n";
  return out;
}

std::string bash_script(const std::vector<CommandSpec>& table) {
  std::string commands;
  for (const auto* c : visible(table)) commands += c->name + " ";
  commands += "--help --version";
  std::string cases;
  for (const auto* c : visible(table)) cases += bash_command_case(*c);
  return fmt::format(R"SH(# bash completion for kb, generated by `kb completions bash`.
# Load it with: source <(kb completions bash)
# or install it as ~/.local/share/bash-completion/completions/kb

_kb_reply_words() {{ mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur"); }}
_kb_reply_dirs() {{
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -d -- "$cur")
}}
_kb_reply_files() {{
  compopt -o filenames 2>/dev/null
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}}
_kb_reply_commands() {{ mapfile -t COMPREPLY < <(compgen -c -- "$cur"); }}
# The variants kb can build for the kernel in the current directory.
_kb_reply_variants() {{ _kb_reply_words "$("${{COMP_WORDS[0]}}" matrix 2>/dev/null)"; }}

_kb() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  # bash splits --opt=value at '=': complete the value of the option before it.
  if [[ $cur == = ]]; then
    cur=''
  elif [[ $prev == = ]]; then
    prev=${{COMP_WORDS[COMP_CWORD-2]}}
  fi
  COMPREPLY=()
  if ((COMP_CWORD == 1)); then
    _kb_reply_words {}
    return 0
  fi
  case ${{COMP_WORDS[1]}} in
{}  esac
  return 0
}}
complete -F _kb kb
)SH",
                     sh_quote(commands), cases);
}

// --- zsh -----------------------------------------------------------------------------------

std::string zsh_action(const ValueCompletion& v) {
  switch (v.kind) {
    case ValueKind::dir: return "_files -/";
    case ValueKind::file: return "_files";
    case ValueKind::command: return "_command_names -e";
    case ValueKind::variant: return "_kb_variants";
    case ValueKind::words: return "(" + v.words + ")";
    case ValueKind::none: break;
  }
  return " ";
}

std::string zsh_option_spec(const OptionSpec& o) {
  std::string desc = "[" + zsh_explanation(o.help) + "]";
  std::string value;
  if (o.takes_value || o.optional_value) {
    auto v = option_value(o);
    value = ":" + v.what + ":" + zsh_action(v);
  }
  std::string repeat = o.repeatable ? "*" : "";
  if (!o.short_name) {
    // --name=- : zsh's spelling of a value that may follow '=' only.
    std::string name = "--" + o.name + (o.takes_value ? "=" : o.optional_value ? "=-" : "");
    return sh_quote(repeat + name + desc + value);
  }
  std::string s = fmt::format("-{}{}", o.short_name, o.takes_value ? "+" : "");
  std::string l = "--" + o.name + (o.takes_value ? "=" : "");
  std::string exclusive = o.repeatable ? "*" : fmt::format("(-{} --{})", o.short_name, o.name);
  return fmt::format("{}{{{},{}}}{}", sh_quote(exclusive), s, l, sh_quote(desc + value));
}

std::string zsh_command_case(const CommandSpec& c) {
  std::string out = fmt::format("        {})\n          _arguments \\\n", c.name);
  out += "            '(- :)'{-h,--help}'[show the options of this command]' \\\n";
  for (const auto& o : c.options) out += "            " + zsh_option_spec(o) + " \\\n";
  auto p = positional_value(c);
  const std::string sub = subcommand_of(c);
  if (!sub.empty()) out += "            " + sh_quote("1:subcommand:(" + sub + ")") + " \\\n";
  if (p.kind != ValueKind::none)
    out += "            " + sh_quote((sub.empty() ? "1:" : "*:") + p.what + ":" + zsh_action(p)) +
           " \\\n";
  out.resize(out.size() - 3);  // the last " \\\n"
  out += "\n          ;;\n";
  return out;
}

std::string zsh_script(const std::vector<CommandSpec>& table) {
  std::string commands;
  for (const auto* c : visible(table))
    // _describe splits "name:summary" at the first colon; command names have none.
    commands += "    " + sh_quote(c->name + ":" + c->summary) + "\n";
  std::string cases;
  for (const auto* c : visible(table)) cases += zsh_command_case(*c);
  return fmt::format(R"SH(#compdef kb
# zsh completion for kb, generated by `kb completions zsh`.
# Install it as _kb in a directory of $fpath, or load it with: source <(kb completions zsh)

# The variants kb can build for the kernel in the current directory.
_kb_variants() {{
  local -a variants
  variants=(${{(f)"$($kb_program matrix 2>/dev/null)"}})
  _wanted variants expl variant compadd -a variants
}}

_kb() {{
  local curcontext=$curcontext state line kb_program=${{words[1]}}
  typeset -A opt_args
  local -a commands
  commands=(
{}  )
  _arguments -C \
    '(- :)--help[show the commands]' \
    '(- :)--version[print the version]' \
    '1: :->command' \
    '*:: :->args'
  case $state in
    command)
      _describe -t commands 'kb command' commands
      ;;
    args)
      case ${{words[1]}} in
{}      esac
      ;;
  esac
}}

if [[ ${{zsh_eval_context[-1]}} == loadautofunc ]]; then
  _kb "$@"
else
  compdef _kb kb
fi
)SH",
                     commands, cases);
}

// --- fish ----------------------------------------------------------------------------------

// The candidates for a value: "-a WORDS", "-F" (files), or "" for none.
std::string fish_candidates(const ValueCompletion& v) {
  switch (v.kind) {
    case ValueKind::dir: return "-a '(__fish_complete_directories)'";
    case ValueKind::file: return "-F";
    case ValueKind::command: return "-a '(__fish_complete_command)'";
    case ValueKind::variant: return "-a '(__kb_variants)'";
    case ValueKind::words: return "-a " + fish_quote(v.words);
    case ValueKind::none: break;
  }
  return "";
}

// An option's value: required (-r), and files only where files are the candidates (-x is
// -r plus -f).
std::string fish_value(const ValueCompletion& v) {
  std::string candidates = fish_candidates(v);
  if (v.kind == ValueKind::file) return "-r " + candidates;
  return candidates.empty() ? "-x" : "-x " + candidates;
}

std::string fish_command(const CommandSpec& c) {
  std::string when = fish_quote("__fish_seen_subcommand_from " + c.name);
  std::string out = fmt::format("\n# kb {}\n", c.name);
  out += fmt::format("complete -c kb -n __fish_use_subcommand -a {} -d {}\n", c.name,
                     fish_quote(c.summary));
  out += fmt::format("complete -c kb -n {} -s h -l help -d 'show the options of this command'\n",
                     when);
  for (const auto& o : c.options) {
    std::string line = fmt::format("complete -c kb -n {}", when);
    if (o.short_name) line += fmt::format(" -s {}", o.short_name);
    line += " -l " + o.name;
    if (o.takes_value) line += " " + fish_value(option_value(o));
    // An optional value (--timings[=FORMAT]) is left to the user: fish's -a would also offer
    // its words where the kernel dir goes.
    out += line + " -d " + fish_quote(o.help) + "\n";
  }
  auto p = positional_value(c);
  const std::string sub = subcommand_of(c);
  if (!sub.empty()) {
    // The subcommand first; the values only after it.
    out += fmt::format("complete -c kb -n {} -a {}\n",
                       fish_quote("__fish_seen_subcommand_from " + c.name +
                                  "; and not __fish_seen_subcommand_from " + sub),
                       sub);
    when = fish_quote("__fish_seen_subcommand_from " + c.name +
                      "; and __fish_seen_subcommand_from " + sub);
  }
  if (p.kind != ValueKind::none)
    out += fmt::format("complete -c kb -n {} {}\n", when, fish_candidates(p));
  return out;
}

std::string fish_script(const std::vector<CommandSpec>& table) {
  std::string out = R"SH(# fish completion for kb, generated by `kb completions fish`.
# Install it as ~/.config/fish/completions/kb.fish, or load it with: kb completions fish | source

# The variants kb can build for the kernel in the current directory.
function __kb_variants
    set -l kb (commandline -opc)[1]
    $kb matrix 2>/dev/null
end

complete -c kb -f
complete -c kb -n __fish_use_subcommand -l help -d 'show the commands'
complete -c kb -n __fish_use_subcommand -l version -d 'print the version'
)SH";
  for (const auto* c : visible(table)) out += fish_command(*c);
  return out;
}

}  // namespace

const std::vector<std::string>& completion_shells() {
  static const std::vector<std::string> shells = {"bash", "zsh", "fish"};
  return shells;
}

std::string completion_script(std::string_view shell, const std::vector<CommandSpec>& table) {
  if (shell == "bash") return bash_script(table);
  if (shell == "zsh") return zsh_script(table);
  if (shell == "fish") return fish_script(table);
  return "";
}

}  // namespace kb
