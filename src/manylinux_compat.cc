// The manylinux_2_28 link inputs: the hidden __libc_single_threaded definition and static libgcc
// helpers (docs/abi.md).

#include "kb/manylinux_compat.h"

namespace kb {

std::string manylinux_compat_source() {
  return R"(/* Written by kb (docs/abi.md): linked into each library so that it needs no
 * __libc_single_threaded@GLIBC_2.32 and stays within manylinux_2_28.
 *
 * libstdc++'s headers (ext/atomicity.h) read glibc's __libc_single_threaded to skip atomic
 * instructions in reference counting while a process has one thread. This hidden copy
 * is never set, so it always reads 0 ("maybe multi-threaded") and the inlined code always
 * takes the atomic path: correct in every process, at the cost of an atomic add where a
 * plain one would have done. Hidden visibility keeps it out of the dynamic symbol table,
 * so the library neither exports nor imports the symbol. */
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;
)";
}

std::vector<std::string> manylinux_compat_link_args() { return {"-lgcc"}; }

std::vector<std::string> manylinux_compat_compile_args() {
  return {"-x", "c", "-O2", "-fPIC", "-fvisibility=hidden"};
}

}  // namespace kb
