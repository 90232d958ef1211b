#include "src/cli.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kb/bundle.h"
#include "kb/discover.h"
#include "kb/json_output.h"
#include "kb/pipeline.h"
#include "src/cli_args.h"
#include "src/cli_print.h"
#include "src/cli_build.h"
#include "src/cli_deps.h"
#include "src/cli_rocm.h"
#include "src/cli_test.h"
#include "src/completions.h"

namespace kb {

namespace {

constexpr int k_exit_ok = 0;
constexpr int k_exit_failure = 1;
constexpr int k_exit_usage = 2;

ToolchainQuery query_from(const ParsedArgs& args) {
  ToolchainQuery q;
  q.torch = args.all("torch");
  q.cuda = args.all("cuda");
  q.rocm = args.all("rocm");
  q.use_cache = !args.has("no-cache");
  q.deps = dep_options(args);
  return q;
}

std::string dir_arg(const ParsedArgs& args) {
  return args.positional.empty() ? "." : args.positional[0];
}

int cmd_check_config(const ParsedArgs& args, Io& io) {
  auto config = load_config(dir_arg(args), io.disk);
  if (args.has("json")) {
    std::string dir = dir_arg(args);
    std::string text = check_config_to_json(config, dir == "." ? "build.toml" : dir + "/build.toml");
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
    if (!config) print_errors(config.errors());
    return config ? k_exit_ok : k_exit_failure;
  }
  if (!config) {
    print_errors(config.errors());
    std::fprintf(stderr, "kb: %zu error(s) in %s/build.toml\n", config.errors().list.size(),
                 dir_arg(args).c_str());
    return k_exit_failure;
  }
  print_findings(config->warnings, "warning");
  print_findings(config->notes, "note");
  std::printf("%s: ok (%s, edition %d, %zu kernel section(s))\n", config->path.c_str(),
              config->name.c_str(), config->edition, config->kernels.size());
  return k_exit_ok;
}

int cmd_toolchains(const ParsedArgs& args, Io& io) {
  auto tc = find_toolchains(query_from(args), io);
  if (!tc) {
    print_errors(tc.errors());
    return k_exit_failure;
  }
  std::string text = args.has("json") ? toolchains_to_json(*tc) : toolchains_to_text(*tc);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  return k_exit_ok;
}

int cmd_matrix(const ParsedArgs& args, Io& io) {
  if (args.get("backend", "native") == "nix") return cmd_matrix_nix(args, io);
  auto report = compute_matrix(dir_arg(args), query_from(args), io);
  if (!report) {
    print_errors(report.errors());
    return k_exit_failure;
  }
  print_findings(report->config.warnings, "warning");
  print_findings(unusable_named_toolchains(report->toolchains), "warning");
  bool all = args.has("all");
  std::string text = args.has("json") ? matrix_to_json(report->matrix, report->toolchains, all)
                                      : matrix_to_text(report->matrix, all);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!text.empty() && text.back() != '\n') std::fputc('\n', stdout);
  if (report->matrix.variants.empty() && !all)
    std::fprintf(stderr, "kb: no variant can be built here; run 'kb matrix --all' to see why\n");
  return k_exit_ok;
}

int cmd_internal_bundle(const ParsedArgs& args, Io& io) {
  if (args.positional.empty()) {
    std::fprintf(stderr, "kb: internal-bundle needs a manifest path\n");
    return k_exit_usage;
  }
  auto r = assemble_bundle_from_file(args.positional[0], io.disk);
  if (!r) {
    print_errors(r.errors());
    return k_exit_failure;
  }
  return k_exit_ok;
}

int cmd_completions(const ParsedArgs& args) {
  std::string shell = args.positional.empty() ? "" : args.positional[0];
  std::string script = completion_script(shell, command_table());
  if (script.empty()) {
    std::string near = closest_match(shell, completion_shells());
    print_errors(Error{shell.empty() ? "kb completions needs a shell" : fmt::format("unknown shell '{}'", shell),
                       {},
                       near.empty() || shell.empty() ? "use bash, zsh or fish"
                                                     : fmt::format("did you mean '{}'?", near)});
    return k_exit_usage;
  }
  std::fwrite(script.data(), 1, script.size(), stdout);
  return k_exit_ok;
}

}  // namespace

int cli_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto& table = command_table();
  if (args.empty()) {
    std::fputs(usage_text(table).c_str(), stderr);
    return k_exit_usage;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("kb %s\n", KB_VERSION);
    return k_exit_ok;
  }
  if (auto help = help_request(args, table)) {
    if (!*help) {
      print_errors(help->errors());
      return k_exit_usage;
    }
    std::fputs(help->value().c_str(), stdout);
    return k_exit_ok;
  }
  auto parsed = parse_args(args, table);
  if (!parsed) {
    print_errors(parsed.errors());
    return k_exit_usage;
  }

  if (parsed->command == "completions") return cmd_completions(*parsed);

  RealDisk disk;
  RealProcess process;
  Environment env = Environment::from_process();
  Io io{disk, process, env};

  const std::string& cmd = parsed->command;
  if (cmd == "check-config") return cmd_check_config(*parsed, io);
  if (cmd == "toolchains") return cmd_toolchains(*parsed, io);
  if (cmd == "matrix") return cmd_matrix(*parsed, io);
  if (cmd == "build") return cmd_build(*parsed, io, argv[0]);
  if (cmd == "test") return cmd_test(*parsed, io, argv[0]);
  if (cmd == "develop") return cmd_develop(*parsed, io);
  if (cmd == "deps") return cmd_deps(*parsed, io);
  if (cmd == "clean") return cmd_clean(*parsed, io);
  if (cmd == "init-flake") return cmd_init_flake(*parsed, io);
  if (cmd == "internal-bundle") return cmd_internal_bundle(*parsed, io);
  if (cmd == "internal-hipify") return cmd_internal_hipify(*parsed, io);
  std::fprintf(stderr, "kb: command '%s' is not wired\n", cmd.c_str());
  return k_exit_usage;
}

}  // namespace kb
