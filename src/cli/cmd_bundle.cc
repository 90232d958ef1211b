// The CLI handler of `kb bundle merge DIR... --out DIR` (kb/bundle_merge.h,
// docs/distributed.md).
#include <cstdio>

#include <fmt/format.h>

#include "kb/path.h"
#include "src/cli/commands.h"
#include "src/cli/print.h"

namespace kb::cli {

int run_bundle(const CliCall& call) {
  const Request& r = call.request;
  auto merged = command::bundle_merge(r, call.io);
  if (!merged) {
    print_errors(merged.errors());
    return k_exit_failure;
  }
  std::vector<Error> notes;
  for (const auto& s : merged->skipped)
    notes.push_back(Error{"not a bundle, skipped: " + s, {}, ""});
  print_findings(notes, "note");
  for (const auto& v : merged->added) std::printf("%s\n", join_path(r.out_dir, v).c_str());
  std::fprintf(
      stderr, "kb: merged %zu variant(s) into %s%s\n", merged->added.size(), r.out_dir.c_str(),
      merged->unchanged.empty()
          ? ""
          : fmt::format(" ({} already there, identical)", merged->unchanged.size()).c_str());
  return k_exit_ok;
}

}  // namespace kb::cli
