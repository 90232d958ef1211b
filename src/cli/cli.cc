// The CLI: argv -> ParsedArgs -> Request -> one pipeline command (through the command table)
// -> printed outcome and exit code.
#include "src/cli/cli.h"

#include <climits>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "kb/bundle.h"
#include "kb/discover.h"
#include "kb/json_output.h"
#include "kb/pipeline.h"
#include "kb/reference_sets.h"
#include "src/cli/args.h"
#include "src/cli/commands.h"
#include "src/cli/completions.h"
#include "src/cli/print.h"
#include "src/cli/request_args.h"

namespace kb {

namespace cli {

namespace {

// The kb binary's own absolute path (for the edges ninja runs back into kb).
std::string self_path(const char* argv0, const std::string& cwd) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return absolute_in(cwd, argv0);
}

// The current directory, or "" when it cannot be read (paths then stay relative).
std::string current_dir() {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  return ec ? std::string() : cwd.string();
}

}  // namespace

int run_check_config(const CliCall& call) {
  auto config = command::check_config(call.request, call.io);
  const std::string& dir = call.request.kernel_dir_given;
  if (call.request.json) {
    print_text(check_config_to_json(config, dir == "." ? "build.toml" : dir + "/build.toml"));
    if (!config) print_errors(config.errors());
    return config ? k_exit_ok : k_exit_failure;
  }
  if (!config) {
    print_errors(config.errors());
    std::fprintf(stderr, "kb: %zu error(s) in %s/build.toml\n", config.errors().list.size(),
                 dir.c_str());
    return k_exit_failure;
  }
  print_findings(config->warnings, "warning");
  print_findings(config->notes, "note");
  std::printf("%s: ok (%s, edition %d, %zu kernel section(s))\n", config->path.c_str(),
              config->name.c_str(), config->edition, config->kernels.size());
  return k_exit_ok;
}

int run_toolchains(const CliCall& call) {
  auto tc = command::toolchains(call.request, call.io);
  if (!tc) {
    print_errors(tc.errors());
    return k_exit_failure;
  }
  print_text(call.request.json ? toolchains_to_json(*tc) : toolchains_to_text(*tc));
  return k_exit_ok;
}

int run_matrix(const CliCall& call) {
  auto outcome = command::matrix(call.request, call.io);
  if (!outcome) {
    print_errors(outcome.errors());
    return k_exit_failure;
  }
  if (!outcome->native) {
    for (const auto& n : outcome->nix_variants) std::printf("%s\n", n.c_str());
    return k_exit_ok;
  }
  const MatrixReport& report = *outcome->native;
  print_findings(report.config.warnings, "warning");
  print_findings(unusable_named_toolchains(report.toolchains), "warning");
  bool all = call.request.all;
  print_text(call.request.json ? matrix_to_json(report.matrix, report.toolchains, all)
                               : matrix_to_text(report.matrix, all));
  if (all && !call.request.json) {
    // The reference's build sets (kb/reference_sets.h) that this machine cannot produce.
    auto missing = unproducible_sets(reference_build_sets(), report.toolchains);
    if (!missing.empty()) std::printf("reference build sets this machine cannot produce:\n");
    for (const auto& m : missing) std::printf("  %s: %s\n", m.variant.c_str(), m.why.c_str());
  }
  if (report.matrix.variants.empty() && !all)
    std::fprintf(stderr, "kb: no variant can be built here; run 'kb matrix --all' to see why\n");
  return k_exit_ok;
}

int run_internal_bundle(const CliCall& call) {
  if (call.args.positional.empty()) {
    std::fprintf(stderr, "kb: internal-bundle needs a manifest path\n");
    return k_exit_usage;
  }
  auto r = assemble_bundle_from_file(call.args.positional[0], call.io.disk);
  if (!r) {
    print_errors(r.errors());
    return k_exit_failure;
  }
  return k_exit_ok;
}

int run_completions(const CliCall& call) {
  std::string shell = call.args.positional.empty() ? "" : call.args.positional[0];
  std::string script = completion_script(shell, command_table());
  if (script.empty()) {
    std::string near = closest_match(shell, completion_shells());
    print_errors(Error{
        shell.empty() ? "kb completions needs a shell" : fmt::format("unknown shell '{}'", shell),
        {},
        near.empty() || shell.empty() ? "use bash, zsh or fish"
                                      : fmt::format("did you mean '{}'?", near)});
    return k_exit_usage;
  }
  std::fwrite(script.data(), 1, script.size(), stdout);
  return k_exit_ok;
}

}  // namespace cli

int cli_main(int argc, char** argv) {
  using namespace cli;
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

  RealDisk disk;
  RealProcess process;
  Environment env = Environment::from_process();
  StderrStatus status;
  Io io{disk, process, env, status};
  const std::string cwd = current_dir();
  MachineFacts facts =
      read_machine_facts(disk, self_path(argv[0], cwd), std::to_string(::getpid()));
  auto request = request_from_args(*parsed, facts, cwd);
  if (!request) {
    print_errors(request.errors());
    return k_exit_usage;
  }
  for (const auto& spec : table)
    if (spec.name == parsed->command && spec.handler) return spec.handler({*parsed, *request, io});
  std::fprintf(stderr, "kb: command '%s' is not wired\n", parsed->command.c_str());
  return k_exit_usage;
}

}  // namespace kb
