#pragma once
// The CLI handlers of `kb build`, `kb clean` and `kb matrix --backend=nix`.

#include "kb/pipeline.h"
#include "src/cli_args.h"

namespace kb {

// `kb build`: native (default) or nix backend; returns the exit code.
int cmd_build(const ParsedArgs& args, Io& io, const char* argv0);
// `path` made absolute and normalised, without a trailing '/' (as every command takes DIR).
std::string absolute_dir(const std::string& path);
// The native build of `dir` (an absolute path) from the build options in `args`: the whole
// of `kb build` for the native backend, also run by `kb test`. Prints progress and errors;
// prints the bundle paths when `print_bundles`; on success moves what was planned into
// `built` when it is not null. Returns the exit code.
int build_native(const ParsedArgs& args, Io& io, const char* argv0, const std::string& dir,
                 bool print_bundles, PreparedBuild* built);
// `kb init-flake`: writes the canonical flake.nix; returns the exit code.
int cmd_init_flake(const ParsedArgs& args, Io& io);
// `kb clean`: removes kb's outputs; returns the exit code.
int cmd_clean(const ParsedArgs& args, Io& io);
// `kb matrix --backend=nix`: the flake's variants; returns the exit code.
int cmd_matrix_nix(const ParsedArgs& args, Io& io);

}  // namespace kb
