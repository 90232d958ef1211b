#!/bin/bash
# The house style (.clang-format at the root) holds for every C++ file of kb itself: src/,
# include/, toolchains/, backends/, tests/ (not its data: golden outputs) and python/ (the examples are kernel repositories
# with their authors' style, and are left alone). Skips (77) without clang-format.
# To fix what it reports: clang-format -i FILE...
set -uo pipefail
root=${KB_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$root" || exit 1
command -v clang-format >/dev/null || { echo "SKIP: no clang-format (apt-get install clang-format)"; exit 77; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- 'src/*.cc' 'src/*.h' 'include/*.h' 'toolchains/*.cc' 'toolchains/*.h' \
    'backends/*.cc' 'backends/*.h' 'tests/*.cc' 'tests/*.h' 'python/*.cc' ':(exclude)tests/data/*')
else
  mapfile -t files < <(find src include toolchains backends tests python -path tests/data -prune -o \( -name '*.cc' -o -name '*.h' \) -print | sort)
fi
((${#files[@]})) || { echo "no C++ files found under $root"; exit 1; }
if clang-format --dry-run -Werror "${files[@]}" 2>"${TMPDIR:-/tmp}/kb-format.$$"; then
  echo "format: ${#files[@]} files follow .clang-format"
  rm -f "${TMPDIR:-/tmp}/kb-format.$$"
  exit 0
fi
bad=$(grep -o '^[^:]*:[0-9]*:[0-9]*: error' "${TMPDIR:-/tmp}/kb-format.$$" | cut -d: -f1 | sort -u)
head -n 40 "${TMPDIR:-/tmp}/kb-format.$$"
rm -f "${TMPDIR:-/tmp}/kb-format.$$"
echo "format: these files differ from .clang-format (run clang-format -i on them):"
echo "$bad"
exit 1
