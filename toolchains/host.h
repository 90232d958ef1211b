#pragma once
// The host C++ compiler and ninja probes.

#include <string>
#include <string_view>

#include "kb/error.h"
#include "kb/linker.h"
#include "kb/version.h"
#include "toolchains/probe_context.h"

namespace kb::toolchains {

// Parses the output of `CXX -dumpfullversion` / `-dumpversion` ("12.2.0", "14.0.6").
// Fails when the output does not start with a version.
Result<std::string> parse_compiler_version(std::string_view text);

// Parses `ninja --version` ("1.11.1", "1.13.0.git" -> 1.13). Fails on other text.
Result<Version> parse_ninja_version(std::string_view text);

// The first line of `<cxx> -fuse-ld=<name> -Wl,--version` when it is the version of linker
// `name` ("mold", "lld" or "gold"): "Debian LLD 14.0.6 (compatible with GNU linkers)",
// "mold 1.10.1 (compatible with GNU ld)", "GNU gold (GNU Binutils for Debian 2.40) 1.16".
// Fails on any other text, e.g. GNU ld answering in its place.
Result<std::string> parse_linker_version(std::string_view name, std::string_view text);

// Finds the host compiler (CXX, else g++, else c++ on PATH), the faster linkers it can use,
// and ninja (PATH); sets ctx.out.cxx and ctx.out.ninja or records why not.
void probe_host(ProbeContext& ctx);

// Whether the output of `<cxx> -print-file-name=libstdc++.so` names a real file (an
// absolute path), i.e. the compiler links the shared C++ runtime that Torch also uses.
bool has_shared_libstdcxx(std::string_view print_file_name_output);

}  // namespace kb::toolchains
