// The CUDA probe. Two short nvcc runs per toolkit (about 2 ms each): nvcc's text is the
// authority on what it can compile, and version files (version.json) are missing from
// toolkits assembled from pip wheels.

#include "toolchains/cuda.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace kb::toolchains {

namespace {

#if defined(__aarch64__)
constexpr const char* k_targets_dir = "targets/sbsa-linux";
constexpr const char* k_multiarch = "aarch64-linux-gnu";
#else
constexpr const char* k_targets_dir = "targets/x86_64-linux";
constexpr const char* k_multiarch = "x86_64-linux-gnu";
#endif

// "sm_90" -> 90, "sm_100a" -> 100; -1 when not a code.
int capability_of(std::string_view code) {
  if (code.substr(0, 3) != "sm_") return -1;
  int value = 0;
  size_t i = 3;
  for (; i < code.size() && code[i] >= '0' && code[i] <= '9'; ++i)
    value = value * 10 + (code[i] - '0');
  return i == 3 ? -1 : value;
}

bool has_cudart(const Disk& disk, const std::string& dir) {
  if (disk.exists(join_path(dir, "libcudart.so"))) return true;
  auto names = disk.list_dir(dir);
  if (!names.ok()) return false;
  for (const auto& n : *names)
    if (n.rfind("libcudart.so.", 0) == 0) return true;
  return false;
}

// The file a toolkit's cuda_runtime.h really is, symlinks resolved.
std::string real_header(const Disk& disk, const CudaToolkit& tk) {
  return disk.real_path(join_path(tk.include_dir, "cuda_runtime.h"));
}

// True when the toolkit's include dir holds its headers itself rather than symlinks to
// another toolkit's (as /usr/local/include does when it mirrors /usr/local/cuda/include).
bool owns_headers(const Disk& disk, const CudaToolkit& tk) {
  return dir_name(real_header(disk, tk)) == disk.real_path(tk.include_dir);
}

}  // namespace

Result<Version> parse_nvcc_version(std::string_view text) {
  for (std::string_view line : split_lines(text)) {
    size_t at = line.find("release ");
    if (at == std::string_view::npos) continue;
    std::string_view rest = line.substr(at + 8);
    rest = rest.substr(0, rest.find(','));
    auto v = leading_version(rest);
    if (v.ok()) return v->truncated(2);
  }
  return Error{"no 'release X.Y' in nvcc --version output: " + first_line(text), {}, ""};
}

Result<std::vector<std::string>> parse_nvcc_gpu_codes(std::string_view text) {
  std::vector<std::string> codes;
  for (std::string_view line : split_lines(text)) {
    std::string_view code = trim(line);
    if (capability_of(code) >= 0) codes.emplace_back(code);
  }
  if (codes.empty())
    return Error{"no sm_* codes in nvcc --list-gpu-code output: " + first_line(text), {}, ""};
  std::stable_sort(codes.begin(), codes.end(), [](const std::string& a, const std::string& b) {
    int ca = capability_of(a), cb = capability_of(b);
    return ca != cb ? ca < cb : a < b;
  });
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  return codes;
}

std::vector<std::string> find_wheel_nvccs(const Disk& disk,
                                          const std::vector<std::string>& site_dirs) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (std::find(out.begin(), out.end(), p) == out.end() && disk.exists(p)) out.push_back(p);
  };
  for (const auto& site : site_dirs) {
    std::string nvidia = join_path(site, "nvidia");
    if (disk.stat(nvidia).is_dir) {
      add(join_path(nvidia, "cuda_nvcc/bin/nvcc"));  // CUDA 12 wheels
      if (auto names = disk.list_dir(nvidia); names.ok())
        for (const auto& n : *names)
          if (n.size() > 2 && n.rfind("cu", 0) == 0 &&
              std::isdigit(static_cast<unsigned char>(n[2])))
            add(join_path(nvidia, n + "/bin/nvcc"));  // CUDA 13 wheels: nvidia/cu13/bin/nvcc
    }
    // Whatever layout a future wheel uses, its RECORD lists the files it installed.
    auto names = disk.list_dir(site);
    if (!names.ok()) continue;
    for (const auto& n : *names) {
      std::string normalized = n;
      std::replace(normalized.begin(), normalized.end(), '-', '_');
      if (normalized.rfind("nvidia_cuda_nvcc", 0) != 0 || n.find(".dist-info") == std::string::npos)
        continue;
      auto record = disk.read_file(join_path(site, n + "/RECORD"));
      if (!record.ok()) continue;
      for (std::string_view line : split_lines(*record)) {
        std::string_view file = line.substr(0, line.find(','));
        if (file.size() >= 9 && file.substr(file.size() - 9) == "/bin/nvcc")
          add(join_path(site, std::string(file)));
      }
    }
  }
  return out;
}

