// The host compiler and ninja probes.

#include "toolchains/host.h"

#include <fmt/format.h>

namespace kb::toolchains {

Result<std::string> parse_compiler_version(std::string_view text) {
  std::string line = first_line(text);
  if (!leading_version(line).ok())
    return Error{"unexpected compiler version output: " + line, {}, ""};
  return line;
}

Result<Version> parse_ninja_version(std::string_view text) {
  std::string line = first_line(text);
  auto v = leading_version(line);
  if (!v.ok()) return Error{"unexpected ninja --version output: " + line, {}, ""};
  return *v;
}

Result<std::string> parse_linker_version(std::string_view name, std::string_view text) {
  std::string line = first_line(text);
  std::string_view mark = name == "mold" ? "mold " : name == "lld" ? "LLD " : "GNU gold";
  if (line.find(mark) != std::string::npos) return line;
  return Error{
      fmt::format("-fuse-ld={} did not run {}: the linker said '{}'", name, name, line), {}, ""};
}

bool has_shared_libstdcxx(std::string_view print_file_name_output) {
  std::string_view s = print_file_name_output;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r'))
    s.remove_suffix(1);
  // GCC echoes the bare name back when it cannot find the file.
  return s.find('/') != std::string_view::npos;
}

namespace {

// The linkers `cxx` can use through -fuse-ld, fastest first. Each ld.<name> on PATH is tried
// through the compiler itself (`-Wl,--version` makes the linker print and exit), since what
// counts is that this compiler can drive it; one ~10 ms process each, on a cold lookup.
void probe_linkers(ProbeContext& ctx, HostCompiler& cxx) {
  for (const char* name : k_fast_linkers) {
    auto path = find_in_path(std::string("ld.") + name, ctx.env, ctx.disk);
    if (!path) continue;
    ctx.witness(*path);
    Candidate c{*path, "PATH"};
    auto out = run_probe(ctx, {cxx.path, std::string("-fuse-ld=") + name, "-Wl,--version"});
    if (!out.ok()) {
      ctx.reject("linker", c, first_message(out.errors()));
      continue;
    }
    auto version = parse_linker_version(name, out->out);
    if (!version.ok()) {
      ctx.reject("linker", c, first_message(version.errors()));
      continue;
    }
    cxx.linkers.push_back({name, *path, *version});
  }
}

void probe_cxx(ProbeContext& ctx) {
  std::vector<Candidate> candidates;
  if (auto cxx = ctx.env.get("CXX"); cxx && !cxx->empty()) {
    if (cxx->find_first_of(" \t") != std::string::npos) {
      ctx.reject("cxx", {*cxx, "CXX"},
                 "CXX must name one compiler executable; put launchers such as ccache in kb's "
                 "launcher option");
    } else {
      candidates.push_back({*cxx, "CXX"});
    }
  }
  candidates.push_back({"g++", "PATH"});
  candidates.push_back({"c++", "PATH"});

  for (const auto& c : candidates) {
    auto path = find_in_path(c.path, ctx.env, ctx.disk);
    if (!path) {
      if (c.origin == "CXX") ctx.reject("cxx", c, "not found (looked in PATH)");
      continue;
    }
    ctx.witness(*path);
    Candidate found{*path, c.origin};
    // -dumpfullversion is GCC's full version; clang rejects it, and its -dumpversion is
    // already the full version.
    std::string version;
    for (const char* flag : {"-dumpfullversion", "-dumpversion"}) {
      auto out = run_probe(ctx, {*path, flag});
      if (!out.ok()) continue;
      if (auto v = parse_compiler_version(out->out); v.ok()) {
        version = *v;
        break;
      }
    }
    if (version.empty()) {
      ctx.reject("cxx", found, "does not report its version (-dumpfullversion / -dumpversion)");
      continue;
    }
    // A compiler that links the C++ runtime statically (no libstdc++.so beside it) gives
    // every extension its own copy of libstdc++; a c10::Error thrown by Torch then unwinds
    // through frames of a different runtime and the process crashes. Seen with a GCC under
    // /opt/gcc on the GPU machine: the kernel's error tests segfaulted; /usr/bin/g++ passed.
    if (auto lib = run_probe(ctx, {*path, "-print-file-name=libstdc++.so"});
        lib.ok() && !has_shared_libstdcxx(lib->out)) {
      ctx.reject("cxx", found,
                 "links libstdc++ statically (-print-file-name=libstdc++.so finds no shared "
                 "library); extensions built with it crash when Torch throws an exception");
      continue;
    }
    ctx.out.cxx = HostCompiler{*path, version, {}};
    probe_linkers(ctx, *ctx.out.cxx);
    return;
  }
}

void probe_ninja(ProbeContext& ctx) {
  auto path = find_in_path("ninja", ctx.env, ctx.disk);
  if (!path) return;
  ctx.witness(*path);
  auto out = run_probe(ctx, {*path, "--version"});
  if (!out.ok()) {
    ctx.reject("ninja", {*path, "PATH"}, first_message(out.errors()));
    return;
  }
  auto v = parse_ninja_version(out->out);
  if (!v.ok()) {
    ctx.reject("ninja", {*path, "PATH"}, first_message(v.errors()));
    return;
  }
  ctx.out.ninja = NinjaTool{*path, *v};
}

}  // namespace

void probe_host(ProbeContext& ctx) {
  probe_cxx(ctx);
  probe_ninja(ctx);
}

}  // namespace kb::toolchains
