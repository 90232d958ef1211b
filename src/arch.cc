#include "kb/arch.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include <fmt/format.h>

namespace kb {

namespace {

// A capability string taken apart: "9.0a+PTX" -> {9, 0, 'a', ptx}.
struct Cap {
  int major = 0;
  int minor = 0;
  char suffix = 0;  // 0, 'a' or 'f'
  bool ptx = false;
};

constexpr std::string_view k_ptx = "+PTX";

// Parses "M.m", "M.ma", "M.mf" with an optional "+PTX". The minor is one digit because the
// flattened code ("sm_90", "sm_121") cannot tell a two-digit minor apart.
std::optional<Cap> parse_cap(std::string_view s) {
  Cap c;
  if (s.ends_with(k_ptx)) {
    c.ptx = true;
    s.remove_suffix(k_ptx.size());
  }
  if (!s.empty() && (s.back() == 'a' || s.back() == 'f')) {
    c.suffix = s.back();
    s.remove_suffix(1);
  }
  size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 3 || dot + 2 != s.size())
    return std::nullopt;
  for (size_t i = 0; i < s.size(); ++i)
    if (i != dot && !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  if (s[0] == '0') return std::nullopt;
  c.major = std::stoi(std::string(s.substr(0, dot)));
  c.minor = s[dot + 1] - '0';
  return c;
}

// "9.0a+PTX" -> "9.0a": the part the intersection matches on.
std::string strip_ptx(const std::string& s) {
  return s.ends_with(k_ptx) ? s.substr(0, s.size() - k_ptx.size()) : s;
}

// "9.0a" -> "9.0".
std::string strip_suffix(const std::string& s) {
  if (!s.empty() && (s.back() == 'a' || s.back() == 'f')) return s.substr(0, s.size() - 1);
  return s;
}

// "9.0a" -> "90a", "12.1" -> "121".
std::string flat_code(const std::string& base) {
  std::string out;
  for (char ch : base)
    if (ch != '.') out += ch;
  return out;
}

// Numeric value of "M.m" for ordering: 9.0 -> 90, 12.1 -> 121.
int cap_number(const Cap& c) { return c.major * 10 + c.minor; }

// The number of an nvcc code "sm_90" / "compute_90a" (90), or -1.
int code_number(const std::string& code) {
  size_t us = code.find('_');
  if (us == std::string::npos) return -1;
  int n = 0;
  bool any = false;
  for (size_t i = us + 1; i < code.size() && std::isdigit(static_cast<unsigned char>(code[i]));
       ++i) {
    n = n * 10 + (code[i] - '0');
    any = true;
  }
  return any ? n : -1;
}

}  // namespace

std::vector<std::string> default_cuda_archs(const Version& cuda) {
  static const Version v12_8({12, 8});
  static const Version v12_9({12, 9});
  static const Version v13_0({13, 0});
  if (cuda < v12_8) return {"7.0", "7.2", "7.5", "8.0", "8.6", "8.7", "8.9", "9.0+PTX"};
  if (cuda < v12_9)
    return {"7.0", "7.2", "7.5", "8.0", "8.6", "8.7", "8.9", "9.0", "10.0", "10.1", "12.0+PTX"};
  // CUDA 12.9 added sm_103 and sm_121; the reference knows them from 12.9 on (kernels#783).
  if (cuda < v13_0)
    return {"7.0", "7.2",  "7.5",  "8.0",  "8.6",  "8.7",     "8.9",
            "9.0", "10.0", "10.1", "10.3", "12.0", "12.1+PTX"};
  return {"7.5", "8.0", "8.6", "8.7", "8.9", "9.0", "10.0", "10.3", "11.0", "12.0", "12.1+PTX"};
}

std::vector<std::string> all_default_cuda_targets() {
  std::vector<std::string> out;
  for (const Version& cuda : {Version({12, 0}), Version({12, 8}), Version({12, 9}), Version({13})})
    for (const auto& a : default_cuda_archs(cuda)) {
      std::string t = strip_ptx(a);
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
  std::sort(out.begin(), out.end(), natural_arch_less);
  return out;
}

bool natural_arch_less(const std::string& a, const std::string& b) {
  // Runs of digits compare by value, everything else byte by byte (CMake's NATURAL order).
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i]));
    bool db = std::isdigit(static_cast<unsigned char>(b[j]));
    if (da && db) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      std::string_view ra(a.data() + i, ie - i), rb(b.data() + j, je - j);
      while (ra.size() > 1 && ra.front() == '0') ra.remove_prefix(1);
      while (rb.size() > 1 && rb.front() == '0') rb.remove_prefix(1);
      if (ra.size() != rb.size()) return ra.size() < rb.size();
      if (ra != rb) return ra < rb;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
  return a < b;  // equal up to leading zeros: fall back to a total order
}

