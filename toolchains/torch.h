#pragma once
// The Torch probe: one interpreter start per candidate, without importing torch.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/error.h"
#include "kb/toolchain.h"
#include "toolchains/probe_context.h"

namespace kb::toolchains {

// The Python snippet run as `python -c SCRIPT`. It locates torch with
// importlib.util.find_spec (no import), reads torch/version.py as text, asks sysconfig for
// the include dir, reads the C++ ABI from Torch's CMake files or library symbols, and passes
// on the text of TorchConfig.cmake and Caffe2Targets.cmake (toolchains/torch_cmake.h). It
// prints one JSON object on stdout.
const std::string& torch_probe_script();

// The facts in torch/version.py.
struct TorchVersionFacts {
  std::string version_string;       // "2.11.0+cu130"
  std::optional<std::string> cuda;  // "13.0"
  std::optional<std::string> hip;   // "6.2.41133-dd7f95766"
};

// Parses the assignments of torch/version.py (`__version__ = '2.11.0+cu130'`,
// `cuda: Optional[str] = '13.0'`, `hip = None`). Fails when __version__ is missing.
Result<TorchVersionFacts> parse_torch_version_py(std::string_view text);

// What one interpreter said.
struct TorchProbeAnswer {
  std::string executable;               // sys.executable
  std::string python_version;           // "3.11"
  std::vector<std::string> site_dirs;   // existing sys.path directories (cache witnesses)
  std::string version_py;               // path of torch/version.py ("" without torch)
  std::optional<TorchInstall> install;  // set when torch is installed and readable
  std::string problem;                  // why `install` is empty
};

// Parses the probe's JSON output. `python` is the interpreter that was run (used when the
// answer lacks sys.executable). Fails only on output that is not the probe's JSON; an
// interpreter without torch is an answer with `problem` set.
Result<TorchProbeAnswer> parse_torch_probe(std::string_view json_text, const std::string& python);

// The interpreters to probe: each --torch entry (a venv directory becomes DIR/bin/python),
// else each KB_TORCH entry (colon-separated), else python3 from PATH.
std::vector<Candidate> torch_candidates(const std::vector<std::string>& requested,
                                        const Environment& env, const Disk& disk);

// Probes each candidate; appends installs (deduplicated by interpreter) and rejections to
// ctx.out. Returns the site directories of every interpreter that answered, for the
// pip-wheel nvcc search.
std::vector<std::string> probe_torch(ProbeContext& ctx, const std::vector<Candidate>& candidates);

}  // namespace kb::toolchains
