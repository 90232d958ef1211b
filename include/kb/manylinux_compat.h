#pragma once
// The link inputs that keep a library built on a newer glibc and GCC within manylinux_2_28
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
// On glibc >= 2.34 (x86_64, aarch64) it also defines a hidden trampoline for each libdl /
// libpthread function that glibc 2.34 moved into libc and that C++ headers call inline
// (dlsym, pthread_once, ...): a jump to the function's pre-2.34 version, so the library
// imports e.g. dlsym@GLIBC_2.2.5 instead of dlsym@GLIBC_2.34.
std::string manylinux_compat_source();

// The link arguments to put right after a library's objects (before -L/-l of Torch and the
// toolkits): "-lgcc", then libdl.so.2 and libpthread.so.0 named as needed libraries even
// where --as-needed is the default. GCC 12 resolves the _Float16 conversions (__extendhfsf2,
// __truncsfhf2, __extendhfdf2, ...) from libgcc_s.so.1 at version GCC_12.0.0, which
// manylinux_2_28's libgcc_s lacks; naming libgcc.a (static only; its members are hidden)
// first makes the linker copy those pure helper routines into the library instead. On
// glibc 2.28 the trampolines' old versions live in libdl.so.2 and libpthread.so.0, which
// the library therefore needs (as Torch's own libraries do); on newer glibc they are stubs.
std::vector<std::string> manylinux_compat_link_args();

// The compile arguments for it, besides the compiler, "-c", the source and "-o OBJ":
// {"-x", "c", "-O2", "-fPIC", "-fvisibility=hidden"} (g++ as the driver compiles it as C).
std::vector<std::string> manylinux_compat_compile_args();

}  // namespace kb
