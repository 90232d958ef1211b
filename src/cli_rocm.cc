#include "src/cli_rocm.h"

#include <cstdio>
#include <filesystem>
#include <string>

#include "kb/hipify.h"

namespace kb {

int cmd_internal_hipify(const ParsedArgs& args, Io& io) {
  if (args.positional.size() != 2) {
    std::fprintf(stderr, "kb: internal-hipify needs an input and an output path\n");
    return 2;
  }
  const std::string& in = args.positional[0];
  const std::string& out = args.positional[1];
  auto text = io.disk.read_file(in);
  if (!text) {
    for (const auto& e : text.errors().list) std::fprintf(stderr, "kb: %s\n", format_error(e).c_str());
    return 1;
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
      for (const auto& e : made.errors().list) std::fprintf(stderr, "kb: %s\n", format_error(e).c_str());
      return 1;
    }
  }
  if (auto written = io.disk.write_if_changed(out, r.text); !written) {
    for (const auto& e : written.errors().list) std::fprintf(stderr, "kb: %s\n", format_error(e).c_str());
    return 1;
  }
  return 0;
}

}  // namespace kb
