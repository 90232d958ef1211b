// matrix_to_text (declared in kb/json_output.h): the matrix as `kb matrix` prints it for people.

#include "kb/json_output.h"

namespace kb {

std::string matrix_to_text(const Matrix& matrix, bool include_rejected) {
  std::string out;
  for (const auto& v : matrix.variants) {
    out += v.name + "\n";
    // With --all, what each section dropped (a ROCm target the HIP compiler cannot build, a
    // capability outside the toolkit's list) and each section left out.
    if (!include_rejected) continue;
    for (const auto& s : v.sections)
      for (const auto& n : s.notes) out += "  note: [kernel." + s.section + "] " + n + "\n";
    for (const auto& s : v.skipped_sections) out += "  skipped section: " + s + "\n";
  }
  if (include_rejected)
    for (const auto& r : matrix.rejected) out += "  rejected: " + r.name + ": " + r.reason + "\n";
  return out;
}

}  // namespace kb
