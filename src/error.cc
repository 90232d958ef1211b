#include "kb/error.h"

#include <algorithm>

#include <fmt/format.h>

namespace kb {

std::string format_error(const Error& e) {
  std::string out;
  if (e.loc && !e.loc->file.empty()) {
    out = e.loc->file;
    if (e.loc->line > 0) out += fmt::format(":{}", e.loc->line);
    if (e.loc->line > 0 && e.loc->col > 0) out += fmt::format(":{}", e.loc->col);
    out += ": ";
  }
  out += "error: " + e.message;
  if (!e.hint.empty()) out += "\n  hint: " + e.hint;
  return out;
}

namespace {

// Classic Levenshtein distance; inputs are short key names.
size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment distance: a swap of two neighbouring letters ("nmae" for
  // "name") counts as one edit, the commonest typo in keys.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  // Like ninja's spellcheck: accept up to a third of the word's length, at most 3 edits.
  size_t limit = std::min<size_t>(3, std::max<size_t>(1, word.size() / 3));
  std::string best;
  size_t best_d = limit + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

}  // namespace kb
