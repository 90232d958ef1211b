#!/usr/bin/env python3
"""Compares kb's compile_commands.json with the one CMake writes for the same kernel.

Used by torch_cmake_oracle.sh. Every TU of kb's CUDA and CPU variants is matched with the TU
of the same source file in the oracle project's CUDA or CPU target
(tests/data/torch-cmake-oracle/CMakeLists.txt), and both command lines are reduced to sets
of flags: defines, include dirs (as -I/-isystem and a resolved path) and the other options.
A flag on one side only fails the comparison, named, unless it is one of the differences
listed below, each with its reason (docs/conformance.md repeats them).

Usage: torch_cmake_oracle.py CMAKE_COMPDB KB_COMPDB UNIQUE_ID
"""

import json
import os
import re
import shlex
import sys

# Flags only CMake writes, and why kb leaves them out.
CMAKE_ONLY = [
    (re.compile(r"^-D\w+_EXPORTS$"),
     "CMake's export macro of a shared/module target; for the reference's target it is "
     "-D<ops name>_EXPORTS, the unique id on every command line, and nothing reads it"),
    (re.compile(r"^-forward-unknown-to-host-compiler$"),
     "CMake's nvcc driver mode; kb passes host options to nvcc with -Xcompiler explicitly"),
    (re.compile(r"^-x cu$"),
     "CMake names the language; kb hands nvcc only .cu files, which it compiles as CUDA"),
    (re.compile(r"^-std=c\+\+\d+$"),
     "the C++ standard is the project's choice, not Torch's package (the reference: C++17 "
     "below Torch 2.12, else C++20; tests/flags_test.cc)"),
]

# Flags only kb writes, and why.
KB_ONLY = [
    (re.compile(r"^-DPy_LIMITED_API=0x03090000$"),
     "the reference's Python3_add_library(... USE_SABI 3) defines Py_LIMITED_API target-wide "
     "(CMake >= 3.26; Debian 12 has 3.25); kb pins abi3 >= 3.9, the level check-abi enforces"),
    (re.compile(r"^-I .*/\.kb/[^/]+/gen$"),
     "the binding's registration.h, which the reference generates into torch-ext/ next to it"),
    (re.compile(r"^-std=c\+\+\d+$"),
     "the C++ standard is the project's choice, not Torch's package (see above)"),
    (re.compile(r"^-Xcompiler -fno-gnu-unique$"),
     "the reference asks for -fno-gnu-unique on GPU TUs too, but its generator expression "
     "names no language; kb gives it to nvcc's host compiler as intended"),
    (re.compile(r"^--threads \d+$"),
     "nvcc's threads, sized by kb per build; the reference passes --threads only with "
     "NVCC_THREADS (which Nix sets)"),
    (re.compile(r"^-ccbin .+$"),
     "the host compiler kb discovered (the same g++ CMake uses)"),
]

# Arguments that say where a compile reads and writes, not how: ignored on both sides.
IGNORED_WITH_VALUE = {"-o", "-c", "-MF", "-MT", "-MQ", "-gencode"}
IGNORED = {"-MD", "-MMD"}


def flag_set(argv):
    """The flags of one command line (compiler, output, depfile and -gencode left out)."""
    out = set()
    args = list(argv[1:])
    i = 0

    def value():
        nonlocal i
        i += 1
        if i >= len(args):
            raise SystemExit(f"flag {args[i - 1]!r} without a value in: {shlex.join(argv)}")
        return args[i]

    while i < len(args):
        a = args[i]
        if a in IGNORED_WITH_VALUE:
            value()
        elif a in IGNORED:
            pass
        elif a in ("-isystem", "-I", "-Xcudafe", "-x", "--threads", "-ccbin", "-Xcompiler"):
            v = value()
            out |= expand(a, v)
        elif a.startswith("-isystem="):
            out |= expand("-isystem", a[len("-isystem="):])
        elif a.startswith("-Xcompiler="):
            out |= expand("-Xcompiler", a[len("-Xcompiler="):])
        elif a.startswith("-I") and len(a) > 2:
            out |= expand("-I", a[2:])
        elif a.startswith("-D"):
            out.add(a)
        else:
            out.add(a)
        i += 1
    return out


