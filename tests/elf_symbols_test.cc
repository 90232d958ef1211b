// read_elf_imports and check_variant_abi on real shared objects that the test compiles with
// g++: one symbol of each kind the ABI policy judges. Skipped when g++ is missing.

#include "kb/elf_symbols.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kb/abi_check.h"
#include "kb/disk.h"
#include "kb/manylinux_compat.h"

namespace kb {
namespace {

namespace fs = std::filesystem;

// A library importing: glibc's __libc_single_threaded (GLIBC_2.32 on glibc >= 2.32, through
// libstdc++'s shared_ptr), memcpy (an old GLIBC version), a Python C-API function, a c10
// C++ function and a Torch stable shim.
const char* k_library = R"(
#include <cstring>
#include <memory>
extern "C" void* PyLong_FromLong(long);
extern "C" int torch_tag_core();
namespace c10 { void report(int); }
extern "C" int kb_probe(char* dst, const char* src, unsigned long n) {
  std::memcpy(dst, src, n);
  auto p = std::make_shared<int>(static_cast<int>(n));
  auto q = p;  // the copy inlines __gnu_cxx::__is_single_threaded()
  PyLong_FromLong(*q);
  c10::report(*q);
  return torch_tag_core() + static_cast<int>(q.use_count());
}
)";

class ElfSymbols : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("g++ --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "g++ not found";
    dir_ = fs::temp_directory_path() / ("kb-elf-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    write("lib.cc", k_library);
    write(k_manylinux_compat_file, manylinux_compat_source());
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  // Runs a shell command in the test directory; true when it exits 0.
  bool sh(const std::string& cmd) {
    return std::system(("cd '" + dir_.string() + "' && " + cmd + " >/dev/null 2>&1").c_str()) == 0;
  }
  ElfImports imports_of(const std::string& name) {
    auto bytes = RealDisk().read_file((dir_ / name).string());
    EXPECT_TRUE(bytes.ok());
    auto r = read_elf_imports(bytes.ok() ? *bytes : "");
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.errors().list[0].message);
    return r.ok() ? *r : ElfImports{};
  }
  static std::string version_of(const ElfImports& imports, const std::string& name) {
    for (const auto& s : imports.symbols)
      if (s.name == name) return s.version;
    return "(absent)";
  }
  // Compiles the compat source the way the plan does; true on success.
  bool compile_compat() {
    std::string cmd = "g++";
    for (const auto& a : manylinux_compat_compile_args()) cmd += " " + a;
    return sh(cmd + " -c " + k_manylinux_compat_file + " -o compat.o");
  }
  fs::path dir_;
};

bool glibc_at_least_2_32() {
  return std::system(
             "getconf GNU_LIBC_VERSION | awk '{split($2,v,\".\"); exit !(v[1]>2 || v[2]>=32)}'") ==
         0;
}

TEST_F(ElfSymbols, ReadsEachKindOfImportWithItsVersion) {
  ASSERT_TRUE(sh("g++ -std=c++17 -O2 -fPIC -shared lib.cc -o libprobe.so"));
  ElfImports imports = imports_of("libprobe.so");
  EXPECT_EQ(imports.arch, "x86_64");
  EXPECT_TRUE(version_of(imports, "memcpy").starts_with("GLIBC_2."))
      << version_of(imports, "memcpy");
  EXPECT_EQ(version_of(imports, "PyLong_FromLong"), "");
  EXPECT_EQ(version_of(imports, "torch_tag_core"), "");
  EXPECT_EQ(version_of(imports, "_ZN3c106reportEi"), "");
  if (glibc_at_least_2_32()) {
    EXPECT_EQ(version_of(imports, "__libc_single_threaded"), "GLIBC_2.32");
  }
  EXPECT_NE(std::find(imports.needed.begin(), imports.needed.end(), "libc.so.6"),
            imports.needed.end());
  EXPECT_TRUE(std::is_sorted(imports.symbols.begin(), imports.symbols.end(),
                             [](const auto& a, const auto& b) { return a.name < b.name; }));
}

TEST_F(ElfSymbols, StrippedAndLldLinkedLibrariesKeepTheirVersions) {
  ASSERT_TRUE(sh("g++ -std=c++17 -O2 -fPIC -shared -s lib.cc -o libstripped.so"));
  ElfImports stripped = imports_of("libstripped.so");
  EXPECT_TRUE(version_of(stripped, "memcpy").starts_with("GLIBC_2."));
  if (!sh("g++ -std=c++17 -O2 -fPIC -shared -fuse-ld=lld lib.cc -o liblld.so"))
    GTEST_SKIP() << "no lld";
  ElfImports lld = imports_of("liblld.so");
  EXPECT_EQ(version_of(lld, "memcpy"), version_of(stripped, "memcpy"));
  if (glibc_at_least_2_32()) {
    EXPECT_EQ(version_of(lld, "__libc_single_threaded"), "GLIBC_2.32");
  }
}

TEST_F(ElfSymbols, NonElfBytesFail) {
  auto r = read_elf_imports("#!/bin/sh\necho not a library\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors().list[0].message, "not an ELF file");
  EXPECT_FALSE(read_elf_imports("").ok());
}

// The variant-level check names the glibc symbol, and the compat object removes it, with
// both GNU ld and lld; the library still runs.
TEST_F(ElfSymbols, CompatObjectMakesTheLibraryPassManylinux228) {
  if (!glibc_at_least_2_32()) GTEST_SKIP() << "glibc older than 2.32: nothing to remove";
  auto tables = builtin_abi_tables();
  ASSERT_TRUE(tables.ok());
  ASSERT_TRUE(compile_compat());
  fs::create_directories(dir_ / "before" / "build" / "torch211-cxx11-cpu-x86_64-linux");
  fs::create_directories(dir_ / "after" / "build" / "torch211-cxx11-cpu-x86_64-linux");
  write("before/build/torch211-cxx11-cpu-x86_64-linux/metadata.json", "{}");
  write("after/build/torch211-cxx11-cpu-x86_64-linux/metadata.json", "{}");
  ASSERT_TRUE(
      sh("g++ -std=c++17 -O2 -fPIC -shared lib.cc -o "
         "before/build/torch211-cxx11-cpu-x86_64-linux/_x.abi3.so"));
  ASSERT_TRUE(
      sh("g++ -std=c++17 -O2 -fPIC -shared lib.cc compat.o -o "
         "after/build/torch211-cxx11-cpu-x86_64-linux/_x.abi3.so"));

  RealDisk disk;
  auto before = check_abi_tree(disk, (dir_ / "before").string(), *tables, AbiOptions{});
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->size(), 1u);
  // PyLong_FromLong is in the limited API; c10::report is only judged in stable-ABI variants.
  const auto& lib = (*before)[0].libraries.at(0);
  ASSERT_EQ(lib.violations.size(), 1u) << format_verdict_details((*before)[0]);
  EXPECT_EQ(lib.violations[0].symbol, "__libc_single_threaded");
  EXPECT_NE(format_verdict_line((*before)[0]).find("__libc_single_threaded@GLIBC_2.32"),
            std::string::npos);

  auto after = check_abi_tree(disk, (dir_ / "after").string(), *tables, AbiOptions{});
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE((*after)[0].ok()) << format_verdict_details((*after)[0]);
  ElfImports fixed = imports_of("after/build/torch211-cxx11-cpu-x86_64-linux/_x.abi3.so");
  EXPECT_EQ(version_of(fixed, "__libc_single_threaded"), "(absent)");

  if (sh("g++ -std=c++17 -O2 -fPIC -shared -fuse-ld=lld lib.cc compat.o -o liblld_fixed.so")) {
    EXPECT_EQ(version_of(imports_of("liblld_fixed.so"), "__libc_single_threaded"), "(absent)");
    // Hidden: not exported either.
    EXPECT_FALSE(sh("nm -D --defined-only liblld_fixed.so | grep -q __libc_single_threaded"));
  }
}

// GCC 12's _Float16 conversions come from libgcc_s at GCC_12.0.0 unless libgcc.a is linked
// first; then they are private copies (neither imported nor exported) and still convert.
TEST_F(ElfSymbols, StaticLibgccKeepsHalfConversionsWithinManylinux228) {
  write("half.cc", R"(
extern "C" float kb_widen(_Float16 h) { return h; }
extern "C" _Float16 kb_narrow(float f) { return f; }
)");
  if (!sh("g++ -O2 -fPIC -shared half.cc -o libhalf_old.so"))
    GTEST_SKIP() << "g++ without _Float16";
  auto tables = builtin_abi_tables();
  ASSERT_TRUE(tables.ok());
  ElfImports old = imports_of("libhalf_old.so");
  if (version_of(old, "__extendhfsf2") != "GCC_12.0.0")
    GTEST_SKIP() << "this g++ inlines the conversions";
  auto old_verdict = check_abi(old, *tables, AbiOptions{});
  ASSERT_TRUE(old_verdict.ok());
  EXPECT_EQ(old_verdict->size(), 2u);  // __extendhfsf2 and __truncsfhf2

  std::string link = "g++ -O2 -fPIC -shared half.cc";
  for (const auto& a : manylinux_compat_link_args()) link += " " + a;
  ASSERT_TRUE(sh(link + " -o libhalf.so"));
  ElfImports fixed = imports_of("libhalf.so");
  EXPECT_EQ(version_of(fixed, "__extendhfsf2"), "(absent)");
  EXPECT_EQ(version_of(fixed, "__truncsfhf2"), "(absent)");
  auto verdict = check_abi(fixed, *tables, AbiOptions{});
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict->empty());
  EXPECT_FALSE(sh("nm -D --defined-only libhalf.so | grep -q hf"));
  write("use_half.cc", R"(
extern "C" float kb_widen(_Float16);
extern "C" _Float16 kb_narrow(float);
int main() { return kb_widen(kb_narrow(1.5f)) == 1.5f && kb_widen(kb_narrow(65504.f)) == 65504.f ? 0 : 1; }
)");
  ASSERT_TRUE(sh("g++ use_half.cc -o use_half -L. -lhalf -Wl,-rpath,'$ORIGIN'"));
  EXPECT_TRUE(sh("./use_half"));
}