std::vector<Candidate> cuda_candidates(const ProbeContext& ctx,
                                       const std::vector<std::string>& requested,
                                       const std::vector<std::string>& site_dirs) {
  std::vector<Candidate> out;
  auto root_nvcc = [](const std::string& root) { return join_path(root, "bin/nvcc"); };
  std::string cwd = ctx.disk.current_dir();
  for (const auto& dir : requested) out.push_back({root_nvcc(absolute_path(dir, cwd)), "--cuda"});
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"})
    if (auto v = ctx.env.get(var); v && !v->empty()) out.push_back({root_nvcc(*v), var});
  if (auto nvcc = find_in_path("nvcc", ctx.env, ctx.disk)) out.push_back({*nvcc, "PATH"});
  std::string local = ctx.system_path("/usr/local");
  if (auto names = ctx.disk.list_dir(local); names.ok())
    for (const auto& n : *names)
      if (n == "cuda" || n.rfind("cuda-", 0) == 0)
        out.push_back({root_nvcc(join_path(local, n)), "/usr/local/cuda*"});
  for (const auto& nvcc : find_wheel_nvccs(ctx.disk, site_dirs)) out.push_back({nvcc, "pip wheel"});
  return out;
}

namespace {

// The include and library directories of a toolkit whose nvcc works; wheels (CUDA 12) put
// the runtime in a sibling package, nvidia/cuda_runtime.
Result<Ok> find_runtime(const Disk& disk, CudaToolkit& tk) {
  std::string sibling_runtime = join_path(dir_name(tk.root), "cuda_runtime");
  for (const std::string& dir :
       {join_path(tk.root, "include"), join_path(tk.root, std::string(k_targets_dir) + "/include"),
        join_path(sibling_runtime, "include")}) {
    if (disk.exists(join_path(dir, "cuda_runtime.h"))) {
      tk.include_dir = dir;
      break;
    }
  }
  for (const std::string& dir :
       {join_path(tk.root, "lib64"), join_path(tk.root, std::string(k_targets_dir) + "/lib"),
        join_path(tk.root, "lib"), join_path(tk.root, std::string("lib/") + k_multiarch),
        join_path(sibling_runtime, "lib")}) {
    if (has_cudart(disk, dir)) {
      tk.lib_dir = dir;
      break;
    }
  }
  std::string works = "nvcc " + tk.version.major_minor() + " works but ";
  if (tk.include_dir.empty())
    return Error{works + "cuda_runtime.h is missing below " + tk.root, {}, ""};
  if (tk.lib_dir.empty()) return Error{works + "libcudart.so is missing below " + tk.root, {}, ""};
  return Ok{};
}

// The toolkit of one existing nvcc: its version and GPU codes (from running it) and its
// runtime. Fails with the one-line reason it cannot be used.
Result<CudaToolkit> probe_one_cuda(ProbeContext& ctx, const Candidate& c) {
  CudaToolkit tk;
  tk.nvcc = c.path;
  tk.root = dir_name(dir_name(c.path));
  KB_TRY_ASSIGN(auto version_out, run_probe(ctx, {c.path, "--version"}));
  KB_TRY_ASSIGN(tk.version, parse_nvcc_version(version_out.out));
  auto codes_out = run_probe(ctx, {c.path, "--list-gpu-code"});
  if (!codes_out.ok())
    return Error{first_message(codes_out.errors()) + " (CUDA 11.0 or newer is needed)", {}, ""};
  KB_TRY_ASSIGN(tk.gpu_codes, parse_nvcc_gpu_codes(codes_out->out));
  KB_TRY(find_runtime(ctx.disk, tk));
  return tk;
}

// Adds `tk` (found through `c`) to ctx.out.cuda unless it is a toolkit already found by
// another name: a wrapper script (`exec /usr/local/cuda-13.0/bin/nvcc "$@"`) or a tree of
// symlinks (/usr/local/include/* -> the toolkit's headers) has headers that resolve to the
// same file. Keeps one, under the name that owns the headers, and rejects the other.
void add_unless_known(ProbeContext& ctx, const Candidate& c, CudaToolkit tk) {
  auto same = std::find_if(ctx.out.cuda.begin(), ctx.out.cuda.end(), [&](const CudaToolkit& o) {
    return o.version == tk.version && real_header(ctx.disk, o) == real_header(ctx.disk, tk);
  });
  if (same == ctx.out.cuda.end()) {
    ctx.out.cuda.push_back(std::move(tk));
    return;
  }
  std::string why = " (both headers resolve to " + real_header(ctx.disk, tk) + ")";
  if (owns_headers(ctx.disk, tk) && !owns_headers(ctx.disk, *same)) {
    ctx.reject("cuda", {same->nvcc, ""},
               "the same CUDA " + tk.version.major_minor() + " as " + tk.nvcc + why);
    *same = std::move(tk);
  } else {
    ctx.reject("cuda", c, "the same CUDA " + tk.version.major_minor() + " as " + same->nvcc + why);
  }
}

}  // namespace

void probe_cuda(ProbeContext& ctx, const std::vector<Candidate>& candidates) {
  ctx.witness(ctx.system_path("/usr/local"));
  std::set<std::string> seen;
  for (const auto& c : candidates) {
    ctx.witness(c.path);
    if (!ctx.disk.exists(c.path)) {
      ctx.reject("cuda", c, "no nvcc at " + c.path);
      continue;
    }
    if (!seen.insert(ctx.disk.real_path(c.path)).second) continue;  // same toolkit, another name
    auto tk = probe_one_cuda(ctx, c);
    if (!tk.ok()) {
      ctx.reject("cuda", c, first_message(tk.errors()));
      continue;
    }
    add_unless_known(ctx, c, std::move(*tk));
  }
}

}  // namespace kb::toolchains
