#pragma once
// Variant names, exactly as the reference builder and the kernels loader spell them.

#include <optional>
#include <string>
#include <string_view>

#include "kb/config.h"
#include "kb/error.h"
#include "kb/version.h"

namespace kb {

struct VariantName {
  enum class Kind { torch, stable_abi, tvm_ffi, noarch };
  Kind kind = Kind::torch;
  Version framework;  // Torch major.minor, the stable-ABI version, or the tvm-ffi version
  Backend backend = Backend::cpu;
  std::optional<Version> compute;  // CUDA/ROCm/XPU version; none for cpu/metal/noarch
  std::string cpu = "x86_64";
  std::string os = "linux";

  // torch211-cxx11-cu130-x86_64-linux, torch-stable-abi211-cu130-x86_64-linux,
  // tvm-ffi01-cu126-x86_64-linux, torch-cuda.
  std::string format() const;
  // Parses any name format() produces. Fails with a message naming the bad part; names kb
  // never writes (untagged or cxx98 Linux names, cxx11 off Linux, torch-universal) fail too.
  static Result<VariantName> parse(std::string_view name);
  bool operator==(const VariantName&) const = default;
};

}  // namespace kb
