#include "src/cli/request_args.h"

#include <cstdlib>

#include <fmt/format.h>

namespace kb::cli {

namespace {

// The value of option `name` as a whole number from 1 to 4096, else `fallback` when absent.
Result<int> int_option(const ParsedArgs& args, const std::string& name, int fallback) {
  if (!args.has(name)) return fallback;
  std::string v = args.get(name);
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 1 || n > 4096)
    return Error{fmt::format("--{} needs a positive whole number, got '{}'", name, v), {}, ""};
  return static_cast<int>(n);
}

// The positional DIR, after `kb deps`'s optional "fetch" (which sets `fetch`).
Result<std::string> dir_argument(const ParsedArgs& args, bool& fetch) {
  std::vector<std::string> pos = args.positional;
  if (args.command == "deps") {
    fetch = !pos.empty() && pos.front() == "fetch";
    if (fetch) pos.erase(pos.begin());
    if (pos.size() > 1)
      return Error{"unexpected argument '" + pos[1] + "' for 'kb deps'",
                   {},
                   "usage: kb deps [DIR] [--json], or kb deps fetch [DIR] (a kernel dir named "
                   "'fetch' is ./fetch)"};
  }
  if (args.command == "bundle") return std::string(".");  // its DIRs: bundle_inputs
  return pos.empty() ? std::string(".") : pos.front();
}

// The DIRs of `kb bundle merge DIR... --out DIR`, made absolute. Fails on another subcommand,
// no DIR, or no --out.
Result<std::vector<std::string>> bundle_inputs(const ParsedArgs& args, const std::string& cwd) {
  const std::string usage = "usage: kb bundle merge DIR... --out DIR";
  const auto& pos = args.positional;
  if (pos.empty() || pos.front() != "merge")
    return Error{pos.empty() ? "kb bundle needs a subcommand"
                             : "unknown subcommand 'kb bundle " + pos.front() + "'",
                 {},
                 usage};
  if (pos.size() < 2) return Error{"kb bundle merge needs at least one DIR", {}, usage};
  if (!args.has("out"))
    return Error{"kb bundle merge needs --out: the build directory to merge into", {}, usage};
  std::vector<std::string> out;
  for (size_t i = 1; i < pos.size(); ++i) out.push_back(absolute_dir_in(cwd, pos[i]));
  return out;
}

}  // namespace

std::vector<std::string> dep_options(const ParsedArgs& args, const std::string& cwd) {
  std::vector<std::string> out;
  for (const auto& opt : args.all("dep")) {
    size_t eq = opt.find('=');
    if (eq == std::string::npos || eq + 1 == opt.size()) {
      out.push_back(opt);
      continue;
    }
    out.push_back(opt.substr(0, eq + 1) + absolute_dir_in(cwd, opt.substr(eq + 1)));
  }
  return out;
}

std::vector<std::string> native_only_options(const ParsedArgs& args) {
  std::vector<std::string> out;
  for (const char* opt : {"jobs", "unique-id", "launcher", "linker", "id-in-binding",
                          "generate-only", "cuda-archs", "rocm-archs", "timings", "serial-nvcc"})
    if (args.has(opt)) out.push_back(std::string("--") + opt);
  return out;
}

Result<Request> request_from_args(const ParsedArgs& args, const MachineFacts& facts,
                                  const std::string& cwd) {
  bool fetch = false;
  auto dir = dir_argument(args, fetch);
  if (!dir) return dir.take_errors();
  Request r = default_request(absolute_dir_in(cwd, *dir), facts);
  r.command = args.command;
  r.kernel_dir_given = *dir;
  r.cwd = cwd;
  r.fetch = fetch;
  if (args.command == "bundle") {
    auto inputs = bundle_inputs(args, cwd);
    if (!inputs) return inputs.take_errors();
    r.bundle_inputs = std::move(*inputs);
  }
  if (args.has("backend")) {
    auto backend = parse_build_backend(args.get("backend"));
    if (!backend) return backend.take_errors();
    r.backend = *backend;
  }
  auto jobs = int_option(args, "jobs", facts.cores);
  if (!jobs) return jobs.take_errors();
  r.jobs = *jobs;
  r.jobs_given = args.has("jobs");
  auto max_jobs = int_option(args, "max-jobs", 0);
  if (!max_jobs) return max_jobs.take_errors();
  r.nix_max_jobs = *max_jobs;
  auto cores = int_option(args, "cores", 0);
  if (!cores) return cores.take_errors();
  r.nix_cores = *cores;

  if (args.has("out")) r.out_dir = absolute_dir_in(cwd, args.get("out"));
  r.query.torch = args.all("torch");
  r.query.cuda = args.all("cuda");
  r.query.rocm = args.all("rocm");
  r.query.use_cache = !args.has("no-cache");
  r.query.deps = dep_options(args, cwd);
  r.variants = args.all("variant");
  if (args.has("unique-id")) r.unique_id = args.get("unique-id");
  if (args.has("launcher")) r.launcher = args.get("launcher");
  r.linker = args.get("linker", r.linker);
  if (args.has("cuda-archs")) r.cuda_archs = args.get("cuda-archs");
  if (args.has("rocm-archs")) r.rocm_archs = args.get("rocm-archs");
  r.id_in_binding = args.has("id-in-binding");
  r.serial_nvcc = args.has("serial-nvcc");
  r.dry_run = args.has("dry-run");
  r.generate_only = args.has("generate-only");
  r.verbose = args.has("verbose");
  if (args.has("timings")) {
    r.timings = args.get("timings", "html");
    if (r.timings != "html" && r.timings != "json" && r.timings != "trace")
      return Error{fmt::format("unknown --timings format '{}'", r.timings),
                   {},
                   "use html (the default), json or trace"};
  }
  r.wait = args.has("wait");
  if (args.has("kernel-builder")) r.kernel_builder = args.get("kernel-builder");
  r.allow_unsandboxed = args.has("allow-unsandboxed");
  r.json = args.has("json");
  r.abi = args.get("abi", r.abi);
  if (r.abi != "warn" && r.abi != "error" && r.abi != "off")
    return Error{
        "--abi must be warn, error or off, not '" + r.abi + "'",
        {},
        "warn prints each bundle's ABI verdict, error also fails the build on a violation"};
  r.manylinux = args.get("manylinux", r.manylinux);
  r.python_abi = args.get("python-abi", r.python_abi);
  r.all = args.has("all");
  r.force = args.has("force");
  r.passthrough = args.passthrough;
  return r;
}

}  // namespace kb::cli
