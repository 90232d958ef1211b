#pragma once
// `python-depends` at test time: the curated keys are runtime requirements (recorded in
// metadata.json, never build inputs), so `kb test` checks that each imports in a Torch env
// before pytest runs there, and names the one that does not. Pure: kb test runs the argv.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb {

// A curated python-depends key and what it stands for (docs/dependencies.md, "Python
// dependencies").
struct PythonDepend {
  std::string key;     // "nvidia-cutlass-dsl"
  std::string pip;     // the package to install: "nvidia-cutlass-dsl"
  std::string module;  // what it is imported as: "cutlass"; "" when the loader checks no import
};

// The entry of `key`; nullopt for a key outside the curated list.
std::optional<PythonDepend> find_python_depend(std::string_view key);

// `<python> -c <script> <module>...` for the keys that have a module: the script tries each
// import and prints one "<module>\t<error>" line per module that fails, then exits 0.
// Returns an empty argv when no key has a module to check.
std::vector<std::string> python_depends_check_argv(const std::string& python,
                                                   const std::vector<std::string>& keys);

// A python-depends key whose module does not import.
struct MissingPythonDepend {
  PythonDepend depend;
  std::string error;  // "ModuleNotFoundError: No module named 'einops'"
};

// The keys (of `keys`) whose module the check's output names, in the order of `keys`.
std::vector<MissingPythonDepend> parse_python_depends_check(const std::vector<std::string>& keys,
                                                            std::string_view output);

}  // namespace kb
