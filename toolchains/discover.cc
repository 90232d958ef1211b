// discover_toolchains: decide where to look, run the probes, assemble Toolchains, explain
// each miss, and keep the answer in the cache.

#include "kb/discover.h"
#include "kb/path.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "toolchains/cuda.h"
#include "toolchains/host.h"
#include "toolchains/probe_context.h"
#include "toolchains/rocm.h"
#include "toolchains/toolchain_cache.h"
#include "toolchains/torch.h"

namespace kb {

namespace toolchains {

Result<Version> leading_version(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) ||
                               (text[end] == '.' && end + 1 < text.size() &&
                                std::isdigit(static_cast<unsigned char>(text[end + 1])))))
    ++end;
  return Version::parse(text.substr(0, end));
}

namespace {

// The command as shown in messages; the Torch probe's script is not worth printing.
std::string describe(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a.find('\n') == std::string::npos ? a : "<script>";
  }
  return out;
}

}  // namespace

Result<Captured> run_probe(ProbeContext& ctx, const std::vector<std::string>& argv) {
  auto captured = ctx.process.capture(argv, ctx.env, ctx.probe_timeout);
  if (!captured.ok()) return captured.errors().list.front();
  if (captured->timed_out) {
    ctx.transient = true;
    return Error{timeout_message(argv, ctx.probe_timeout) +
                     " (set KB_PROBE_TIMEOUT=SECONDS for a longer limit)",
                 {},
                 ""};
  }
  if (captured->exit_code != 0) {
    std::string detail = first_line(captured->err);
    if (detail.empty()) detail = first_line(captured->out);
    return Error{fmt::format("'{}' exited with code {}{}{}", describe(argv), captured->exit_code,
                             detail.empty() ? "" : ": ", detail),
                 {},
                 ""};
  }
  return captured;
}

namespace {

// A path named on the command line that does not exist is a typo, not a fact about the
// machine: fail, naming every such path.
Result<Ok> check_requested_paths(const DiscoveryRequest& r, const Disk& disk) {
  std::vector<Error> errors;
  std::string cwd = disk.current_dir();
  auto check = [&](const std::vector<std::string>& paths, const char* flag) {
    for (const auto& p : paths)
      if (!disk.exists(absolute_path(p, cwd)))
        errors.push_back({fmt::format("{} {}: no such file or directory{}", flag, p,
                                      p.find('/') == std::string::npos ? ", and not in PATH" : ""),
                          {},
                          ""});
  };
  check(r.torch, "--torch");
  check(r.cuda, "--cuda");
  check(r.rocm, "--rocm");
  if (!errors.empty()) return Errors(std::move(errors));
  return Ok{};
}

// A --torch value that is a bare name ("python3.12") and not a file in the current
// directory is looked up in PATH, as a shell would; anything else is kept as given.
std::vector<std::string> resolve_torch_names(const std::vector<std::string>& torch,
                                             const Disk& disk, const Environment& env) {
  std::vector<std::string> out;
  for (const auto& t : torch) {
    std::optional<std::string> found;
    if (t.find('/') == std::string::npos && !disk.exists(absolute_path(t, disk.current_dir())))
      found = find_in_path(t, env, disk);
    out.push_back(found ? *found : t);
  }
  return out;
}

// Every PATH directory is a witness: a program installed into (or removed from) any of
// them may change what a PATH lookup finds.
void witness_path_dirs(ProbeContext& ctx) {
  for (const auto& dir : split_colon_list(ctx.env.get("PATH").value_or("")))
    if (!dir.empty()) ctx.witness(dir);
}

}  // namespace

}  // namespace toolchains

Result<Toolchains> discover_toolchains(const DiscoveryRequest& given, Process& process, Disk& disk,
                                       const Environment& env) {
  using namespace toolchains;
  DiscoveryRequest request = given;
  request.torch = resolve_torch_names(given.torch, disk, env);
  KB_TRY(check_requested_paths(request, disk));

  nlohmann::json key = cache_key(request, env, disk.current_dir());
  if (auto cached = load_cached(disk, request.cache_file, key)) return std::move(*cached);

  Toolchains out;
#if defined(__aarch64__)
  out.cpu = "aarch64";
#else
  out.cpu = "x86_64";
#endif
  out.os = "linux";
  ProbeContext ctx(process, disk, env, request.system_root, out, request.probe_timeout);
  witness_path_dirs(ctx);

  // Torch first: its interpreters' site-packages may hold pip-wheel nvcc executables.
  std::vector<std::string> site_dirs = probe_torch(ctx, torch_candidates(request.torch, env, disk));
  probe_cuda(ctx, cuda_candidates(ctx, request.cuda, site_dirs));
  probe_rocm(ctx, rocm_candidates(ctx, request.rocm));
  probe_host(ctx);

  if (!request.cache_file.empty() && !ctx.transient) {
    // The cache only saves time; a read-only home directory must not fail discovery.
    (void)store_cached(disk, request.cache_file, key, out, take_witnesses(disk, ctx.witnesses()));
  }
  return out;
}

