#!/usr/bin/env python3
"""Build step: writes a C++ source holding data/abi/*.json as string constants.

  embed-abi-tables.py OUT.cc MANYLINUX.json PYTHON.json TORCH.json
"""
import sys

NAMES = ("k_manylinux_policy_json", "k_python_stable_abi_json", "k_torch_stable_shims_json")


def main() -> int:
    out, inputs = sys.argv[1], sys.argv[2:]
    if len(inputs) != len(NAMES):
        print("usage: embed-abi-tables.py OUT.cc MANYLINUX.json PYTHON.json TORCH.json", file=sys.stderr)
        return 2
    lines = ["// Generated from data/abi/*.json by scripts/embed-abi-tables.py; do not edit.",
             '#include "src/abi_tables_data.h"', "", "namespace kb::abi_data {", ""]
    for name, path in zip(NAMES, inputs):
        text = open(path, encoding="utf-8").read()
        if ')kbjson"' in text:
            print(f"{path}: contains the raw-string delimiter", file=sys.stderr)
            return 1
        lines.append(f'extern const char {name}[] = R"kbjson({text})kbjson";')
    lines += ["", "}  // namespace kb::abi_data", ""]
    open(out, "w", encoding="utf-8").write("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
