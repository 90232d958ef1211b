#pragma once
// Pure parts of the Nix pre-flight: reading `nix --version` and `nix show-config --json`,
// and judging the result. nix_preflight (nix_backend.h) runs the commands.

#include <string>
#include <string_view>
#include <vector>

#include "kb/error.h"
#include "kb/nix_backend.h"
#include "kb/process.h"
#include "kb/version.h"

namespace kb::nix {

// The oldest Nix with the flake CLI kb uses (path:/git+file refs, --json, getFlake).
inline constexpr std::string_view k_min_nix_version = "2.4";

// The Hugging Face binary cache that kernel-builder's flake asks for.
inline constexpr std::string_view k_hf_cache = "https://huggingface.cachix.org";
inline constexpr std::string_view k_hf_cache_key =
    "huggingface.cachix.org-1:ynTPbLS0W8ofXd9fDjk1KvoFky9K2jhxe6r4nXAkc/o=";

// `program` plus the flags kb puts on every call (so that nothing depends on the user's
// experimental-features setting), then `args`.
std::vector<std::string> nix_argv(const std::string& program,
                                  const std::vector<std::string>& args = {});

// The version from `nix --version` output: the last word that parses as a version
// ("nix (Nix) 2.8.0", "nix (Lix, like Nix) 2.91.1"). Fails when there is none.
Result<Version> parse_nix_version(std::string_view text, std::string* version_text = nullptr);

// Fills sandbox, substituters, experimental_features, store and system of `info` from
// `nix show-config --json` (or `nix config show --json`) output. Accepts both shapes Nix has
// used: {"name": {"value": v, ...}} and {"name": v}. Nix 2.8 writes experimental features as
// enum numbers; they are mapped with 2.8's table, and kept as "#<n>" for other versions.
// Fails when the text is not a JSON object or has no "sandbox" setting.
Result<Ok> parse_show_config_json(std::string_view json, NixInfo& info);

// Judges a parsed NixInfo: returns it with notes added, or every error found. Pure: `env`
// only tells where a setting came from (NIX_CONFIG, NIX_CONF_DIR) for the fix.
Result<NixInfo> check_nix(NixInfo info, const NixOptions& options, const Environment& env);

// The note for a substituter that did not answer `nix store ping`.
Error unreachable_substituter_note(const std::string& url);

}  // namespace kb::nix