// The compat copy only changes which branch libstdc++ takes: shared_ptr copies from many
// threads still count exactly.
TEST_F(ElfSymbols, CompatLibraryCountsReferencesExactlyAcrossThreads) {
  ASSERT_TRUE(compile_compat());
  write("count.cc", R"(
#include <memory>
#include <thread>
#include <vector>
extern "C" long kb_count() {
  auto p = std::make_shared<int>(1);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([p] { for (int i = 0; i < 100000; ++i) { auto q = p; (void)q; } });
  for (auto& t : ts) t.join();
  return p.use_count();
}
)");
  write("main.cc",
        "extern \"C\" long kb_count();\nint main() { return kb_count() == 1 ? 0 : 1; }\n");
  ASSERT_TRUE(sh("g++ -std=c++17 -O2 -fPIC -shared count.cc compat.o -o libcount.so -pthread"));
  ASSERT_TRUE(sh("g++ main.cc -o count -L. -lcount -Wl,-rpath,'$ORIGIN' -pthread"));
  EXPECT_TRUE(sh("./count"));
}

bool glibc_at_least_2_34() {
  return std::system(
             "getconf GNU_LIBC_VERSION | awk '{split($2,v,\".\"); exit !(v[1]>2 || v[2]>=34)}'") ==
         0;
}

