// The Torch probe.
//
// `import torch` costs about two seconds per interpreter (it loads libtorch_cpu, CUDA
// libraries and hundreds of Python modules). Everything kb needs is available without it:
// find_spec locates the package without executing it, torch/version.py is a generated file
// of plain assignments, sysconfig knows the include dir, and the C++ ABI is written in
// Torch's CMake config (older wheels) or visible in the mangled names of libc10.so (newer
// ones, which dropped the flag). One interpreter start answers all of it (docs/toolchains.md
// has the measurements).

#include "toolchains/torch.h"

#include <nlohmann/json.hpp>

#include "kb/path.h"
#include "toolchains/torch_cmake.h"

namespace kb::toolchains {

const std::string& torch_probe_script() {
  static const std::string script = R"PY(
import json, os, sys, sysconfig
r = {"executable": sys.executable,
     "python_version": "%d.%d" % sys.version_info[:2],
     "python_include": sysconfig.get_paths().get("include") or ""}
r["python_h"] = os.path.isfile(os.path.join(r["python_include"], "Python.h"))
# -c puts the current directory first on sys.path; a ./torch there is not an install.
if sys.path and sys.path[0] == "":
    del sys.path[0]
r["sys_path"] = [os.path.abspath(p) for p in sys.path if os.path.isdir(p)]
try:
    import importlib.util
    spec = importlib.util.find_spec("torch")
except Exception as e:
    spec = None
    r["error"] = "%s: %s" % (type(e).__name__, e)
locs = list(spec.submodule_search_locations or []) if spec is not None else []
if locs:
    root = os.path.abspath(locs[0])
    r["torch_root"] = root
    try:
        with open(os.path.join(root, "version.py"), encoding="utf-8") as f:
            r["version_py"] = f.read()
    except OSError as e:
        r["error"] = "cannot read torch/version.py: %s" % e
    abi = None
    for rel in ("share/cmake/Torch/TorchConfig.cmake", "share/cmake/Caffe2/Caffe2Config.cmake"):
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        i = text.find("_GLIBCXX_USE_CXX11_ABI=")
        if i >= 0 and text[i + 23:i + 24] in ("0", "1"):
            abi = (text[i + 23], rel)
            break
    if abi is None:
        import glob
        libs = [os.path.join(root, "lib", "libc10.so")] + sorted(glob.glob(os.path.join(root, "_C*.so")))
        for lib in libs:
            try:
                with open(lib, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            abi = ("1" if b"St7__cxx11" in data else "0", os.path.relpath(lib, root) + " symbols")
            break
    if abi is not None:
        r["cxx11_abi"], r["cxx11_abi_source"] = abi
    for key, rel in (("torch_config_cmake", "share/cmake/Torch/TorchConfig.cmake"),
                     ("caffe2_targets_cmake", "share/cmake/Caffe2/Caffe2Targets.cmake")):
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                r[key] = f.read()
        except OSError:
            pass
print(json.dumps(r))
)PY";
  return script;
}

namespace {

// The quoted value of `name = '...'` / `name: T = "..."`; nullopt for None or absent,
// "" when the line exists but is not a plain string.
std::optional<std::optional<std::string>> assignment(std::string_view text, std::string_view name) {
  for (std::string_view line : split_lines(text)) {
    if (line.substr(0, name.size()) != name) continue;
    std::string_view rest = line.substr(name.size());
    if (rest.empty() || (rest[0] != ' ' && rest[0] != ':' && rest[0] != '=')) continue;
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view value = trim(rest.substr(eq + 1));
    if (value == "None") return std::optional<std::string>{};
    if (value.size() >= 2 && (value[0] == '\'' || value[0] == '"') && value.back() == value[0])
      return std::optional<std::string>{std::string(value.substr(1, value.size() - 2))};
    return std::optional<std::string>{std::string()};
  }
  return std::nullopt;
}

std::optional<Version> major_minor_of(const std::string& text) {
  auto v = leading_version(text);
  if (!v.ok()) return std::nullopt;
  return v->truncated(2);
}

}  // namespace

Result<TorchVersionFacts> parse_torch_version_py(std::string_view text) {
  TorchVersionFacts facts;
  auto version = assignment(text, "__version__");
  if (!version || !*version || (*version)->empty())
    return Error{"torch/version.py has no __version__", {}, ""};
  facts.version_string = **version;
  if (auto cuda = assignment(text, "cuda"); cuda && *cuda && !(*cuda)->empty()) facts.cuda = **cuda;
  if (auto hip = assignment(text, "hip"); hip && *hip && !(*hip)->empty()) facts.hip = **hip;
  return facts;
}

Result<TorchProbeAnswer> parse_torch_probe(std::string_view json_text, const std::string& python) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("python_version"))
    return Error{"unexpected output from the Torch probe: " + first_line(json_text), {}, ""};
  auto str = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };

  TorchProbeAnswer a;
  a.executable = str("executable");
  if (a.executable.empty()) a.executable = python;
  a.python_version = str("python_version");
  if (auto it = j.find("sys_path"); it != j.end() && it->is_array())
    for (const auto& p : *it)
      if (p.is_string()) a.site_dirs.push_back(p.get<std::string>());

  std::string root = str("torch_root");
  if (root.empty()) {
    a.problem = str("error");
    if (a.problem.empty()) a.problem = "torch is not installed for this interpreter";
    return a;
  }
  a.version_py = join_path(root, "version.py");
  if (!str("error").empty()) {
    a.problem = str("error");
    return a;
  }
  auto facts = parse_torch_version_py(str("version_py"));
  if (!facts.ok()) {
    a.problem = first_message(facts.errors());
    return a;
  }

  TorchInstall t;
  t.python = a.executable;
  t.version_string = facts->version_string;
  // "2.11.0+cu130" -> 2.11.0: the local suffix names the build, not the version.
  std::string public_version = t.version_string.substr(0, t.version_string.find('+'));
  auto version = leading_version(public_version);
  if (!version.ok()) {
    a.problem = "torch reports an unreadable version '" + t.version_string + "'";
    return a;
  }
  t.version = *version;
  if (facts->cuda) t.cuda = major_minor_of(*facts->cuda);
  if (facts->hip) t.hip = major_minor_of(*facts->hip);
  std::string abi = str("cxx11_abi");
  // Every Linux wheel since Torch 2.7 uses the new ABI; it is also g++'s default.
  t.cxx11_abi = abi != "0";
  t.root = root;
  t.include_dirs = {join_path(root, "include"), join_path(root, "include/torch/csrc/api/include")};
  t.lib_dir = join_path(root, "lib");
  t.python_include_dir = str("python_include");
  t.python_version = a.python_version;
  t.cmake = parse_torch_cmake(str("torch_config_cmake"), str("caffe2_targets_cmake"));
  a.install = std::move(t);
  return a;
}

