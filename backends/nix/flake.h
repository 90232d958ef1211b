#pragma once
// Pure text for the Nix side: flake references, installable attributes, the impure
// expressions kb builds kernels without a usable flake with, the canonical flake.nix, the
// parse of `nix eval ...#variants --json`, and the checks on an existing flake.nix.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/error.h"
#include "kb/version.h"

namespace kb::nix {

// Where a kernel's sources are, as far as Nix is concerned.
struct KernelSource {
  std::string dir;                     // absolute kernel directory, no trailing '/'
  std::optional<std::string> git_top;  // the git work tree's root when dir is inside one
  std::string git_prefix;              // dir relative to git_top: "" or "sub/dir/"
};

// The `self` kb hands to genKernelFlakeOutputs: what a flake built from git would carry.
struct SelfRevision {
  std::string short_rev;  // 7 hex of the commit, or a content id outside git
  std::string rev;        // the full commit id; empty outside git
  bool dirty = false;     // tracked files differ from the commit
};

// The flake reference of the kernel: git+file://<top>[?dir=<prefix>] inside git (Nix then
// reads only tracked files and sets self.rev, as `nix build .` does), path:<dir> outside.
// Characters outside [A-Za-z0-9-._~/] are percent-encoded. Nix before 2.19 does not decode
// them in git+file URLs, so that case fails with the fix.
Result<std::string> flake_ref(const KernelSource& source, const Version& nix_version);

// "bundle" for no variants, else "redistributable.<v>" for each (quoted when the name has
// characters outside [A-Za-z0-9_'-]).
std::vector<std::string> build_attributes(const std::vector<std::string>& variants);

// A Nix string literal for `text` ("..." with \, " and ${ escaped).
std::string nix_string(std::string_view text);

// The kernel-builder reference for getFlake: an absolute directory becomes path:<dir>;
// anything else is taken as a flake reference. Fails for a relative directory.
Result<std::string> kernel_builder_ref(std::string_view ref);

// The expression for `nix build --impure --expr`, evaluating to kernel-builder's package set
// for the current system (attributes bundle, redistributable, variants, ...), or with
// `output_set` = "devShells" to its shells (default, test, devShells.<v>, testShells.<v>). The
// sources are read through builtins.fetchGit inside git (tracked files only) and as a plain path
// outside. With `use_kernel_flake`, the kernel's own flake.nix is imported and its `outputs` called
// with `kernel-builder` and a `self` carrying `revision`; otherwise genKernelFlakeOutputs is
// called directly with `path` and `self`.
std::string build_expression(const KernelSource& source, const SelfRevision& revision,
                             std::string_view kernel_builder, bool use_kernel_flake,
                             std::string_view output_set = "packages");

// The names in `nix eval ...#variants --json` output. Fails unless it is a JSON list of
// strings.
Result<std::vector<std::string>> parse_variants_json(std::string_view json);

// What check_flake_nix found in a kernel's flake.nix.
struct FlakeCheck {
  std::vector<Error> errors;               // would stop evaluation with the kernel-builder in use
  std::vector<Error> warnings;             // works, but outdated
  bool calls_gen_kernel = false;           // calls genKernelFlakeOutputs
  std::optional<std::string> builder_url;  // inputs.kernel-builder.url, when written plainly
};

// Looks at flake.nix text (comments ignored) for the entry points kernel-builder renamed or
// removed: genFlakeOutputs (renamed to genKernelFlakeOutputs), lib.<system>.
// buildTorchExtensionBundle / mkTorchExtensionBundle (gone), a `rev` argument (rejected) or no
// `self` passed to genKernelFlakeOutputs. These are errors when the kernel-builder in use is
// the current one (any but github:huggingface/kernel-builder), else warnings. `path` is used
// in locations; `override_ref` is the --kernel-builder given, if any.
FlakeCheck check_flake_nix(std::string_view text, std::string_view path,
                           const std::optional<std::string>& override_ref);

// The canonical flake.nix for a kernel (the shape every kernels-community kernel uses), with
// `kernel_builder` as the input URL (kb's default: nix::k_default_kernel_builder,
// kb/nix_backend.h).
std::string canonical_flake_nix(std::string_view kernel_builder);

}  // namespace kb::nix
