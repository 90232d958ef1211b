// kb-embed DIR [--torch PYTHON_OR_VENV]...: prints the variants kb can build for the kernel
// in DIR, then each rejected combination and why. An example of kb's C++ API
// (docs/embedding.md): parse_config, discover_toolchains and make_matrix, with the real Disk,
// Process and Environment.

#include <cstdio>
#include <string>
#include <vector>

#include <kb/config.h>
#include <kb/discover.h>
#include <kb/error.h>
#include <kb/matrix.h>

namespace {

int fail(const kb::Errors& errors) {
  for (const auto& e : errors.list) std::fprintf(stderr, "kb-embed: %s\n", kb::format_error(e).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kb-embed DIR [--torch PYTHON_OR_VENV]...\n");
    return 2;
  }
  std::string dir = argv[1];
  kb::DiscoveryRequest request;  // no cache file: every run probes
  for (int i = 2; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--torch") request.torch.push_back(argv[i + 1]);

  kb::RealDisk disk;
  kb::RealProcess process;
  kb::Environment env = kb::Environment::from_process();  // $KB_TORCH, $PATH, $CUDA_HOME...

  std::string path = dir + "/build.toml";
  auto text = disk.read_file(path);
  if (!text) return fail(text.errors());
  auto config = kb::parse_config(*text, path);  // pure: text in, Config out
  if (!config) return fail(config.errors());

  auto toolchains = kb::discover_toolchains(request, process, disk, env);
  if (!toolchains) return fail(toolchains.errors());

  auto matrix = kb::make_matrix(*config, *toolchains);  // pure
  if (!matrix) return fail(matrix.errors());

  std::printf("%s: %zu variant(s)\n", config->name.c_str(), matrix->variants.size());
  for (const auto& v : matrix->variants) {
    std::string archs;
    for (const auto& a : v.metadata_archs()) archs += " " + a;
    std::printf("  %s%s%s\n", v.name.c_str(), archs.empty() ? "" : " archs:", archs.c_str());
  }
  for (const auto& r : matrix->rejected) std::printf("  rejected %s: %s\n", r.name.c_str(), r.reason.c_str());
  return 0;
}
