// Choosing the linker for the link steps.

#include "kb/linker.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace kb {

Result<std::string> choose_linker(const HostCompiler& cxx, std::string_view requested) {
  if (requested == k_linker_auto) return cxx.linkers.empty() ? "" : cxx.linkers.front().name;
  if (requested == k_linker_default) return std::string();
  if (requested == "bfd") return std::string("bfd");
  auto found = std::find_if(cxx.linkers.begin(), cxx.linkers.end(),
                            [&](const Linker& l) { return l.name == requested; });
  if (found != cxx.linkers.end()) return found->name;

  std::vector<std::string> known = {std::string(k_linker_auto), std::string(k_linker_default),
                                    "bfd"};
  for (const char* name : k_fast_linkers) known.push_back(name);
  std::string usable = "bfd";
  for (const auto& l : cxx.linkers) usable += ", " + l.name;
  if (std::find(known.begin(), known.end(), requested) == known.end()) {
    std::string near = closest_match(std::string(requested), known);
    return Error{fmt::format("unknown linker '{}'", requested),
                 {},
                 near.empty() ? fmt::format("use auto, default, or one of: {}", usable)
                              : fmt::format("did you mean '{}'?", near)};
  }
  return Error{fmt::format("--linker={}: {} cannot use {} here (no working ld.{} on PATH)",
                           requested, cxx.path, requested, requested),
               {},
               fmt::format("install it, or use --linker=auto (usable here: {}); 'kb toolchains' "
                           "lists the linkers found and why others were not used",
                           usable)};
}

}  // namespace kb
