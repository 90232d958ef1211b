// The ROCm probe. Layouts handled:
//   /opt/rocm[-X.Y.Z]: bin/hipcc, llvm/bin/clang++ (or lib/llvm/bin), amdgcn/bitcode,
//                      include/hip/hip_version.h, .info/version
//   Debian (ROCM_PATH=/usr): /usr/bin/hipcc (which reports "InstalledDir: /usr/bin" and
//                      runs /usr/bin/clang++-15; /usr/bin/clang++ is Debian's default clang 14),
//                      /usr/lib/<multiarch>/amdgcn/bitcode, /usr/include/hip/hip_version.h

#include "toolchains/rocm.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <set>
#include <tuple>

namespace kb::toolchains {

namespace {

#if defined(__aarch64__)
constexpr const char* k_multiarch = "aarch64-linux-gnu";
#else
constexpr const char* k_multiarch = "x86_64-linux-gnu";
#endif

// Sort key of "gfx90a": generation 9, minor 0, stepping 0xa; "gfx1030": 10, 3, 0.
// Generic targets ("gfx9-4-generic") sort after the specific ones.
std::tuple<int, int, int, std::string> gfx_key(const std::string& target) {
  std::string id = target.substr(3);
  bool specific = id.size() >= 3 && id.find('-') == std::string::npos;
  if (!specific) return {1 << 20, 0, 0, id};
  auto hex = [](char c) { return c >= 'a' ? c - 'a' + 10 : c - '0'; };
  int major = std::atoi(id.substr(0, id.size() - 2).c_str());
  return {major, hex(id[id.size() - 2]), hex(id.back()), id};
}

bool valid_gfx_id(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'z') || c == '-'))
      return false;
  return std::isdigit(static_cast<unsigned char>(id[0]));
}

std::string find_device_lib_dir(const Disk& disk, const std::string& root) {
  for (const std::string& dir :
       {join_path(root, "amdgcn/bitcode"),
        join_path(root, std::string("lib/") + k_multiarch + "/amdgcn/bitcode"),
        join_path(root, "lib/amdgcn/bitcode"), join_path(root, "lib/llvm/amdgcn/bitcode")}) {
    if (disk.stat(dir).is_dir) return dir;
  }
  return "";
}

}  // namespace

Result<HipccVersion> parse_hipcc_version(std::string_view text) {
  HipccVersion v;
  for (std::string_view line : split_lines(text)) {
    std::string_view t = trim(line);
    if (t.rfind("HIP version:", 0) == 0) {
      v.hip_version = std::string(trim(t.substr(12)));
    } else if (t.rfind("InstalledDir:", 0) == 0) {
      v.clang_dir = std::string(trim(t.substr(13)));
    } else if (t.find("clang version") != std::string_view::npos && v.clang_line.empty()) {
      v.clang_line = std::string(t);
    }
  }
  if (v.hip_version.empty() || !leading_version(v.hip_version).ok())
    return Error{"no 'HIP version:' in hipcc --version output: " + first_line(text), {}, ""};
  return v;
}

std::vector<std::string> hip_clang_candidates(const HipccVersion& hipcc) {
  if (hipcc.clang_dir.empty()) return {};
  std::vector<std::string> out;
  // "Debian clang version 15.0.6", "AMD clang version 18.0.0git (...)": the major version.
  constexpr std::string_view k_marker = "clang version ";
  if (size_t at = hipcc.clang_line.find(k_marker); at != std::string::npos) {
    std::string_view rest = std::string_view(hipcc.clang_line).substr(at + k_marker.size());
    size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
    if (digits > 0)
      out.push_back(join_path(hipcc.clang_dir, "clang++-" + std::string(rest.substr(0, digits))));
  }
  out.push_back(join_path(hipcc.clang_dir, "clang++"));
  return out;
}

