#include "config_paths.h"

#include <map>
#include <set>

#include <fmt/format.h>

#include "kb/source_path.h"
#include "src/flags.h"

namespace kb::config_detail {

namespace {

// One src entry with the name of its list for messages ("[kernel.relu] src").
struct Entry {
  const Located* item;
  std::string list;
};

// "line 3, column 8": where the other entry is, in the same build.toml.
std::string where(const SourceLoc& loc) {
  return fmt::format("line {}, column {}", loc.line, loc.col);
}

// The entries one variant of backend `b` compiles: the framework's src and the src of every
// kernel section of `b`, in file order of the lists.
std::vector<Entry> compiled_by(const Config& c, const std::string& framework_list,
                               std::optional<Backend> b) {
  std::vector<Entry> out;
  auto add = [&](const std::vector<Located>& src, const std::string& list) {
    for (const auto& item : src)
      if (classify_source(item.value) != SourceKind::not_compiled) out.push_back({&item, list});
  };
  add(c.torch.src, framework_list);
  if (b)
    for (const auto& k : c.kernels)
      if (k.backend == *b) add(k.src, "[kernel." + k.name + "] src");
  return out;
}

}  // namespace

std::vector<Error> check_src_paths(const Config& c) {
  std::vector<Error> errors;
  std::set<const Located*> bad;
  auto check = [&](const std::vector<Located>& src, const std::string& list) {
    for (const auto& item : src) {
      if (auto e = source_path_problem(item.value, list)) {
        e->loc = item.loc;
        errors.push_back(std::move(*e));
        bad.insert(&item);
      }
    }
  };
  std::string framework_list = "[" + std::string(to_string(c.framework)) + "] src";
  check(c.torch.src, framework_list);
  for (const auto& k : c.kernels) check(k.src, "[kernel." + k.name + "] src");

  // Every variant compiles the framework's sources and the sections of one backend.
  std::set<std::optional<Backend>> groups;
  for (const auto& k : c.kernels) groups.insert(k.backend);
  if (groups.empty()) groups.insert(std::nullopt);
  std::set<std::pair<const Located*, const Located*>> reported;
  for (const auto& b : groups) {
    std::map<std::string, const Entry*> first_by_stem;
    std::vector<Entry> entries = compiled_by(c, framework_list, b);
    for (const auto& e : entries) {
      if (bad.contains(e.item)) continue;
      auto [it, fresh] = first_by_stem.emplace(object_stem(e.item->value), &e);
      if (fresh) continue;
      const Entry& first = *it->second;
      // One file in several [kernel.*] sections is the reference's way of giving it the
      // archs and flags of each: it is compiled once, with their union (docs/conformance.md,
      // rule 5). Twice in one list, or in [torch] src and a section, is a mistake.
      bool shared_by_sections =
          first.list != e.list && first.list != framework_list && e.list != framework_list;
      if (shared_by_sections || !reported.insert({first.item, e.item}).second) continue;
      std::string message =
          first.item->value == e.item->value
              ? fmt::format("'{}' in {} is already listed in {} ({})", e.item->value, e.list,
                            first.list, where(first.item->loc))
              : fmt::format(
                    "'{}' in {} and '{}' in {} ({}) compile to the same object "
                    "'obj/{}.o'",
                    e.item->value, e.list, first.item->value, first.list, where(first.item->loc),
                    it->first);
      errors.push_back(Error{std::move(message), e.item->loc,
                             "list each source once, spelled one way; a file compiled by every "
                             "variant belongs in one src list only"});
    }
  }
  return errors;
}

}  // namespace kb::config_detail
