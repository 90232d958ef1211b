#pragma once
// Whether a kernel's Torch binding can be compiled without the build's unique id.
//
// The unique id (a git tree id) names the op namespace and the module's PyInit_ symbol. kb
// normally keeps it out of the binding TUs: their registration macros (registration.h)
// read the namespace at static-initialisation time from a symbol that a tiny generated TU
// defines, so a new commit recompiles that TU and relinks, not the Torch-heavy binding.
// That is only sound when the binding names its namespace through those macros alone;
// any other use of TORCH_EXTENSION_NAME must see the real name on the command line. Pure.

#include <optional>
#include <string_view>

#include "kb/error.h"

namespace kb {

// The first use of TORCH_EXTENSION_NAME in a C/C++ source `text` that is not the first
// argument of TORCH_LIBRARY_EXPAND, TORCH_LIBRARY_IMPL_EXPAND, STABLE_TORCH_LIBRARY_EXPAND,
// STABLE_TORCH_LIBRARY_IMPL_EXPAND or REGISTER_EXTENSION, skipping comments and string and
// character literals; its line and column (1-based), with `file` left empty. nullopt when
// every use is one of those, or there is none.
std::optional<SourceLoc> other_extension_name_use(std::string_view text);

}  // namespace kb
