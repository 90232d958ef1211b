#include "kb/compdb.h"

#include <nlohmann/json.hpp>

namespace kb {

std::string render_compdb(const BuildPlan& plan, const std::string& directory) {
  // ordered_json keeps the keys in the order clang's documentation lists them.
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (const auto& vb : plan.variants) {
    for (const auto& c : vb.compiles) {
      entries.push_back({{"directory", directory},
                         {"file", c.source},
                         {"arguments", c.argv},
                         {"output", c.object}});
    }
  }
  // Replacing invalid UTF-8 (a path can hold any bytes) instead of throwing.
  return entries.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace kb
