#pragma once
// "Unknown variant, did you mean": the one check of requested variant names against the
// known ones, shared by the native plan, the native backend and the Nix backend (each words
// its own error from the result).

#include <string>
#include <vector>

namespace kb {

// A requested name that is not known, with the closest known one ("" when none is close).
struct UnknownVariant {
  std::string name;
  std::string closest;
  bool operator==(const UnknownVariant&) const = default;
};

// The names of `wanted` that are not in `known`, in the order of `wanted`, each with the
// closest known name (closest_match). Empty when every name is known. Pure.
std::vector<UnknownVariant> unknown_variants(const std::vector<std::string>& wanted,
                                             const std::vector<std::string>& known);

}  // namespace kb