// glibc 2.34 moved dlsym, pthread_once & co. into libc at GLIBC_2.34. Linked with the compat
// object and link arguments, a library calling them through inline header code imports their
// old versions instead, needs libdl.so.2 and libpthread.so.0 as a glibc 2.28 build does,
// passes manylinux_2_28, and the calls still behave: RTLD_DEFAULT and RTLD_NEXT lookups (the
// latter depends on the caller's object) and std::call_once from several threads.
TEST_F(ElfSymbols, TrampolinesBindMovedFunctionsToTheirPre234Versions) {
  if (!glibc_at_least_2_34()) GTEST_SKIP() << "glibc older than 2.34: nothing moved";
  auto tables = builtin_abi_tables();
  ASSERT_TRUE(tables.ok());
  ASSERT_TRUE(compile_compat());
  write("moved.cc", R"(
#include <dlfcn.h>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>
extern "C" int kb_lookups() {
  void* by_default = dlsym(RTLD_DEFAULT, "puts");
  void* next = dlsym(RTLD_NEXT, "puts");
  return (by_default == (void*)&puts) + 2 * (next == (void*)&puts);
}
static std::once_flag flag;
static int runs = 0;
extern "C" int kb_once() {
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) ts.emplace_back([] { std::call_once(flag, [] { ++runs; }); });
  for (auto& t : ts) t.join();
  return runs;
}
)");
  std::string link = "g++ -std=c++17 -O2 -fPIC -shared moved.cc compat.o";
  for (const auto& a : manylinux_compat_link_args()) link += " " + a;
  ASSERT_TRUE(sh("g++ -std=c++17 -O2 -fPIC -shared moved.cc -o libmoved_plain.so"));
  EXPECT_EQ(version_of(imports_of("libmoved_plain.so"), "dlsym"), "GLIBC_2.34");
  for (const char* linker : {"", " -fuse-ld=lld"}) {
    SCOPED_TRACE(std::string("linker:") + linker);
    if (!sh(link + linker + " -o libmoved.so")) {
      ASSERT_STRNE(linker, "") << "GNU ld link failed";
      continue;  // no lld
    }
    ElfImports fixed = imports_of("libmoved.so");
    EXPECT_EQ(version_of(fixed, "dlsym"), "GLIBC_2.2.5");
    EXPECT_EQ(version_of(fixed, "pthread_once"), "GLIBC_2.2.5");
    for (const char* lib : {"libdl.so.2", "libpthread.so.0"})
      EXPECT_NE(std::find(fixed.needed.begin(), fixed.needed.end(), lib), fixed.needed.end())
          << lib;
    auto verdict = check_abi(fixed, *tables, AbiOptions{});
    ASSERT_TRUE(verdict.ok());
    EXPECT_TRUE(verdict->empty()) << describe_violation(verdict->front(), AbiOptions{});
    EXPECT_FALSE(sh("nm -D --defined-only libmoved.so | grep -qw dlsym"));  // not exported
    write("main.cc", R"(
#include <dlfcn.h>
int main() {
  void* h = dlopen("./libmoved.so", RTLD_NOW | RTLD_LOCAL);
  if (!h) return 10;
  auto lookups = (int (*)())dlsym(h, "kb_lookups");
  auto once = (int (*)())dlsym(h, "kb_once");
  return lookups() == 3 && once() == 1 && once() == 1 ? 0 : 1;
}
)");
    ASSERT_TRUE(sh("g++ main.cc -o moved_main -pthread"));
    EXPECT_TRUE(sh("./moved_main"));
  }
}

}  // namespace
}  // namespace kb
