// The manylinux_2_28 link inputs: the hidden __libc_single_threaded definition, the hidden
// trampolines to the pre-2.34 versions of the libdl/libpthread functions glibc 2.34 moved into
// libc, and static libgcc helpers (docs/abi.md).

#include "kb/manylinux_compat.h"

#include <fmt/format.h>

namespace kb {

namespace {

// The functions glibc 2.34 moved from libdl and libpthread into libc (where they got the
// version GLIBC_2.34) that C++ code calls through inline header code: <dlfcn.h> (Torch's
// stable-ABI headers look shims up with dlsym), libstdc++'s gthr-posix.h (call_once, thread
// keys, mutexes, shared_mutex, std::thread) and <semaphore>. With each one's version on
// x86_64 before 2.34; on aarch64 all of them are GLIBC_2.17, that port's base version.
struct MovedFunction {
  const char* name;
  const char* x86_64_version;
};

constexpr MovedFunction k_moved_functions[] = {
    {"dladdr", "GLIBC_2.2.5"},
    {"dladdr1", "GLIBC_2.3.3"},
    {"dlclose", "GLIBC_2.2.5"},
    {"dlerror", "GLIBC_2.2.5"},
    {"dlinfo", "GLIBC_2.3.3"},
    {"dlmopen", "GLIBC_2.3.4"},
    {"dlopen", "GLIBC_2.2.5"},
    {"dlsym", "GLIBC_2.2.5"},
    {"dlvsym", "GLIBC_2.2.5"},
    {"pthread_cancel", "GLIBC_2.2.5"},
    {"pthread_create", "GLIBC_2.2.5"},
    {"pthread_detach", "GLIBC_2.2.5"},
    {"pthread_getspecific", "GLIBC_2.2.5"},
    {"pthread_join", "GLIBC_2.2.5"},
    {"pthread_key_create", "GLIBC_2.2.5"},
    {"pthread_key_delete", "GLIBC_2.2.5"},
    {"pthread_mutex_timedlock", "GLIBC_2.2.5"},
    {"pthread_mutex_trylock", "GLIBC_2.2.5"},
    {"pthread_mutexattr_destroy", "GLIBC_2.2.5"},
    {"pthread_mutexattr_init", "GLIBC_2.2.5"},
    {"pthread_mutexattr_settype", "GLIBC_2.2.5"},
    {"pthread_once", "GLIBC_2.2.5"},
    {"pthread_rwlock_destroy", "GLIBC_2.2.5"},
    {"pthread_rwlock_init", "GLIBC_2.2.5"},
    {"pthread_rwlock_rdlock", "GLIBC_2.2.5"},
    {"pthread_rwlock_timedrdlock", "GLIBC_2.2.5"},
    {"pthread_rwlock_timedwrlock", "GLIBC_2.2.5"},
    {"pthread_rwlock_tryrdlock", "GLIBC_2.2.5"},
    {"pthread_rwlock_trywrlock", "GLIBC_2.2.5"},
    {"pthread_rwlock_unlock", "GLIBC_2.2.5"},
    {"pthread_rwlock_wrlock", "GLIBC_2.2.5"},
    {"pthread_setspecific", "GLIBC_2.2.5"},
    {"sem_destroy", "GLIBC_2.2.5"},
    {"sem_init", "GLIBC_2.2.5"},
    {"sem_post", "GLIBC_2.2.5"},
    {"sem_timedwait", "GLIBC_2.2.5"},
    {"sem_trywait", "GLIBC_2.2.5"},
    {"sem_wait", "GLIBC_2.2.5"},
};

const char* k_header =
    R"(/* Written by kb (docs/abi.md): linked into each library so that it stays within
 * manylinux_2_28 when built on a newer glibc.
 *
 * libstdc++'s headers (ext/atomicity.h) read glibc's __libc_single_threaded to skip atomic
 * instructions in reference counting while a process has one thread. This hidden copy
 * is never set, so it always reads 0 ("maybe multi-threaded") and the inlined code always
 * takes the atomic path: correct in every process, at the cost of an atomic add where a
 * plain one would have done. Hidden visibility keeps it out of the dynamic symbol table,
 * so the library neither exports nor imports the symbol. */
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

/* glibc 2.34 moved libdl and libpthread into libc, where each moved function got the
 * version GLIBC_2.34 next to its old one. A library linked on glibc >= 2.34 binds to the
 * new version and no longer loads on glibc 2.28. Each trampoline below is a hidden
 * definition of one moved function (so the library's own calls bind to it) that jumps to
 * the old version: the same code in glibc >= 2.34, libdl/libpthread's on older systems
 * (the link names libdl.so.2 and libpthread.so.0 for them). A jump, not a call: every
 * argument register and the caller's return address are passed on untouched, so
 * dlsym(RTLD_NEXT, ...) still sees a caller inside this library. Unused trampolines cost
 * one lazily bound import each. */
#include <features.h>
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34) && (defined(__x86_64__) || defined(__aarch64__))
#if defined(__x86_64__)
#define KB_JUMP "jmp"
#define KB_PLT "@PLT"
#define KB_OLD(x86_64, aarch64) x86_64
#else
#define KB_JUMP "b"
#define KB_PLT ""
#define KB_OLD(x86_64, aarch64) aarch64
#endif
#define KB_TRAMPOLINE(name, x86_64, aarch64)                                         \
  __asm__(".symver kb_old_" #name ", " #name "@" KB_OLD(x86_64, aarch64) "\n"       \
          ".pushsection .text.kb_compat_" #name ",\"ax\",%progbits\n"                \
          ".globl " #name "\n.hidden " #name "\n.type " #name ", %function\n"        \
          #name ":\n\t" KB_JUMP " kb_old_" #name KB_PLT "\n"                         \
          ".size " #name ", .-" #name "\n.popsection\n");
)";

const char* k_footer = R"(#endif
)";

}  // namespace

std::string manylinux_compat_source() {
  std::string out = k_header;
  for (const auto& f : k_moved_functions)
    out += fmt::format("KB_TRAMPOLINE({}, \"{}\", \"GLIBC_2.17\")\n", f.name, f.x86_64_version);
  return out + k_footer;
}

std::vector<std::string> manylinux_compat_link_args() {
  return {"-lgcc", "-Wl,--push-state,--no-as-needed", "-l:libdl.so.2", "-l:libpthread.so.0",
          "-Wl,--pop-state"};
}

std::vector<std::string> manylinux_compat_compile_args() {
  return {"-x", "c", "-O2", "-fPIC", "-fvisibility=hidden"};
}

}  // namespace kb
