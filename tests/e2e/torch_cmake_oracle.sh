#!/bin/bash
# The oracle: for each Torch install the tests use, Torch's own CMake package says which
# defines, include dirs and compiler options each TU of a kernel extension gets (a small
# CMake project of ours, tests/data/torch-cmake-oracle/CMakeLists.txt, configured only), and
# kb's build/compile_commands.json for the same kernel must say the same, flag by flag
# (torch_cmake_oracle.py; the deliberate differences are listed there and in
# docs/conformance.md). A Torch release that adds a flag turns this test red.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"

command -v cmake >/dev/null || skip "cmake not found (scripts/setup installs Debian's cmake)"
require_nvcc
require_torch_venvs
nvcc=$(command -v nvcc)
cuda_root=$(dirname "$(dirname "$(readlink -f "$nvcc")")")
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

kernel=$E2E_TMP/oracle
cp -a "$KB_SOURCE_ROOT/tests/data/torch-cmake-oracle" "$kernel"
id=oracle1

for venv in "$TORCH_211" "$TORCH_213" "$TORCH_214"; do
  python=$venv/bin/python
  version=$("$python" -c 'import importlib.metadata as m; print(m.version("torch"))')
  step "torch $version: Torch's CMake package"
  prefix=$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
  build=$E2E_TMP/cmake-$version
  # TORCH_CUDA_ARCH_LIST keeps Torch's package from probing for a GPU; the -gencode flags it
  # derives are not compared (the reference strips them and sets its own per source).
  if ! TORCH_CUDA_ARCH_LIST=9.0 cmake -S "$kernel" -B "$build" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DCMAKE_PREFIX_PATH="$prefix" -DKB_ORACLE_ID="$id" \
    -DCMAKE_CUDA_COMPILER="$nvcc" -DCUDAToolkit_ROOT="$cuda_root" \
    -DCUDA_TOOLKIT_ROOT_DIR="$cuda_root" \
    -DPython3_EXECUTABLE="$python" -DPython_EXECUTABLE="$python" \
    >"$E2E_TMP/cmake-$version.log" 2>&1; then
    tail -30 "$E2E_TMP/cmake-$version.log" >&2
    fail "cmake could not configure the oracle project against torch $version"
  fi
  [[ -f $build/compile_commands.json ]] || fail "cmake wrote no compile_commands.json"

  step "torch $version: kb's compile lines"
  out=$E2E_TMP/kb-$version
  kb_ok build "$kernel" --torch "$venv" --out "$out" --generate-only --unique-id "$id"
  [[ -f $out/compile_commands.json ]] || fail "kb wrote no compile_commands.json into $out"

  step "torch $version: flag by flag"
  (cd "$kernel" && python3 "$here/torch_cmake_oracle.py" \
    "$build/compile_commands.json" "$out/compile_commands.json" "$id") ||
    fail "kb's compile lines differ from what Torch's CMake package gives (torch $version)"
done

echo "torch_cmake_oracle: OK"
