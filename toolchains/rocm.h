#pragma once
// The ROCm probe: HIP version, the HIP clang, and the gfx targets it can build.

#include <string>
#include <string_view>
#include <vector>

#include "kb/error.h"
#include "kb/version.h"
#include "toolchains/probe_context.h"

namespace kb::toolchains {

// What `hipcc --version` says.
struct HipccVersion {
  std::string hip_version;  // "5.2.21153-0" as printed
  std::string clang_dir;    // the InstalledDir of the clang hipcc drives; "" when absent
  std::string clang_line;   // "Debian clang version 15.0.6"
};

// Parses `hipcc --version`. Fails when there is no "HIP version:" line.
Result<HipccVersion> parse_hipcc_version(std::string_view text);

// The clang++ paths to try for the HIP clang hipcc drives, best first:
// <InstalledDir>/clang++-<major> (Debian: hipcc reports InstalledDir /usr/bin, where plain
// clang++ is the default clang 14 and HIP's is clang++-15), then <InstalledDir>/clang++.
// Empty when hipcc names no InstalledDir.
std::vector<std::string> hip_clang_candidates(const HipccVersion& hipcc);

// Parses include/hip/hip_version.h into "MAJOR.MINOR.PATCH". Fails when a macro is missing.
Result<std::string> parse_hip_version_header(std::string_view text);

// Parses ROCm's .info/version ("6.2.0-66") into major.minor. Fails on other text.
Result<Version> parse_rocm_info_version(std::string_view text);

// The gfx targets named by the device library's ISA files (oclc_isa_version_90a.bc ->
// gfx90a), sorted by generation; other names are ignored. The device library is what
// limits the compiler: clang cannot build for a target whose ISA library is absent.
std::vector<std::string> gfx_targets_from_bitcode(const std::vector<std::string>& file_names);

// The candidate prefixes in search order: --rocm dirs, ROCM_PATH, the prefix of hipcc on
// PATH, /opt/rocm, /opt/rocm-*, and /usr when /usr/bin/hipcc exists (Debian).
std::vector<Candidate> rocm_candidates(const ProbeContext& ctx,
                                       const std::vector<std::string>& requested);

// Probes each prefix (deduplicated by real path); appends toolkits and rejections to ctx.out.
void probe_rocm(ProbeContext& ctx, const std::vector<Candidate>& candidates);

}  // namespace kb::toolchains
