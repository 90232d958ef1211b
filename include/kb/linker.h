#pragma once
// Which linker the link steps use (`kb build --linker`). Pure.

#include <string>
#include <string_view>

#include "kb/error.h"
#include "kb/toolchain.h"

namespace kb {

// The linkers discovery probes for the host compiler's -fuse-ld, fastest first.
inline constexpr const char* k_fast_linkers[] = {"mold", "lld", "gold"};

// The --linker values besides the names of HostCompiler::linkers.
inline constexpr std::string_view k_linker_auto = "auto";        // the fastest one found
inline constexpr std::string_view k_linker_default = "default";  // the compiler's own choice

// The -fuse-ld= name for `requested`: "auto" gives the first (fastest) of cxx.linkers, or ""
// (no -fuse-ld: the compiler's default) when there is none; "default" gives ""; "bfd" gives
// "bfd" (GNU ld, always there beside GCC); "mold", "lld" or "gold" give that name when
// discovery found it usable with this compiler. Fails for a linker discovery did not find
// (naming the ones it did) and for any other value (with the closest valid one).
Result<std::string> choose_linker(const HostCompiler& cxx, std::string_view requested);

}  // namespace kb