std::vector<Candidate> torch_candidates(const std::vector<std::string>& requested,
                                        const Environment& env, const Disk& disk) {
  std::vector<Candidate> out;
  auto add = [&](const std::string& entry, const std::string& origin) {
    std::string path = absolute_path(entry, disk.current_dir());
    if (disk.stat(path).is_dir) {
      std::string python = join_path(path, "bin/python");
      if (!disk.exists(python) && disk.exists(join_path(path, "bin/python3")))
        python = join_path(path, "bin/python3");
      path = python;
    }
    out.push_back({path, origin});
  };
  if (!requested.empty()) {
    for (const auto& r : requested) add(r, "--torch");
    return out;
  }
  if (auto list = env.get("KB_TORCH"); list && !list->empty()) {
    for (const auto& entry : split_colon_list(*list))
      if (!entry.empty()) add(entry, "KB_TORCH");
    return out;
  }
  if (auto python = find_in_path("python3", env, disk)) out.push_back({*python, "PATH"});
  return out;
}

std::vector<std::string> probe_torch(ProbeContext& ctx, const std::vector<Candidate>& candidates) {
  std::vector<std::string> site_dirs;
  for (const auto& c : candidates) {
    ctx.witness(c.path);
    if (!ctx.disk.exists(c.path)) {
      ctx.reject("torch", c, "no such file");
      continue;
    }
    auto captured = run_probe(ctx, {c.path, "-c", torch_probe_script()});
    if (!captured.ok()) {
      ctx.reject("torch", c, first_message(captured.errors()));
      continue;
    }
    auto answer = parse_torch_probe(captured->out, c.path);
    if (!answer.ok()) {
      ctx.reject("torch", c, first_message(answer.errors()));
      continue;
    }
    ctx.witness(answer->executable);
    ctx.witness(answer->version_py);
    for (const auto& dir : answer->site_dirs) {
      ctx.witness(dir);
      site_dirs.push_back(dir);
    }
    if (!answer->install) {
      std::string python =
          answer->python_version.empty() ? "" : " (Python " + answer->python_version + ")";
      ctx.reject("torch", c, answer->problem + python);
      continue;
    }
    bool duplicate = false;
    for (const auto& t : ctx.out.torches) duplicate |= t.python == answer->install->python;
    if (!duplicate) ctx.out.torches.push_back(std::move(*answer->install));
  }
  return site_dirs;
}

}  // namespace kb::toolchains