bool is_valid_cuda_capability(const std::string& cap) { return parse_cap(cap).has_value(); }

std::optional<CudaCapability> parse_cuda_capability(const std::string& cap) {
  auto c = parse_cap(cap);
  if (!c) return std::nullopt;
  return CudaCapability{c->major, c->minor, c->suffix, c->ptx};
}

bool cuda_capability_can_match(const std::string& cap) {
  return is_valid_cuda_capability(cap) &&
         !cuda_loose_intersection({cap}, all_default_cuda_targets()).archs.empty();
}

namespace {

// The supported list without "+PTX", naturally ordered, unique.
std::vector<std::string> plain_targets(const std::vector<std::string>& supported) {
  std::vector<std::string> targets;
  for (const auto& s : supported) {
    std::string t = strip_ptx(s);
    if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
  }
  std::sort(targets.begin(), targets.end(), natural_arch_less);
  return targets;
}

// A note for each plain source that serves no target, saying why: a higher source serves its
// targets, or there is no target it could serve (of its major, unless it asked for PTX).
void explain_unused(const std::vector<std::string>& plain, const std::set<std::string>& used,
                    const std::vector<std::string>& targets, const std::set<std::string>& ptx,
                    const std::vector<std::string>& all_targets, std::vector<std::string>& notes) {
  for (const auto& s : plain) {
    if (used.count(s)) continue;
    auto sc = parse_cap(s);
    bool could_serve = false;
    for (const auto& t : targets) {
      auto tc = parse_cap(t);
      if (sc && tc && cap_number(*sc) <= cap_number(*tc) &&
          (sc->major == tc->major || ptx.count(s)))
        could_serve = true;
    }
    std::string shown = ptx.count(s) ? s + "+PTX" : s;
    if (could_serve)
      notes.push_back(
          fmt::format("{}: dropped, a higher requested capability serves its targets", shown));
    else if (ptx.count(s))
      notes.push_back(fmt::format("{}: dropped, no supported target at or above it (supported: {})",
                                  shown, fmt::join(all_targets, ";")));
    else
      notes.push_back(
          fmt::format("{}: dropped, no supported target of major {} at or above it (supported: {})",
                      shown, sc ? sc->major : 0, fmt::join(all_targets, ";")));
  }
}

}  // namespace

ArchIntersection cuda_loose_intersection(const std::vector<std::string>& requested,
                                         const std::vector<std::string>& supported) {
  ArchIntersection out;
  std::vector<std::string> targets = plain_targets(supported);
  const std::vector<std::string> all_targets = targets;

  // Sources: "+PTX" removed but remembered.
  std::vector<std::string> sources;
  std::set<std::string> ptx;
  for (const auto& r : requested) {
    std::string base = strip_ptx(r);
    if (base.size() != r.size()) ptx.insert(base);
    if (std::find(sources.begin(), sources.end(), base) == sources.end()) sources.push_back(base);
  }

  // Arch-specific and family entries need their exact base among the targets; that target
  // is then served by them and leaves the pool.
  std::vector<std::string> chosen;
  std::vector<std::string> plain;
  for (const auto& s : sources) {
    std::string base = strip_suffix(s);
    if (base.size() == s.size()) {
      plain.push_back(s);
      continue;
    }
    auto it = std::find(targets.begin(), targets.end(), base);
    if (it != targets.end()) {
      targets.erase(it);
      chosen.push_back(s);
    } else {
      out.notes.push_back(
          fmt::format("{}: dropped, its base {} is not a supported target (supported: {})", s, base,
                      fmt::join(all_targets, ";")));
    }
  }
  std::sort(plain.begin(), plain.end(), natural_arch_less);

  // Each remaining target takes the highest plain source not above it, of the same major
  // unless that source asked for PTX (PTX is forward compatible across majors).
  std::set<std::string> used;
  for (const auto& t : targets) {
    auto tc = parse_cap(t);
    if (!tc) continue;
    const std::string* best = nullptr;
    for (const auto& s : plain) {
      auto sc = parse_cap(s);
      if (!sc) continue;
      if (cap_number(*sc) > cap_number(*tc)) break;
      if (sc->major == tc->major || ptx.count(s)) best = &s;
    }
    if (best) {
      used.insert(*best);
      if (std::find(chosen.begin(), chosen.end(), *best) == chosen.end()) chosen.push_back(*best);
    }
  }
  explain_unused(plain, used, targets, ptx, all_targets, out.notes);

  for (auto& c : chosen)
    if (ptx.count(c)) c += "+PTX";
  std::sort(chosen.begin(), chosen.end(), natural_arch_less);
  out.archs = std::move(chosen);
  return out;
}

