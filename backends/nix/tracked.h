#pragma once
// Which files the Nix build reads from the kernel directory, and whether git tracks them.
// A flake built from a git checkout (and builtins.fetchGit) sees only tracked files, so an
// untracked source file makes Nix fail late with "No such file or directory"; kb names the
// file before Nix runs. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/config.h"
#include "kb/error.h"

namespace kb::nix {

// A file the build reads.
struct NeededFile {
  std::string path;              // relative to the kernel directory, '/'-separated
  std::optional<SourceLoc> loc;  // the build.toml entry that names it, if one does
  bool required = true;          // false: the build works without it but loses something
};

// "torch-ext" or "tvm-ffi-ext": where the kernel's Python package lives.
std::string_view package_root(const Config& config);

// The files of kernel-builder's source set (reference §5.6) plus what the flake reads:
// build.toml, every [torch]/[tvm-ffi] and [kernel.*] src entry, and each of `ext_files` (files
// under package_root(), relative to the kernel dir) whose extension is in pyext; flake.nix when
// `uses_flake_nix`. Optional: each of `optional_present` (flake.lock, CARD.md, benchmarks/...,
// given only when they exist). Sorted by path, without duplicates.
std::vector<NeededFile> needed_files(const Config& config,
                                     const std::vector<std::string>& ext_files, bool uses_flake_nix,
                                     const std::vector<std::string>& optional_present);

// The entries of NUL-separated output (`git ls-files -z`).
std::vector<std::string> parse_nul_separated(std::string_view text);

struct TrackingReport {
  std::vector<Error> errors;    // required files git does not track
  std::vector<Error> warnings;  // optional files git does not track
};

// Compares `needed` with `tracked` (`git ls-files -z` run in the kernel directory). A file
// below a tracked path is inside a submodule, which a flake leaves out; it is reported as such.
TrackingReport check_tracked(const std::vector<NeededFile>& needed,
                             const std::vector<std::string>& tracked);

}  // namespace kb::nix
