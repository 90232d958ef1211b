// read_elf_imports: the undefined symbols of an ELF file through libelf.

#include "kb/elf_symbols.h"

#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <map>
#include <memory>

namespace kb {
namespace {

struct ElfCloser {
  void operator()(Elf* e) const { elf_end(e); }
};

std::string libelf_error() {
  const char* msg = elf_errmsg(-1);
  return msg ? msg : "unknown libelf error";
}

std::string arch_name(const GElf_Ehdr& h) {
  switch (h.e_machine) {
    case EM_X86_64: return "x86_64";
    case EM_AARCH64: return "aarch64";
    case EM_386: return "i686";
    case EM_PPC64: return h.e_ident[EI_DATA] == ELFDATA2LSB ? "ppc64le" : "ppc64";
    case EM_S390: return "s390x";
    case EM_ARM: return "armv7l";
    default: return "";
  }
}

struct Sections {
  Elf_Scn* dynsym = nullptr;
  Elf_Scn* symtab = nullptr;
  Elf_Scn* versym = nullptr;
  Elf_Scn* verneed = nullptr;
  Elf_Scn* dynamic = nullptr;
};

Sections find_sections(Elf* elf) {
  Sections s;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    switch (sh.sh_type) {
      case SHT_DYNSYM: s.dynsym = scn; break;
      case SHT_SYMTAB: s.symtab = scn; break;
      case SHT_GNU_versym: s.versym = scn; break;
      case SHT_GNU_verneed: s.verneed = scn; break;
      case SHT_DYNAMIC: s.dynamic = scn; break;
      default: break;
    }
  }
  return s;
}

size_t link_of(Elf_Scn* scn) {
  GElf_Shdr sh;
  return gelf_getshdr(scn, &sh) ? sh.sh_link : 0;
}

// vna_other (the index .gnu.version uses) -> vna_name ("GLIBC_2.14").
std::map<unsigned, std::string> needed_versions(Elf* elf, Elf_Scn* verneed) {
  std::map<unsigned, std::string> out;
  if (!verneed) return out;
  Elf_Data* data = elf_getdata(verneed, nullptr);
  if (!data) return out;
  const size_t strtab = link_of(verneed);
  size_t offset = 0;
  GElf_Verneed vn;
  while (gelf_getverneed(data, static_cast<int>(offset), &vn)) {
    size_t aux_offset = offset + vn.vn_aux;
    GElf_Vernaux aux;
    for (unsigned i = 0; i < vn.vn_cnt && gelf_getvernaux(data, static_cast<int>(aux_offset), &aux);
         ++i) {
      if (const char* name = elf_strptr(elf, strtab, aux.vna_name)) out[aux.vna_other] = name;
      if (aux.vna_next == 0) break;
      aux_offset += aux.vna_next;
    }
    if (vn.vn_next == 0) break;
    offset += vn.vn_next;
  }
  return out;
}

void add_dynsym(Elf* elf, const Sections& s, std::vector<ImportedSymbol>& out) {
  if (!s.dynsym) return;
  Elf_Data* syms = elf_getdata(s.dynsym, nullptr);
  if (!syms) return;
  Elf_Data* versym = s.versym ? elf_getdata(s.versym, nullptr) : nullptr;
  const auto versions = needed_versions(elf, s.verneed);
  const size_t strtab = link_of(s.dynsym);
  GElf_Shdr sh;
  gelf_getshdr(s.dynsym, &sh);
  const size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
  for (size_t i = 1; i < count; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(syms, static_cast<int>(i), &sym) || sym.st_shndx != SHN_UNDEF) continue;
    const char* name = elf_strptr(elf, strtab, sym.st_name);
    if (!name || !*name) continue;
    std::string version;
    GElf_Versym v;
    if (versym && gelf_getversym(versym, static_cast<int>(i), &v)) {
      auto it = versions.find(v & 0x7fff);  // the top bit marks a hidden version
      if (it != versions.end()) version = it->second;
    }
    out.push_back({name, version});
  }
}

// GNU ld writes undefined versioned references into .symtab as "name@VERSION".
void add_symtab(Elf* elf, const Sections& s, std::vector<ImportedSymbol>& out) {
  if (!s.symtab) return;
  Elf_Data* syms = elf_getdata(s.symtab, nullptr);
  if (!syms) return;
  const size_t strtab = link_of(s.symtab);
  GElf_Shdr sh;
  gelf_getshdr(s.symtab, &sh);
  const size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
  for (size_t i = 1; i < count; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(syms, static_cast<int>(i), &sym) || sym.st_shndx != SHN_UNDEF) continue;
    const char* raw = elf_strptr(elf, strtab, sym.st_name);
    if (!raw || !*raw) continue;
    std::string_view name = raw;
    const size_t at = name.find('@');
    if (at == std::string_view::npos) continue;  // .dynsym has the unversioned ones
    std::string_view version = name.substr(at + 1);
    if (!version.empty() && version.front() == '@') version.remove_prefix(1);
    out.push_back({std::string(name.substr(0, at)), std::string(version)});
  }
}

std::vector<std::string> needed_libraries(Elf* elf, Elf_Scn* dynamic) {
  std::vector<std::string> out;
  if (!dynamic) return out;
  Elf_Data* data = elf_getdata(dynamic, nullptr);
  if (!data) return out;
  const size_t strtab = link_of(dynamic);
  GElf_Shdr sh;
  gelf_getshdr(dynamic, &sh);
  const size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
  for (size_t i = 0; i < count; ++i) {
    GElf_Dyn dyn;
    if (!gelf_getdyn(data, static_cast<int>(i), &dyn) || dyn.d_tag == DT_NULL) break;
    if (dyn.d_tag != DT_NEEDED) continue;
    if (const char* name = elf_strptr(elf, strtab, dyn.d_un.d_val)) out.emplace_back(name);
  }
  return out;
}

}  // namespace

Result<ElfImports> read_elf_imports(std::string_view bytes) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return Error{"libelf is unusable: " + libelf_error(), {}, ""};
  // elf_memory may convert data in place (a foreign byte order), so it gets its own copy.
  std::string image(bytes);
  std::unique_ptr<Elf, ElfCloser> elf(elf_memory(image.data(), image.size()));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF)
    return Error{"not an ELF file", {}, "check-abi reads shared objects (.so)"};
  GElf_Ehdr header;
  if (!gelf_getehdr(elf.get(), &header))
    return Error{"unreadable ELF header: " + libelf_error(), {}, ""};

  ElfImports out;
  out.arch = arch_name(header);
  const Sections sections = find_sections(elf.get());
  add_dynsym(elf.get(), sections, out.symbols);
  add_symtab(elf.get(), sections, out.symbols);
  std::sort(out.symbols.begin(), out.symbols.end(), [](const auto& a, const auto& b) {
    return a.name != b.name ? a.name < b.name : a.version < b.version;
  });
  out.symbols.erase(std::unique(out.symbols.begin(), out.symbols.end()), out.symbols.end());
  // An unversioned entry is redundant beside a versioned one of the same name (sorted, the
  // unversioned one comes first).
  std::vector<ImportedSymbol> kept;
  for (size_t i = 0; i < out.symbols.size(); ++i) {
    const bool shadowed = out.symbols[i].version.empty() && i + 1 < out.symbols.size() &&
                          out.symbols[i + 1].name == out.symbols[i].name;
    if (!shadowed) kept.push_back(std::move(out.symbols[i]));
  }
  out.symbols = std::move(kept);
  out.needed = needed_libraries(elf.get(), sections.dynamic);
  return out;
}

}  // namespace kb