def expand(flag, value):
    if flag in ("-isystem", "-I"):
        return {f"{flag} {os.path.realpath(value)}"}
    if flag == "-Xcompiler":
        return {f"-Xcompiler {v}" for v in value.split(",") if v}
    return {f"{flag} {value}"}


def explained(flag, table):
    for pattern, reason in table:
        if pattern.search(flag):
            return reason
    return None


def cmake_entries(path):
    """{(target, realpath of source): argv} of CMake's compile_commands.json."""
    out = {}
    for e in json.load(open(path)):
        argv = e["arguments"] if "arguments" in e else shlex.split(e["command"])
        m = re.search(r"CMakeFiles/(\w+)\.dir/", " ".join(argv))
        if not m:
            raise SystemExit(f"cannot tell the target of {e['file']} in {path}")
        out[(m.group(1), os.path.realpath(e["file"]))] = argv
    return out


def kb_entries(path):
    """{(target, realpath of source): argv} of kb's compile_commands.json, with the variant
    mapped to the oracle target of its backend (oracle_cuda, oracle_cpu)."""
    out = {}
    generated = []
    for e in json.load(open(path)):
        argv = e["arguments"]
        variant = re.search(r"/\.kb/([^/]+)/", e["output"]).group(1)
        backend = "cuda" if re.search(r"-cu\d+-", variant) else "cpu" if "-cpu-" in variant else None
        if backend is None:
            raise SystemExit(f"kb built an unexpected variant {variant}")
        if "/.kb/" in e["file"]:
            generated.append(e["file"])  # gen/ops_id.c: kb's own TU, not the reference's
            continue
        out[(f"oracle_{backend}", os.path.realpath(e["file"]))] = argv
    return out, generated


def main():
    cmake_path, kb_path, unique_id = sys.argv[1:4]
    cmake = cmake_entries(cmake_path)
    kb, generated = kb_entries(kb_path)
    problems = []
    if set(cmake) != set(kb):
        for key in sorted(set(cmake) - set(kb)):
            problems.append(f"{key[0]} {key[1]}: CMake compiles it, kb does not")
        for key in sorted(set(kb) - set(cmake)):
            problems.append(f"{key[0]} {key[1]}: kb compiles it, CMake does not")
    compared = 0
    for key in sorted(set(cmake) & set(kb)):
        target, source = key
        c, k = flag_set(cmake[key]), flag_set(kb[key])
        # kb late-binds the op namespace (docs/bundle.md): -DTORCH_EXTENSION_NAME=_oracle_cuda
        # where the reference writes _oracle_cuda_<id>.
        for flag in list(c):
            m = re.match(r"^-DTORCH_EXTENSION_NAME=(.*)_" + re.escape(unique_id) + "$", flag)
            if m and f"-DTORCH_EXTENSION_NAME={m.group(1)}" in k:
                c.discard(flag)
                k.discard(f"-DTORCH_EXTENSION_NAME={m.group(1)}")
        name = f"{target} {os.path.relpath(source)}"
        for flag in sorted(c - k):
            if not explained(flag, CMAKE_ONLY):
                problems.append(f"{name}: Torch's CMake package gives `{flag}`, kb does not")
        for flag in sorted(k - c):
            if not explained(flag, KB_ONLY):
                problems.append(f"{name}: kb gives `{flag}`, Torch's CMake package does not")
        compared += len(c & k)
        if any(p.startswith(name + ":") for p in problems):
            print(f"  {name}: DIFFERS")
            continue
        print(f"  {name}: {len(c & k)} flags agree; explained differences: "
              f"CMake only {' '.join(sorted(c - k)) or '-'}; kb only {' '.join(sorted(k - c)) or '-'}")
    if problems:
        print("the compile lines differ:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        sys.exit(1)
    print(f"  {len(kb)} TUs, {compared} flags compared; kb's own TUs not compared: "
          f"{', '.join(os.path.basename(g) for g in generated) or 'none'}")


if __name__ == "__main__":
    main()
