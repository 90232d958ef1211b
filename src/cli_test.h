#pragma once
// The CLI handlers of `kb test` and `kb develop` (docs/testing.md).

#include "kb/pipeline.h"
#include "src/cli_args.h"

namespace kb {

// `kb test`: builds (native) and runs the kernel's tests once per Torch install, or runs the
// flake's ci-test / test shell (nix); returns pytest's exit code (the first non-zero one).
int cmd_test(const ParsedArgs& args, Io& io, const char* argv0);

// `kb develop`: runs $SHELL (or the command after "--") in the test environment, or the
// flake's dev shell (nix); returns the shell's or the command's exit code.
int cmd_develop(const ParsedArgs& args, Io& io);

}  // namespace kb