std::vector<Error> unusable_named_toolchains(const Toolchains& t) {
  static const std::vector<std::string> k_named = {"--torch", "KB_TORCH", "--cuda", "--rocm",
                                                   "CXX"};
  std::vector<Error> out;
  for (const auto& r : t.rejected) {
    if (std::find(k_named.begin(), k_named.end(), r.origin) == k_named.end()) continue;
    std::string what = r.kind == "torch"  ? "Torch install"
                       : r.kind == "cxx"  ? "C++ compiler"
                       : r.kind == "cuda" ? "CUDA toolkit"
                       : r.kind == "rocm" ? "ROCm toolkit"
                                          : r.kind;
    std::string instead;
    if (r.kind == "torch")
      instead = t.torches.empty() ? "; no other Torch install was found"
                                  : fmt::format("; going on with the other {} Torch install(s)",
                                                t.torches.size());
    if (r.kind == "cxx")
      instead = t.cxx ? "; using " + t.cxx->path + " instead" : "; no other compiler was found";
    out.push_back(
        Error{fmt::format("the {} {} cannot be used: {}{}", what, r.candidate, r.reason, instead),
              {},
              fmt::format("fix or remove it from {}; 'kb toolchains' lists what was "
                          "found and why the rest was not used",
                          r.origin)});
  }
  return out;
}

std::string toolchains_to_text(const Toolchains& t) {
  std::string s;
  auto section = [&](const std::string& title, size_t n) {
    s += fmt::format("{} ({} found)\n", title, n);
    if (n == 0) s += "  none\n";
  };
  auto field = [&](const char* name, const std::string& value) {
    if (!value.empty()) s += fmt::format("      {:<8} {}\n", name, value);
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
    return out;
  };

  section("Torch", t.torches.size());
  for (const auto& x : t.torches) {
    std::string backend = x.cuda  ? "CUDA " + x.cuda->major_minor()
                          : x.hip ? "ROCm " + x.hip->major_minor()
                                  : "CPU";
    s += fmt::format("  torch {} ({}, {} ABI, Python {})\n", x.version_string, backend,
                     x.cxx11_abi ? "C++11" : "pre-C++11", x.python_version);
    field("python", x.python);
    field("package", x.root);
    field("headers", x.python_include_dir);
  }
  section("CUDA toolkits", t.cuda.size());
  for (const auto& x : t.cuda) {
    s += fmt::format("  CUDA {} at {}\n", x.version.major_minor(), x.root);
    field("nvcc", x.nvcc);
    field("codes", join(x.gpu_codes));
    field("include", x.include_dir);
    field("lib", x.lib_dir);
  }
  section("ROCm toolkits", t.rocm.size());
  for (const auto& x : t.rocm) {
    s += fmt::format("  ROCm {} (HIP {}) at {}\n", x.version.major_minor(), x.hip_version, x.root);
    field("hipcc", x.hipcc);
    field("clang", x.clang);
    field("targets", join(x.gfx_targets));
    field("bitcode", x.device_lib_path);
  }
  s += "Host C++ compiler\n";
  s += t.cxx ? fmt::format("  {} {}\n", t.cxx->path, t.cxx->version) : std::string("  none\n");
  if (t.cxx)
    for (const auto& l : t.cxx->linkers)
      field("linker", fmt::format("{}: {} ({})", l.name, l.path, l.version));
  s += "Ninja\n";
  s += t.ninja ? fmt::format("  {} {}\n", t.ninja->path, t.ninja->version.str())
               : std::string("  none\n");
  s += fmt::format("Platform\n  {}-{}\n", t.cpu, t.os);
  if (!t.rejected.empty()) {
    s += fmt::format("Not used ({})\n", t.rejected.size());
    for (const auto& r : t.rejected)
      s += fmt::format("  {:<6}{}\n        {}\n", r.kind, r.candidate, r.reason);
  }
  return s;
}

}  // namespace kb
