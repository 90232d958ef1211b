#pragma once
// The CLI handlers of `kb build`, `kb clean` and `kb matrix --backend=nix`.

#include "kb/pipeline.h"
#include "src/cli_args.h"

namespace kb {

// `kb build`: native (default) or nix backend; returns the exit code.
int cmd_build(const ParsedArgs& args, Io& io, const char* argv0);
// `kb init-flake`: writes the canonical flake.nix; returns the exit code.
int cmd_init_flake(const ParsedArgs& args, Io& io);
// `kb clean`: removes kb's outputs; returns the exit code.
int cmd_clean(const ParsedArgs& args, Io& io);
// `kb matrix --backend=nix`: the flake's variants; returns the exit code.
int cmd_matrix_nix(const ParsedArgs& args, Io& io);

}  // namespace kb
