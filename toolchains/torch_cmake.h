#pragma once
// Reading what Torch's CMake package gives a project that links its `torch` target, from the
// package's own files, where it is plain data (docs/toolchains.md, "Torch's CMake package").
// Pure: the Torch probe passes the files' text.

#include <string_view>

#include "kb/toolchain.h"

namespace kb::toolchains {

// The usage stated by TorchConfig.cmake (`set(TORCH_CXX_FLAGS "...")`, split on blanks) and
// Caffe2Targets.cmake (the INTERFACE_COMPILE_DEFINITIONS of the torch_cpu, torch_cuda and
// torch_hip imported targets, split on ';', a leading -D dropped; entries that are generator
// expressions are not plain data and are left out). `found` is set when `caffe2_targets` is
// not empty. Never fails: what is absent stays empty.
TorchCmakeUsage parse_torch_cmake(std::string_view torch_config, std::string_view caffe2_targets);

}  // namespace kb::toolchains
