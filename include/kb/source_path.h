#pragma once
// The src entries of build.toml as paths: which spellings name a file of the kernel, and the
// object name kb derives from each. Pure: no disk access.

#include <optional>
#include <string>
#include <string_view>

#include "kb/error.h"

namespace kb {

// Why `rel` (one entry of a src list, described in messages by `what`, e.g. "[torch] src")
// cannot name a file inside the kernel directory: an empty entry, an absolute path, a path
// that leaves the directory ("../x.cpp", "a/../../x.cpp"), or one that names a directory by
// its spelling (".", "a/..", "csrc/"). Returns nullopt for a usable path. The error has a
// message and a hint; the caller adds the location.
std::optional<Error> source_path_problem(std::string_view rel, std::string_view what);

// The name below a variant's obj/ directory that kb gives the object of source `rel`
// (without the ".o"): `rel` lexically normalised ("a//b/./c.cpp" -> "a/b/c.cpp"), with ".."
// written as "__" and a leading '/' dropped, so that it always stays below obj/. Two
// sources with the same stem would overwrite each other's object.
std::string object_stem(std::string_view rel);

}  // namespace kb