Result<std::string> parse_hip_version_header(std::string_view text) {
  std::string parts[3];
  const char* names[3] = {"HIP_VERSION_MAJOR", "HIP_VERSION_MINOR", "HIP_VERSION_PATCH"};
  for (std::string_view line : split_lines(text)) {
    std::string_view t = trim(line);
    if (t.rfind("#define ", 0) != 0) continue;
    t = trim(t.substr(8));
    for (int i = 0; i < 3; ++i) {
      std::string_view name = names[i];
      if (t.substr(0, name.size()) != name || t.size() == name.size() ||
          (t[name.size()] != ' ' && t[name.size()] != '\t'))
        continue;
      std::string_view value = trim(t.substr(name.size()));
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos)
        parts[i] = std::string(value);
    }
  }
  for (int i = 0; i < 3; ++i)
    if (parts[i].empty())
      return Error{std::string("hip_version.h does not define ") + names[i], {}, ""};
  return parts[0] + "." + parts[1] + "." + parts[2];
}

Result<Version> parse_rocm_info_version(std::string_view text) {
  auto v = leading_version(trim(text));
  if (!v.ok()) return v.take_errors();
  return v->truncated(2);
}

std::vector<std::string> gfx_targets_from_bitcode(const std::vector<std::string>& file_names) {
  const std::string prefix = "oclc_isa_version_", suffix = ".bc";
  std::vector<std::string> targets;
  for (const auto& name : file_names) {
    if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::string id = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (valid_gfx_id(id)) targets.push_back("gfx" + id);
  }
  std::sort(targets.begin(), targets.end(),
            [](const std::string& a, const std::string& b) { return gfx_key(a) < gfx_key(b); });
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  return targets;
}

std::vector<Candidate> rocm_candidates(const ProbeContext& ctx,
                                       const std::vector<std::string>& requested) {
  std::vector<Candidate> out;
  std::string cwd = ctx.disk.current_dir();
  for (const auto& dir : requested) out.push_back({absolute_path(dir, cwd), "--rocm"});
  if (auto v = ctx.env.get("ROCM_PATH"); v && !v->empty()) out.push_back({*v, "ROCM_PATH"});
  if (auto hipcc = find_in_path("hipcc", ctx.env, ctx.disk)) {
    std::string prefix = dir_name(dir_name(*hipcc));
    if (base_name(prefix) == "hip") prefix = dir_name(prefix);  // ROCm < 5: /opt/rocm/hip/bin
    out.push_back({prefix, "hipcc on PATH"});
  }
  std::string opt = ctx.system_path("/opt");
  if (auto names = ctx.disk.list_dir(opt); names.ok())
    for (const auto& n : *names)
      if (n == "rocm" || n.rfind("rocm-", 0) == 0) out.push_back({join_path(opt, n), "/opt/rocm*"});
  if (ctx.disk.exists(ctx.system_path("/usr/bin/hipcc")))
    out.push_back({ctx.system_path("/usr"), "/usr/bin/hipcc"});
  return out;
}