ArchIntersection limit_to_nvcc(const ArchIntersection& in,
                               const std::vector<std::string>& gpu_codes,
                               const std::optional<Version>& nvcc_version) {
  ArchIntersection out;
  out.notes = in.notes;
  if (gpu_codes.empty()) {  // nvcc's list is unknown: keep everything, let nvcc decide
    out.archs = in.archs;
    return out;
  }
  std::set<std::string> codes(gpu_codes.begin(), gpu_codes.end());
  int lo = -1, hi = -1;
  std::string lo_code, hi_code;
  for (const auto& c : gpu_codes) {
    int n = code_number(c);
    if (n < 0 || c.rfind("sm_", 0) != 0) continue;
    if (lo < 0 || n < lo) lo = n, lo_code = c;
    if (hi < 0 || n > hi) hi = n, hi_code = c;
  }
  std::string who = nvcc_version ? "nvcc " + nvcc_version->major_minor() : "the found nvcc";
  std::string range = lo >= 0 ? fmt::format(" (supports {}..{})", lo_code, hi_code) : "";
  for (const auto& a : in.archs) {
    std::string base = strip_suffix(strip_ptx(a));
    auto cap = parse_cap(a);
    // nvcc lists plain targets only; arch-specific ("a") targets exist from 9.0 on, family
    // ("f") targets from 10.0 on.
    if (cap &&
        ((cap->suffix == 'a' && cap->major < 9) || (cap->suffix == 'f' && cap->major < 10))) {
      out.notes.push_back(fmt::format(
          "{}: no such target (\"a\" needs 9.0 or newer, \"f\" 10.0 or newer)", strip_ptx(a)));
    } else if (codes.count("sm_" + flat_code(base))) {
      out.archs.push_back(a);
    } else {
      out.notes.push_back(fmt::format("{}: not supported by {}{}", strip_ptx(a), who, range));
    }
  }
  return out;
}

ArchIntersection limit_to_nvcc(const ArchIntersection& in,
                               const std::vector<std::string>& gpu_codes) {
  return limit_to_nvcc(in, gpu_codes, std::nullopt);
}

std::vector<std::string> gencode_flags(const std::vector<std::string>& archs) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](std::string value) {
    if (!seen.insert(value).second) return;
    out.push_back("-gencode");
    out.push_back(std::move(value));
  };
  for (const auto& a : archs) {
    std::string base = strip_ptx(a);
    std::string code = flat_code(base);
    add(fmt::format("arch=compute_{0},code=sm_{0}", code));
    if (base.size() != a.size()) add(fmt::format("arch=compute_{0},code=compute_{0}", code));
  }
  return out;
}

const std::vector<std::string>& reference_rocm_archs() {
  static const std::vector<std::string> archs = {"gfx906",  "gfx908",  "gfx90a",  "gfx942",
                                                 "gfx950",  "gfx1030", "gfx1100", "gfx1101",
                                                 "gfx1200", "gfx1201"};
  return archs;
}

ArchIntersection rocm_intersection(const std::vector<std::string>& requested, bool requested_given,
                                   const std::vector<std::string>& compiler_targets) {
  ArchIntersection out;
  const auto& ref = reference_rocm_archs();
  std::set<std::string> wanted;
  if (requested_given) {
    for (const auto& r : requested) {
      if (std::find(ref.begin(), ref.end(), r) == ref.end()) {
        out.notes.push_back(
            fmt::format("{}: not one of the supported ROCm targets ({})", r, fmt::join(ref, ";")));
        continue;
      }
      wanted.insert(r);
    }
  } else {
    wanted.insert(ref.begin(), ref.end());
  }
  std::set<std::string> compiler(compiler_targets.begin(), compiler_targets.end());
  for (const auto& r : ref) {  // reference order, each target once
    if (!wanted.count(r)) continue;
    if (!compiler.empty() && !compiler.count(r)) {
      out.compiler_drops.push_back({r, out.notes.size()});
      out.notes.push_back(fmt::format("{}: not supported by the HIP compiler", r));
      continue;
    }
    out.archs.push_back(r);
  }
  return out;
}

}  // namespace kb
