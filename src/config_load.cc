#include "kb/config_load.h"

#include "kb/path.h"

namespace kb {

namespace {

// The src entries of `config` that exist below `kernel_dir` but are not regular files (a
// FIFO, a device, a socket): a compiler reading one would block or never finish. Missing
// files are check_source_files' to report.
Result<Ok> check_sources_are_regular(const Config& config, const std::string& kernel_dir,
                                     const Disk& disk) {
  std::vector<Error> errors;
  auto check = [&](const Located& f, const std::string& where) {
    FileStat st = disk.stat(join_path(kernel_dir, f.value));
    if (st.exists && !st.is_dir && !st.is_regular)
      errors.push_back(Error{"'" + f.value + "' named in " + where + " is not a regular file",
                             f.loc,
                             "name a regular file (a FIFO or a device could block the build "
                             "or never end)"});
  };
  for (const auto& f : config.torch.src) check(f, "[torch] src");
  for (const auto& k : config.kernels)
    for (const auto& f : k.src) check(f, "[kernel." + k.name + "] src");
  if (!errors.empty()) return Errors(std::move(errors));
  return Ok{};
}

}  // namespace

Result<Config> load_config_file(const std::string& path, const Disk& disk) {
  auto text = disk.read_file(path, k_max_build_toml_bytes);
  if (!text) return text.take_errors();
  return parse_config(*text, path);
}

Result<Config> load_config(const std::string& kernel_dir, const Disk& disk) {
  std::string path = join_path(kernel_dir, "build.toml");
  if (!disk.exists(path))
    return Error{"no build.toml in '" + (kernel_dir.empty() ? "." : kernel_dir) + "'",
                 {},
                 "run kb in a kernel directory, or pass it: kb COMMAND DIR"};
  auto config = load_config_file(path, disk);
  if (!config) return config.take_errors();
  auto files = check_source_files(
      *config, [&](const std::string& rel) { return disk.stat(join_path(kernel_dir, rel)); });
  if (!files) return files.take_errors();
  KB_TRY(check_sources_are_regular(*config, kernel_dir, disk));
  return config;
}

}  // namespace kb
