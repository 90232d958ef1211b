#include "kb/unknown_variants.h"

#include <algorithm>

#include "kb/error.h"

namespace kb {

std::vector<UnknownVariant> unknown_variants(const std::vector<std::string>& wanted,
                                             const std::vector<std::string>& known) {
  std::vector<UnknownVariant> out;
  for (const auto& w : wanted)
    if (std::find(known.begin(), known.end(), w) == known.end())
      out.push_back(UnknownVariant{w, closest_match(w, known)});
  return out;
}

}  // namespace kb
