#pragma once
// `kb check-abi`: whether a bundle's libraries load where the reference's do. The policy
// (check_abi) is pure and works on ElfImports; check_variant_abi / check_abi_tree read the
// libraries through the Disk seam. docs/abi.md describes the rules and where the tables
// come from.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "kb/disk.h"
#include "kb/elf_symbols.h"
#include "kb/error.h"
#include "kb/version.h"

namespace kb {

// One manylinux policy of auditwheel's table.
struct ManylinuxPolicy {
  std::string name;  // "manylinux_2_28"
  // arch ("x86_64") -> versioned dependency ("GLIBC", "GLIBCXX", "CXXABI", "GCC", ...) ->
  // the versions it allows, normalised ("2.2.5", "3.4.24", "TM_1"; trailing ".0"s dropped).
  std::map<std::string, std::map<std::string, std::set<std::string>>> symbol_versions;
};

// The policy tables check_abi needs, each with the text saying where it came from.
struct AbiTables {
  std::vector<ManylinuxPolicy> manylinux;
  std::map<std::string, Version>
      python_added;  // limited-API symbol -> CPython version that added it
  std::map<std::string, Version> torch_shim_added;  // stable C shim -> Torch version that added it
  std::string manylinux_source, python_source, torch_source;
};

// Parses the three tables (the formats of data/abi/*.json). Fails, naming the table, on
// malformed JSON, a missing key or a version that does not parse.
Result<AbiTables> parse_abi_tables(std::string_view manylinux_json, std::string_view python_json,
                                   std::string_view torch_json);

// The tables compiled into kb from data/abi/*.json. Fails only if those files were broken
// at build time (the unit tests parse them).
Result<AbiTables> builtin_abi_tables();

// What to check against.
struct AbiOptions {
  std::string manylinux = "manylinux_2_28";  // a policy name (aliases such as manylinux2014 too)
  Version python_abi = Version({3, 9});      // the oldest CPython the abi3 module must load in
  std::optional<Version> torch_stable_abi;   // set for stable-ABI variants: their target Torch
};

// One rule a library breaks.
struct AbiViolation {
  enum class Kind {
    manylinux,          // a versioned glibc/libstdc++/libgcc symbol the policy does not allow
    python_not_abi3,    // a Py*/_Py* symbol outside the limited API
    python_too_new,     // a limited-API symbol added after the python_abi version
    torch_not_stable,   // a c10::/at::/torch:: C++ symbol in a stable-ABI library
    torch_shim_too_new  // a stable shim added after the variant's target Torch
  };
  Kind kind = Kind::manylinux;
  std::string symbol;   // the symbol as imported ("__libc_single_threaded", mangled C++)
  std::string version;  // manylinux: the symbol version ("GLIBC_2.32"); *_too_new: the
                        // version that added it ("3.10", "2.12"); else ""
  std::string limit;    // manylinux: the newest version of that dependency the policy allows
                        // ("2.28"); *_too_new: the version checked against ("3.9", "2.11"); else ""
  std::string demangled;  // torch_not_stable: the demangled name; else ""
  bool operator==(const AbiViolation&) const = default;
};

// One line: "__libc_single_threaded@GLIBC_2.32: not allowed by manylinux_2_28 (GLIBC up to 2.28)".
std::string describe_violation(const AbiViolation& v, const AbiOptions& options);

// The violations of one library's imports, sorted by kind then symbol. Fails when
// options.manylinux names no policy (with the closest name) or the policy has no table for
// the library's architecture.
Result<std::vector<AbiViolation>> check_abi(const ElfImports& imports, const AbiTables& tables,
                                            const AbiOptions& options);

// The verdict on one library file.
struct LibraryVerdict {
  std::string path;                      // relative to the variant directory
  std::vector<AbiViolation> violations;  // empty when it passes
  std::optional<Error> error;            // set when it could not be read or checked
};

// The verdict on one variant (bundle) directory.
struct VariantVerdict {
  std::string variant;  // the directory's name, "torch211-cxx11-cu130-x86_64-linux"
  std::string dir;      // its path
  AbiOptions options;   // what it was checked against (stable-ABI target filled in)
  std::vector<LibraryVerdict> libraries;
  // True when there is at least one library and none has a violation or an error.
  bool ok() const;
};

// The stable-ABI target Torch of a variant name: 2.11 for "torch-stable-abi211-cu130-x86_64-linux",
// nullopt for any other name.
std::optional<Version> stable_abi_target(std::string_view variant);

// Checks every *.so and *.pyd below `dir` (recursively). The options' torch_stable_abi is
// taken from the directory's name when it is a stable-ABI variant and not set already.
// Unreadable files become per-library errors, so this never fails as a whole.
VariantVerdict check_variant_abi(const Disk& disk, const std::string& dir, const AbiTables& tables,
                                 AbiOptions options);

// Checks a kernel directory, a build directory or one variant: the first of root/result,
// root/build and root whose sub-directories hold a metadata.json gives the variants; else
// root itself when it holds a metadata.json. Fails when none of these holds a variant.
Result<std::vector<VariantVerdict>> check_abi_tree(const Disk& disk, const std::string& root,
                                                   const AbiTables& tables,
                                                   const AbiOptions& options);

// The one-line verdict a build prints per variant:
// "abi ok: torch211-cxx11-cu130-x86_64-linux (manylinux_2_28, abi3 3.9, 1 library)" or
// "abi FAIL: torch211-... : 1 violation in _relu_cuda_x.abi3.so: __libc_single_threaded@GLIBC_2.32
// ..." (the first violation named, then "and N more").
std::string format_verdict_line(const VariantVerdict& v);

// Every violation, one per line, under a heading per failing library (check-abi's text output).
std::string format_verdict_details(const VariantVerdict& v);

// check-abi --json: [{"variant","dir","ok","manylinux","python_abi","torch_stable_abi",
// "libraries":[{"path","ok","error","violations":[{"kind","symbol","version","limit","demangled","message"}]}]}].
std::string format_verdicts_json(const std::vector<VariantVerdict>& verdicts);

}  // namespace kb
