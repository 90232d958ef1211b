#pragma once
// Template body of kb::check_source_files (kept out of config.h for readability).

namespace kb {

template <class ExistsFn>
Result<Ok> check_source_files(const Config& config, ExistsFn&& exists) {
  std::vector<Error> errors;
  auto check = [&](const Located& f, const std::string& where) {
    if (!exists(f.value))
      errors.push_back(Error{"file '" + f.value + "' named in " + where + " does not exist",
                             f.loc, "fix the path, or create the file"});
  };
  for (const auto& f : config.torch.src) check(f, "[torch] src");
  for (const auto& k : config.kernels)
    for (const auto& f : k.src) check(f, "[kernel." + k.name + "] src");
  if (!errors.empty()) return Errors(std::move(errors));
  return Ok{};
}

}  // namespace kb
