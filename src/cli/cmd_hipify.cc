// The CLI handler of `kb internal-hipify` (docs/rocm.md).
#include <cstdio>
#include <filesystem>
#include <string>

#include "kb/hipify.h"
#include "src/cli/commands.h"
#include "src/cli/print.h"

namespace kb::cli {

int run_internal_hipify(const CliCall& call) {
  const ParsedArgs& args = call.args;
  Io& io = call.io;
  if (args.positional.size() != 2) {
    std::fprintf(stderr, "kb: internal-hipify needs an input and an output path\n");
    return k_exit_usage;
  }
  const std::string& in = args.positional[0];
  const std::string& out = args.positional[1];
  auto text = io.disk.read_file(in);
  if (!text) {
    print_errors(text.errors());
    return k_exit_failure;
  }
  HipifyResult r = hipify_source(*text, in);
  for (const auto& u : r.unmapped)
    std::fprintf(stderr,
                 "kb: warning: %s:%d: '%s' has no HIP translation in kb's hipify table "
                 "(docs/rocm.md); left as it is\n",
                 in.c_str(), u.line, u.name.c_str());
  std::string dir = std::filesystem::path(out).parent_path().string();
  if (!dir.empty()) {
    if (auto made = io.disk.make_dirs(dir); !made) {
      print_errors(made.errors());
      return k_exit_failure;
    }
  }
  if (auto written = io.disk.write_if_changed(out, r.text); !written) {
    print_errors(written.errors());
    return k_exit_failure;
  }
  return k_exit_ok;
}

}  // namespace kb::cli
