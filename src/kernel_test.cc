#include "kb/kernel_test.h"

#include <array>

#include "kb/path.h"
#include "kb/variant.h"

namespace kb {

namespace {

using SortKey = std::array<int, 4>;

// The system's compute version for `backend`, from what Torch reports.
std::optional<Version> system_compute(const TorchInstall& torch, Backend backend) {
  if (backend == Backend::cuda) return torch.cuda;
  if (backend == Backend::rocm) return torch.hip;
  return std::nullopt;
}

// Whether the loader accepts the compute part of `v` for `backend` on this Torch (A.4 step 3).
bool compute_accepted(const VariantName& v, const TorchInstall& torch, Backend backend) {
  if (v.backend != backend) return false;
  if (backend == Backend::cpu || backend == Backend::metal) return true;
  auto system = system_compute(torch, backend);
  if (!system || !v.compute) return false;
  if (backend == Backend::cuda)
    return v.compute->major() == system->major() && v.compute->minor() <= system->minor();
  return v.compute->truncated() == system->truncated();
}

// The loader's sort key (A.5; smaller wins), or nullopt when the variant is rejected.
std::optional<SortKey> accept(const VariantName& v, const TorchInstall& torch, Backend backend,
                              const std::string& cpu, const std::string& os) {
  const Version torch_mm = torch.version.truncated();
  if (v.kind == VariantName::Kind::noarch) {
    if (v.backend != backend) return std::nullopt;
    return SortKey{2, 0, 0, 0};
  }
  if (v.cpu != cpu || v.os != os) return std::nullopt;
  if (!compute_accepted(v, torch, backend)) return std::nullopt;
  const int minor = v.compute ? v.compute->minor() : 0;
  switch (v.kind) {
    case VariantName::Kind::stable_abi:
      if (v.framework.truncated() > torch_mm) return std::nullopt;
      return SortKey{0, -v.framework.major(), -v.framework.minor(), -minor};
    case VariantName::Kind::torch:
      if (v.framework.truncated() != torch_mm) return std::nullopt;
      // kb's Linux names always carry the cxx11 tag, which must match Torch's ABI.
      if (os == "linux" && !torch.cxx11_abi) return std::nullopt;
      return SortKey{1, 0, os == "linux" ? 1 : 0, -minor};
    default:
      return std::nullopt;  // tvm-ffi: not a Torch variant
  }
}

}  // namespace

std::string test_repo_id(const Config& config) {
  if (config.hub_repo_id && !config.hub_repo_id->empty()) return *config.hub_repo_id;
  return "kernels-community/" + config.name;
}

Backend loader_backend(const TorchInstall& torch) {
  if (torch.cuda) return Backend::cuda;
  if (torch.hip) return Backend::rocm;
  return Backend::cpu;
}

std::optional<std::string> loader_pick(const std::vector<std::string>& folders,
                                       const TorchInstall& torch, Backend backend,
                                       const std::string& cpu, const std::string& os) {
  std::optional<std::string> best;
  SortKey best_key{};
  for (const auto& name : folders) {
    auto parsed = VariantName::parse(name);
    if (!parsed.ok()) continue;
    auto key = accept(*parsed, torch, backend, cpu, os);
    if (!key) continue;
    if (!best || *key < best_key || (*key == best_key && name < *best)) {
      best = name;
      best_key = *key;
    }
  }
  return best;
}

std::vector<TestTarget> plan_test_targets(const std::vector<TorchInstall>& torches,
                                          const std::vector<std::string>& folders,
                                          const std::string& cpu, const std::string& os) {
  std::vector<TestTarget> out;
  for (const auto& torch : torches) {
    TestTarget t;
    t.python = torch.python;
    t.torch_version = torch.version_string;
    const Backend detected = loader_backend(torch);
    for (Backend b : {detected, Backend::cpu}) {
      if (auto v = loader_pick(folders, torch, b, cpu, os)) {
        t.variant = *v;
        t.backend = b;
        break;
      }
      if (b == Backend::cpu) break;
    }
    if (!t.variant) {
      std::string wanted = detected == Backend::cpu
                               ? "cpu"
                               : std::string(to_string(detected)) + " or cpu";
      t.why_none = "no " + wanted + " variant is built for torch " +
                   torch.version.major_minor() + " on " + cpu + "-" + os;
    }
    out.push_back(std::move(t));
  }
  return out;
}

Environment kernel_test_environment(const Environment& base, const KernelTestEnv& spec) {
  Environment env = base;
  std::string local = spec.repo_id + "=" + spec.build_dir;
  if (auto old = base.get("LOCAL_KERNELS"); old && !old->empty()) {
    size_t start = 0;
    while (start <= old->size()) {
      size_t colon = old->find(':', start);
      if (colon == std::string::npos) colon = old->size();
      std::string entry = old->substr(start, colon - start);
      if (!entry.empty() && entry.substr(0, entry.find('=')) != spec.repo_id)
        local += ":" + entry;
      start = colon + 1;
    }
  }
  env.set("LOCAL_KERNELS", local);
  env.set("KB_KERNEL_BUILD", spec.build_dir);
  auto prepend = [&](const std::string& var, const std::string& dir) {
    auto old = base.get(var);
    env.set(var, old && !old->empty() ? dir + ":" + *old : dir);
  };
  if (spec.variant) {
    prepend("PYTHONPATH", join_path(spec.build_dir, *spec.variant));
    env.set("KB_VARIANT", *spec.variant);
  }
  if (spec.venv) {
    prepend("PATH", join_path(*spec.venv, "bin"));
    env.set("VIRTUAL_ENV", *spec.venv);
  }
  return env;
}

std::vector<std::string> pytest_argv(const std::string& python, const std::string& tests_dir,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv{python, "-m", "pytest", tests_dir, "-p", "no:cacheprovider"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string pytest_exit_meaning(int code) {
  switch (code) {
    case 0: return "all tests passed";
    case 1: return "some tests failed";
    case 2: return "the run was interrupted";
    case 3: return "pytest hit an internal error";
    case 4: return "pytest was called wrongly (a bad option after --?)";
    case 5: return "no tests were collected";
    default: return "pytest exited with status " + std::to_string(code);
  }
}

std::optional<std::string> venv_root(const std::string& python, const Disk& disk) {
  const size_t slash = python.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  const std::string bin = python.substr(0, slash);
  const size_t up = bin.rfind('/');
  if (up == std::string::npos || bin.substr(up + 1) != "bin") return std::nullopt;
  std::string root = bin.substr(0, up);
  if (root.empty()) return std::nullopt;
  if (!disk.exists(join_path(root, "pyvenv.cfg"))) return std::nullopt;
  return root;
}

Result<std::string> kernel_tests_dir(const std::string& kernel_dir, const Config& config,
                                     const Disk& disk) {
  std::string dir = join_path(kernel_dir, "tests");
  if (disk.stat(dir).is_dir) return dir;
  return Error{"no tests/ directory in " + kernel_dir, {},
               "add tests/test_" + config.module_name() + ".py that loads the kernel with "
               "kernels.get_kernel(\"" + test_repo_id(config) + "\", version=" +
               std::to_string(config.version) + ") (kb test points LOCAL_KERNELS at build/)"};
}

}  // namespace kb
