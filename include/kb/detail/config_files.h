#pragma once
// Template body of kb::check_source_files (kept out of config.h for readability).

namespace kb {

template <class StatFn>
Result<Ok> check_source_files(const Config& config, StatFn&& stat) {
  std::vector<Error> errors;
  auto check = [&](const Located& f, const std::string& where) {
    FileStat st = stat(f.value);
    if (!st.exists)
      errors.push_back(Error{"file '" + f.value + "' named in " + where + " does not exist", f.loc,
                             "fix the path, or create the file"});
    else if (st.is_dir)
      errors.push_back(
          Error{"'" + f.value + "' named in " + where + " is a directory, not a file", f.loc,
                "list the files in it one by one, e.g. \"" + f.value + "/kernel.cu\""});
  };
  for (const auto& f : config.torch.src) check(f, "[torch] src");
  for (const auto& k : config.kernels)
    for (const auto& f : k.src) check(f, "[kernel." + k.name + "] src");
  if (!errors.empty()) return Errors(std::move(errors));
  return Ok{};
}

}  // namespace kb