namespace {

// Fills tk.hip_version (and tk.hipcc, tk.clang when hipcc answers): from `hipcc --version`,
// which also names the clang it drives, else from include/hip/hip_version.h. Fails with
// hipcc's problem, or when neither tells the version.
Result<Ok> read_hip_version(ProbeContext& ctx, const std::string& hipcc, const std::string& header,
                            RocmToolkit& tk) {
  std::string hipcc_problem;
  if (ctx.disk.exists(hipcc)) {
    auto out = run_probe(ctx, {hipcc, "--version"});
    auto parsed = out.ok() ? parse_hipcc_version(out->out) : Result<HipccVersion>(out.errors());
    if (parsed.ok()) {
      tk.hipcc = hipcc;
      tk.hip_version = parsed->hip_version;
      for (const auto& clang : hip_clang_candidates(*parsed)) {
        ctx.witness(clang);
        if (ctx.disk.exists(clang)) {
          tk.clang = clang;
          break;
        }
      }
    } else {
      hipcc_problem = first_message(parsed.errors());
    }
  }
  if (tk.hip_version.empty() && ctx.disk.exists(header)) {
    if (auto text = ctx.disk.read_file(header); text.ok())
      if (auto v = parse_hip_version_header(*text); v.ok()) tk.hip_version = *v;
  }
  if (tk.hip_version.empty())
    return Error{hipcc_problem.empty() ? "cannot read the HIP version" : hipcc_problem, {}, ""};
  return Ok{};
}

// The toolkit below the ROCm prefix `c.path` (a directory). Fails with the one-line reason
// it cannot be used.
Result<RocmToolkit> probe_one_rocm(ProbeContext& ctx, const Candidate& c) {
  RocmToolkit tk;
  tk.root = c.path;
  std::string hipcc = join_path(c.path, "bin/hipcc");
  std::string header = join_path(c.path, "include/hip/hip_version.h");
  ctx.witness(hipcc);
  ctx.witness(header);
  bool has_hipcc = ctx.disk.exists(hipcc);
  if (!has_hipcc && !ctx.disk.exists(header))
    return Error{"neither bin/hipcc nor include/hip/hip_version.h exists", {}, ""};
  // hipcc knows the HIP version and which clang it drives; hip_version.h is the fallback
  // when hipcc is absent or broken (kb calls clang directly anyway).
  KB_TRY(read_hip_version(ctx, hipcc, header, tk));

  if (tk.clang.empty() || !ctx.disk.exists(tk.clang)) {
    tk.clang.clear();
    for (const std::string& p :
         {join_path(c.path, "llvm/bin/clang++"), join_path(c.path, "lib/llvm/bin/clang++")})
      if (ctx.disk.exists(p)) {
        tk.clang = p;
        break;
      }
  }
  if (tk.clang.empty())
    return Error{"HIP " + tk.hip_version + " found but not its clang (no llvm/bin/clang++" +
                     (has_hipcc ? ", and hipcc names no InstalledDir)" : ")"),
                 {},
                 ""};
  ctx.witness(tk.clang);

  tk.device_lib_path = find_device_lib_dir(ctx.disk, c.path);
  if (tk.device_lib_path.empty())
    return Error{
        "HIP " + tk.hip_version + " found but no amdgcn/bitcode device library directory", {}, ""};
  ctx.witness(tk.device_lib_path);
  auto names = ctx.disk.list_dir(tk.device_lib_path);
  tk.gfx_targets = gfx_targets_from_bitcode(names.ok() ? *names : std::vector<std::string>{});
  if (tk.gfx_targets.empty())
    return Error{"no oclc_isa_version_*.bc files in " + tk.device_lib_path, {}, ""};

  // ROCm's own version when the release file exists; HIP's major.minor otherwise
  // (they agree for ROCm 5 and later, including Debian's 5.2).
  std::string info = join_path(c.path, ".info/version");
  ctx.witness(info);
  std::optional<Version> version;
  if (auto text = ctx.disk.read_file(info); text.ok())
    if (auto v = parse_rocm_info_version(*text); v.ok()) version = *v;
  if (!version) version = leading_version(tk.hip_version)->truncated(2);
  tk.version = *version;
  return tk;
}

}  // namespace

void probe_rocm(ProbeContext& ctx, const std::vector<Candidate>& candidates) {
  ctx.witness(ctx.system_path("/opt"));
  ctx.witness(ctx.system_path("/usr/bin/hipcc"));
  std::set<std::string> seen;
  for (const auto& c : candidates) {
    ctx.witness(c.path);
    if (!ctx.disk.stat(c.path).is_dir) {
      ctx.reject("rocm", c, "no such directory");
      continue;
    }
    if (!seen.insert(ctx.disk.real_path(c.path)).second) continue;  // same prefix, another name
    auto tk = probe_one_rocm(ctx, c);
    if (!tk.ok()) {
      ctx.reject("rocm", c, first_message(tk.errors()));
      continue;
    }
    ctx.out.rocm.push_back(std::move(*tk));
  }
}

}  // namespace kb::toolchains
