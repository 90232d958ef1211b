#pragma once
// The host C++ compiler and ninja probes.

#include <string>
#include <string_view>

#include "kb/error.h"
#include "kb/version.h"
#include "toolchains/probe_context.h"

namespace kb::toolchains {

// Parses the output of `CXX -dumpfullversion` / `-dumpversion` ("12.2.0", "14.0.6").
// Fails when the output does not start with a version.
Result<std::string> parse_compiler_version(std::string_view text);

// Parses `ninja --version` ("1.11.1", "1.13.0.git" -> 1.13). Fails on other text.
Result<Version> parse_ninja_version(std::string_view text);

// Finds the host compiler (CXX, else g++, else c++ on PATH) and ninja (PATH); sets
// ctx.out.cxx and ctx.out.ninja or records why not.
void probe_host(ProbeContext& ctx);

// Whether the output of `<cxx> -print-file-name=libstdc++.so` names a real file (an
// absolute path), i.e. the compiler links the shared C++ runtime that Torch also uses.
bool has_shared_libstdcxx(std::string_view print_file_name_output);

}  // namespace kb::toolchains
