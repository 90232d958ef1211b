#pragma once
// The link input that keeps a library built on a newer glibc within manylinux_2_28
// (docs/abi.md, "Building manylinux_2_28 bundles on Debian 12"). Pure.

#include <string>
#include <vector>

namespace kb {

// The file name the plan gives the compat source in a variant's generated directory.
inline constexpr const char* k_manylinux_compat_file = "kb_manylinux_compat.c";

// The C source to compile (with the host C/C++ compiler, -fPIC) and link into every
// shared object of a variant. It defines a hidden, always-zero __libc_single_threaded, so
// the references libstdc++'s inline atomicity code makes (glibc >= 2.32 headers) bind
// inside the library instead of needing __libc_single_threaded@GLIBC_2.32. Zero means
// "maybe multi-threaded": every reference count then uses atomics, which is always correct.
std::string manylinux_compat_source();

// The compile arguments for it, besides the compiler, "-c", the source and "-o OBJ":
// {"-x", "c", "-O2", "-fPIC", "-fvisibility=hidden"} (g++ as the driver compiles it as C).
std::vector<std::string> manylinux_compat_compile_args();

}  // namespace kb
