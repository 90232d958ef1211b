#include "src/cli/args.h"

#include <algorithm>

#include <fmt/format.h>

#include "src/cli/commands.h"

namespace kb {

std::string ParsedArgs::get(const std::string& opt, const std::string& fallback) const {
  auto it = values.find(opt);
  if (it == values.end() || it->second.empty()) return fallback;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& opt) const {
  auto it = values.find(opt);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

namespace {

const OptionSpec k_torch{
    "torch", 0, true, true,
    "Python (or venv dir) with Torch; repeatable (default: $KB_TORCH, else python3)"};
const OptionSpec k_cuda{"cuda", 0, true, true, "CUDA toolkit root to consider; repeatable"};
const OptionSpec k_rocm{"rocm", 0, true, true, "ROCm root to consider; repeatable"};
const OptionSpec k_json{"json", 0, false, false, "machine-readable output (see docs/schema)"};
const OptionSpec k_no_cache{"no-cache", 0, false, false,
                            "probe toolchains again instead of using the cache"};
const OptionSpec k_backend{"backend", 0, true, false, "native (default) or nix"};
const OptionSpec k_kernel_builder{"kernel-builder", 0, true, false,
                                  "flake ref of kernel-builder (nix backend)"};
const OptionSpec k_jobs{"jobs", 'j', true, false, "parallel jobs (default: cores)"};
const OptionSpec k_out{"out", 0, true, false, "build directory (default: DIR/build)"};
const OptionSpec k_linker{
    "linker", 0, true, false,
    "auto (default: fastest of mold, lld, gold found), default, bfd, mold, lld or gold"};
const OptionSpec k_serial_nvcc{
    "serial-nvcc", 0, false, false,
    "run each nvcc compile's steps one after another as nvcc does (default: kb overlaps the "
    "host and device steps of each .cu; docs/performance.md)"};
const OptionSpec k_cuda_archs{
    "cuda-archs", 0, true, false,
    "native (this machine's GPUs), all, or a capability list like \"8.0;9.0a\" "
    "(default: $KB_CUDA_ARCHS, else native when a GPU is visible, else all)"};
const OptionSpec k_rocm_archs{
    "rocm-archs", 0, true, false,
    "native, all, or a gfx list like \"gfx90a;gfx942\" (default: $KB_ROCM_ARCHS, "
    "else native when a GPU is visible, else all)"};
const OptionSpec k_wait{
    "wait", 0, false, false,
    "when another kb is building in the build directory, wait for it (default: fail)"};
const OptionSpec k_allow_unsandboxed{"allow-unsandboxed", 0, false, false,
                                     "nix: accept sandbox = false"};
const OptionSpec k_timings{
    "timings",
    0,
    false,
    false,
    "after the build, write .kb/timings.html and timings.json (=json: the JSON only; "
    "=trace: also a Chrome trace); docs/timings.md",
    true};
const OptionSpec k_dep{
    "dep", 0, true, true,
    "NAME=PATH: the header tree of a dependency, e.g. cutlass_3_8=/src/cutlass; repeatable"};

// The options that choose the toolchains and the backend, in this order, wherever a command
// plans a matrix (matrix, build, test).
const std::vector<OptionSpec> k_planning_options{
    k_torch, k_cuda, k_rocm, k_no_cache, k_dep, k_backend, k_kernel_builder,
};

// The option lists `parts`, one after another.
std::vector<OptionSpec> joined(std::initializer_list<std::vector<OptionSpec>> parts) {
  std::vector<OptionSpec> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = {
      {"check-config",
       "validate build.toml and the files it names",
       "[DIR]",
       1,
       {k_json},
       false,
       cli::run_check_config},
      {"toolchains",
       "list the Torch installs, CUDA/ROCm toolkits and host tools found",
       "",
       0,
       {k_json, k_torch, k_cuda, k_rocm, k_no_cache},
       false,
       cli::run_toolchains},
      {"matrix", "list the variants this machine can build", "[DIR]", 1,
       joined({{k_json, {"all", 0, false, false, "also list every rejected combination and why"}},
               k_planning_options,
               {k_cuda_archs, k_rocm_archs}}),
       false, cli::run_matrix},
      {"build", "build bundles into DIR/build/<variant>/", "[DIR]", 1,
       joined({{{"variant", 0, true, true, "build only this variant; repeatable"},
                k_jobs,
                k_out,
                k_cuda_archs,
                k_rocm_archs,
                {"dry-run", 'n', false, false, "print the commands without running them"},
                {"unique-id", 0, true, false, "op namespace suffix (default: git tree id)"},
                {"launcher", 0, true, false, "compiler launcher, e.g. ccache"},
                k_linker,
                k_serial_nvcc,
                {"id-in-binding", 0, false, false,
                 "compile the unique id into the binding TUs, as the reference does (each commit "
                 "recompiles them)"},
                {"generate-only", 0, false, false, "write build.ninja and stop"},
                {"verbose", 'v', false, false, "show every command line"}},
               k_planning_options,
               {{"max-jobs", 0, true, false, "nix: --max-jobs"},
                {"cores", 0, true, false, "nix: --cores"},
                k_allow_unsandboxed,
                k_wait,
                k_timings,
                {"abi", 0, true, false,
                 "check each bundle's ABI (kb check-abi): warn (default) prints a verdict per "
                 "variant, error also fails the build on a violation, off skips it"}}}),
       false, cli::run_build},
      {"test", "build, then run the kernel's tests with each Torch (pytest args after --)",
       "[DIR] [-- PYTEST ARGS]", 1,
       joined({{{"variant", 0, true, true,
                 "build and test only this variant; repeatable (nix: one shell)"},
                k_jobs,
                k_out,
                k_cuda_archs,
                k_rocm_archs,
                k_linker,
                k_serial_nvcc},
               k_planning_options,
               {k_allow_unsandboxed, k_wait, k_timings}}),
       false, cli::run_test},
      {"develop",
       "open a shell (or run the command after --) in the test environment",
       "[DIR] [-- COMMAND]",
       1,
       {{"variant", 0, true, false, "put this built variant on PYTHONPATH (nix: its dev shell)"},
        k_out,
        k_cuda_archs,
        k_rocm_archs,
        k_torch,
        k_no_cache,
        k_backend,
        k_kernel_builder,
        k_allow_unsandboxed},
       false,
       cli::run_develop},
      {"deps",
       "where each C++ dependency (depends) comes from; 'kb deps fetch' fills the cache",
       "[fetch] [DIR]",
       2,
       {k_json, k_dep, k_torch, k_no_cache},
       false,
       cli::run_deps},
      {"check-abi",
       "check that bundles load where the reference's do (manylinux, abi3, stable ABI)",
       "[DIR|BUNDLE]",
       1,
       {k_json,
        {"manylinux", 0, true, false, "the manylinux policy (default: manylinux_2_28)"},
        {"python-abi", 0, true, false,
         "the oldest CPython the abi3 module must load in (default: 3.9)"}},
       false,
       cli::run_check_abi},
      {"check-builds",
       "check that every bundle under build/ is complete; report stale and foreign directories",
       "[DIR]",
       1,
       {k_json},
       false,
       cli::run_check_builds},
      {"bundle",
       "'kb bundle merge DIR... --out DIR': gather variants built elsewhere (checked, one build)",
       "merge DIR...",
       4096,
       {{"out", 0, true, false, "the build directory to merge into (required)"}, k_wait},
       false,
       cli::run_bundle},
      {"clean",
       "remove kb's build outputs (bundles it made and .kb/)",
       "[DIR]",
       1,
       {k_out, k_wait},
       false,
       cli::run_clean},
      {"init-flake",
       "write the canonical flake.nix for the nix backend",
       "[DIR]",
       1,
       {k_kernel_builder, {"force", 0, false, false, "overwrite an existing flake.nix"}},
       false,
       cli::run_init_flake},
      {"completions",
       "print the shell completion script for bash, zsh or fish",
       "SHELL",
       1,
       {},
       false,
       cli::run_completions},
      {"internal-bundle",
       "assemble one bundle from its manifest (run by ninja)",
       "MANIFEST",
       1,
       {},
       true,
       cli::run_internal_bundle},
      {"internal-hipify",
       "translate one CUDA file to HIP (run by ninja)",
       "IN OUT",
       2,
       {},
       true,
       cli::run_internal_hipify},
      {"internal-nvcc",
       "run one nvcc compile with its host and device steps overlapped (run by ninja)",
       "-- NVCC ARGS",
       0,
       {},
       true,
       cli::run_internal_nvcc},
  };
  return table;
}

namespace {

// The command named `name`, or an error naming the closest command.
Result<const CommandSpec*> find_command(const std::string& name,
                                        const std::vector<CommandSpec>& table) {
  std::vector<std::string> names;
  for (const auto& c : table) {
    if (c.name == name) return &c;
    if (!c.hidden) names.push_back(c.name);
  }
  std::string near = closest_match(name, names);
  return Error{fmt::format("unknown command '{}'", name),
               {},
               near.empty() ? "run 'kb --help' for the commands"
                            : fmt::format("did you mean 'kb {}'?", near)};
}

}  // namespace

std::optional<Result<std::string>> help_request(const std::vector<std::string>& args,
                                                const std::vector<CommandSpec>& table) {
  if (args.empty()) return std::nullopt;
  if (args[0] == "help" || args[0] == "--help" || args[0] == "-h")
    return Result<std::string>(usage_text(table));
  bool wants = false;
  for (const auto& a : args) {
    if (a == "--") break;
    wants = wants || a == "--help" || a == "-h";
  }
  if (!wants) return std::nullopt;
  auto spec = find_command(args[0], table);
  if (!spec) return Result<std::string>(spec.take_errors());
  return Result<std::string>(usage_text(table, (*spec)->name));
}

namespace {

// The option of `spec` named `name` (long, without dashes), or null.
const OptionSpec* find_long(const CommandSpec& spec, const std::string& name) {
  for (const auto& o : spec.options)
    if (o.name == name) return &o;
  return nullptr;
}

// The option of `spec` with short name `c`, or null.
const OptionSpec* find_short(const CommandSpec& spec, char c) {
  for (const auto& o : spec.options)
    if (o.short_name == c) return &o;
  return nullptr;
}

// Reads the option at args[i] ("--name", "--name=value", "-x", "-xVALUE"), and its value
// from args[i + 1] when it takes one and none is inline (advancing i), into `out`. Fails on
// an unknown option (naming the closest), a missing value, or a value given to a flag.
Result<Ok> parse_option(const std::vector<std::string>& args, size_t& i, const CommandSpec& spec,
                        ParsedArgs& out) {
  const std::string& a = args[i];
  const OptionSpec* opt = nullptr;
  std::optional<std::string> inline_value;
  if (a.rfind("--", 0) == 0) {
    std::string name = a.substr(2);
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    opt = find_long(spec, name);
    if (!opt) {
      std::vector<std::string> opts;
      for (const auto& o : spec.options) opts.push_back(o.name);
      std::string near = closest_match(name, opts);
      return Error{fmt::format("unknown option '--{}' for 'kb {}'", name, spec.name),
                   {},
                   near.empty() ? fmt::format("run 'kb {} --help'", spec.name)
                                : fmt::format("did you mean '--{}'?", near)};
    }
  } else {
    opt = find_short(spec, a[1]);
    if (!opt)
      return Error{fmt::format("unknown option '{}' for 'kb {}'", a, spec.name),
                   {},
                   fmt::format("run 'kb {} --help'", spec.name)};
    if (a.size() > 2) inline_value = a.substr(2);
  }
  if (!opt->takes_value) {
    if (inline_value && !opt->optional_value)
      return Error{fmt::format("option '--{}' takes no value", opt->name), {}, ""};
    auto& slot = out.values[opt->name];
    if (inline_value) slot = {*inline_value};
    return Ok{};
  }
  std::string value;
  if (inline_value)
    value = *inline_value;
  else if (i + 1 < args.size())
    value = args[++i];
  else
    return Error{fmt::format("option '--{}' needs a value", opt->name), {}, ""};
  auto& slot = out.values[opt->name];
  if (!opt->repeatable) slot.clear();
  slot.push_back(value);
  return Ok{};
}

}  // namespace

Result<ParsedArgs> parse_args(const std::vector<std::string>& args,
                              const std::vector<CommandSpec>& table) {
  if (args.empty()) return Error{"no command given", {}, "run 'kb --help' for the commands"};
  ParsedArgs out;
  auto found = find_command(args[0], table);
  if (!found) return found.take_errors();
  const CommandSpec& spec = **found;
  out.command = spec.name;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.passthrough.assign(args.begin() + i + 1, args.end());
      break;
    }
    bool is_option = a.rfind("--", 0) == 0 || (a.size() >= 2 && a[0] == '-' && a[1] != '-');
    if (is_option) {
      KB_TRY(parse_option(args, i, spec, out));
      continue;
    }
    if (static_cast<int>(out.positional.size()) >= spec.max_positional)
      return Error{fmt::format("unexpected argument '{}' for 'kb {}'", a, spec.name),
                   {},
                   fmt::format("usage: kb {} {}", spec.name, spec.positional)};
    out.positional.push_back(a);
  }
  return out;
}

std::string usage_text(const std::vector<CommandSpec>& table, const std::string& command) {
  std::string out;
  if (command.empty()) {
    out =
        "usage: kb COMMAND [ARGS]\n\nkb builds PyTorch kernel bundles from "
        "build.toml.\n\ncommands:\n";
    for (const auto& c : table)
      if (!c.hidden) out += fmt::format("  {:<14}{}\n", c.name, c.summary);
    out += "\nrun 'kb COMMAND --help' for a command's options.\n";
    return out;
  }
  for (const auto& c : table) {
    if (c.name != command) continue;
    out = fmt::format("usage: kb {} {}\n\n{}\n", c.name, c.positional, c.summary);
    if (!c.options.empty()) out += "\noptions:\n";
    // The help column starts two spaces after the longest flag, so no flag runs into it.
    std::vector<std::string> flags;
    size_t width = 0;
    for (const auto& o : c.options) {
      std::string flag = o.short_name ? fmt::format("-{}, --{}", o.short_name, o.name)
                                      : fmt::format("    --{}", o.name);
      if (o.takes_value) flag += " VALUE";
      if (o.optional_value) flag += "[=VALUE]";
      width = std::max(width, flag.size());
      flags.push_back(std::move(flag));
    }
    for (size_t i = 0; i < flags.size(); ++i)
      out += fmt::format("  {:<{}}{}\n", flags[i], width + 2, c.options[i].help);
  }
  return out;
}

}  // namespace kb
