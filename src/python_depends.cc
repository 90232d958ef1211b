#include "src/python_depends.h"

#include <algorithm>
#include <array>

#include "kb/path.h"

namespace kb {

namespace {

// Imports each module named on the command line; one "<module>\t<error>" line per failure.
constexpr const char* k_check_script = R"PY(
import importlib, sys
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as e:
        print(name + "\t" + type(e).__name__ + ": " + " ".join(str(e).split()))
)PY";

const std::array<PythonDepend, 6>& curated() {
  static const std::array<PythonDepend, 6> list = {{
      {"einops", "einops", "einops"},
      {"helion", "helion", "helion"},
      {"tvm-ffi", "apache-tvm-ffi", "tvm_ffi"},
      {"nvidia-cutlass-dsl", "nvidia-cutlass-dsl", "cutlass"},
      {"nki", "nki", "nki"},
      {"onednn", "onednn-devel", ""},
  }};
  return list;
}

}  // namespace

std::optional<PythonDepend> find_python_depend(std::string_view key) {
  for (const auto& d : curated())
    if (d.key == key) return d;
  return std::nullopt;
}

std::vector<std::string> python_depends_check_argv(const std::string& python,
                                                   const std::vector<std::string>& keys) {
  std::vector<std::string> modules;
  for (const auto& k : keys) {
    auto d = find_python_depend(k);
    if (d && !d->module.empty() &&
        std::find(modules.begin(), modules.end(), d->module) == modules.end())
      modules.push_back(d->module);
  }
  if (modules.empty()) return {};
  std::vector<std::string> argv{python, "-c", k_check_script};
  argv.insert(argv.end(), modules.begin(), modules.end());
  return argv;
}

std::vector<MissingPythonDepend> parse_python_depends_check(const std::vector<std::string>& keys,
                                                            std::string_view output) {
  std::vector<MissingPythonDepend> out;
  for (const auto& k : keys) {
    auto d = find_python_depend(k);
    if (!d || d->module.empty()) continue;
    for (std::string_view line : split_lines(output)) {
      size_t tab = line.find('\t');
      if (tab == std::string_view::npos || line.substr(0, tab) != d->module) continue;
      out.push_back({*d, std::string(line.substr(tab + 1))});
      break;
    }
  }
  return out;
}

}  // namespace kb
