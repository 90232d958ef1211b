#pragma once
// The two download routes of kb/deps_resolve.h: PyPI (pip download + unpack) and git
// (shallow clone). Each fills <stage>/include with the header tree of one pin and runs every
// program under `timeout`.

#include <string>
#include <vector>

#include "kb/deps.h"
#include "kb/disk.h"
#include "kb/error.h"
#include "kb/process.h"

namespace kb {

// What a fetch runs with.
struct FetchContext {
  Disk& disk;
  Process& process;
  const Environment& env;
  std::vector<std::string> pythons;  // pip's interpreter: the first that has pip
  int timeout_s = 600;
};

// `timeout --kill-after=10 <seconds> argv...`: argv ends (exit 124, or 137 after the kill)
// when it runs longer than `seconds`.
std::vector<std::string> with_timeout(int seconds, const std::vector<std::string>& argv);

// The line of a failed program's output to quote in a reason: git's first "fatal:" line
// (the cause; later ones are generic advice), else the last "ERROR:"/"error:" line (pip's
// summary), else the last non-empty line of stdout and stderr.
std::string failure_line(const Captured& c);

// Downloads the nvidia-cutlass wheel of the pin's exact version with
// `<python> -m pip download --no-deps --only-binary=:all:` into <stage>/wheel, unpacks its
// cutlass_library/source/include/ into <stage>/include, and removes the wheel. Returns what
// was fetched ("nvidia-cutlass==3.8.0.0 (<wheel file name>)"); fails with a one-line reason
// (no pip, no such version, a timeout, a wheel without headers).
Result<std::string> fetch_from_pypi(const DepPin& pin, const std::string& stage, FetchContext& ctx);

// Clones tag v<version> of `url` with `git clone --depth 1 --branch` into <stage>/src,
// moves its include/ to <stage>/include and removes the rest. Returns "<url> v<version>";
// fails with a one-line reason (no git, no such tag, unreachable, a timeout, no include/).
Result<std::string> fetch_from_git(const DepPin& pin, const std::string& url,
                                   const std::string& stage, FetchContext& ctx);

}  // namespace kb
