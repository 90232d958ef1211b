#include "src/cli_deps.h"

#include <cstdio>

#include "kb/deps_resolve.h"
#include "src/cli_build.h"
#include "src/cli_print.h"

namespace kb {

namespace {

constexpr int k_exit_failure = 1;
constexpr int k_exit_usage = 2;

void write_out(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

}  // namespace

std::vector<std::string> dep_options(const ParsedArgs& args) {
  std::vector<std::string> out;
  for (const auto& opt : args.all("dep")) {
    size_t eq = opt.find('=');
    if (eq == std::string::npos || eq + 1 == opt.size()) {
      out.push_back(opt);
      continue;
    }
    out.push_back(opt.substr(0, eq + 1) + absolute_dir(opt.substr(eq + 1)));
  }
  return out;
}

int cmd_deps(const ParsedArgs& args, Io& io) {
  std::vector<std::string> pos = args.positional;
  const bool fetch = !pos.empty() && pos.front() == "fetch";
  if (fetch) pos.erase(pos.begin());
  if (pos.size() > 1) {
    print_errors(Error{"unexpected argument '" + pos[1] + "' for 'kb deps'", {},
                       "usage: kb deps [DIR] [--json], or kb deps fetch [DIR] (a kernel dir named "
                       "'fetch' is ./fetch)"});
    return k_exit_usage;
  }
  const std::string dir = absolute_dir(pos.empty() ? "." : pos.front());
  auto config = load_config(dir, io.disk);
  if (!config) {
    print_errors(config.errors());
    return k_exit_failure;
  }
  ToolchainQuery query;
  query.torch = args.all("torch");
  query.use_cache = !args.has("no-cache");
  query.deps = dep_options(args);
  // Discovery only names the interpreters pip can run with; looking needs none.
  Toolchains toolchains;
  if (fetch) {
    auto found = find_toolchains(query, io);
    if (!found) {
      print_errors(found.errors());
      return k_exit_failure;
    }
    toolchains = std::move(*found);
  }
  auto deps = find_dependencies(*config, query, toolchains, fetch, /*full_verify=*/true, io);
  if (!deps) {
    print_errors(deps.errors());
    return k_exit_failure;
  }
  write_out(args.has("json") ? deps_to_json(*deps, dir, dep_cache_dir(io.env), fetch)
                             : deps_to_text(*deps));
  if (!fetch) return 0;
  std::vector<Error> missing;
  for (const auto& d : *deps)
    if (d.state == DepStatus::State::missing) missing.push_back(missing_dependency_error(d));
  if (missing.empty()) return 0;
  print_errors(Errors(std::move(missing)));
  return k_exit_failure;
}

}  // namespace kb
