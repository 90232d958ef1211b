#include "kb/error.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace kb {

std::string format_error(const Error& e) { return format_error(e, "error"); }

std::string format_error(const Error& e, std::string_view label) {
  std::string out;
  if (e.loc && !e.loc->file.empty()) {
    out = e.loc->file;
    if (e.loc->line > 0) out += fmt::format(":{}", e.loc->line);
    if (e.loc->line > 0 && e.loc->col > 0) out += fmt::format(":{}", e.loc->col);
    out += ": ";
  }
  out += fmt::format("{}: {}", label, e.message);
  if (!e.hint.empty()) out += "\n  hint: " + e.hint;
  return out;
}

namespace {

// Optimal string alignment distance: a swap of two neighbouring letters ("nmae" for "name")
// counts as one edit, the commonest typo in keys. Three rolling rows of b.size() + 1
// entries, not an (a.size() + 1) x (b.size() + 1) matrix.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  // Names worth a hint are short; a longer word is no typo of one (and comparing two long
  // strings would cost the product of their lengths).
  constexpr size_t k_longest_compared = 256;
  if (word.size() > k_longest_compared) return "";
  // Like ninja's spellcheck: accept up to a third of the word's length, at most 3 edits.
  size_t limit = std::min<size_t>(3, std::max<size_t>(1, word.size() / 3));
  std::string best;
  size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    // The length difference is a lower bound of the distance: a candidate out of reach costs
    // nothing, and a huge word (a 9 MB key) is never compared at all.
    size_t gap = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (gap > limit) continue;
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace kb
