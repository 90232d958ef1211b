#pragma once
// What a shared object imports, read from its ELF bytes with libelf (elfutils). The ABI
// policy (kb/abi_check.h) works on this value alone, so it is tested without files.

#include <string>
#include <string_view>
#include <vector>

#include "kb/error.h"

namespace kb {

// One undefined symbol the library needs from another object.
struct ImportedSymbol {
  std::string name;     // "memcpy", "_ZN3c104cuda20getCurrentCUDAStreamEa"
  std::string version;  // the version it binds to, "GLIBC_2.14"; "" when unversioned
  bool operator==(const ImportedSymbol&) const = default;
};

// The imports of one ELF file.
struct ElfImports {
  std::string arch;  // auditwheel's architecture name: "x86_64", "aarch64", "i686",
                     // "ppc64le", "ppc64", "s390x", "armv7l"; "" for any other machine
  std::vector<ImportedSymbol> symbols;  // sorted by name then version, no duplicates
  std::vector<std::string> needed;      // DT_NEEDED entries, in file order
};

// Reads the imports of the ELF file held in `bytes`: the undefined symbols of .dynsym with
// the version each asks for (.gnu.version + .gnu.version_r), together with the undefined
// `name@VERSION` entries GNU ld writes into .symtab (what the reference's checker reads),
// merged. Fails when the bytes are not an ELF file or its symbol tables cannot be read.
Result<ElfImports> read_elf_imports(std::string_view bytes);

}  // namespace kb
