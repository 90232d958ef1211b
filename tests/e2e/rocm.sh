#!/usr/bin/env bash
# ROCm builds (docs/rocm.md), in two parts.
#
# 1. On paper, with the fixtures: tests/data/rocm-torch (a ROCm Torch 2.11.0+rocm6.4 install's
#    layout, no Torch) and tests/data/rocm-6.4 (a fake ROCm 6.4 hipcc/clang). `kb toolchains`,
#    `kb matrix --all` and `kb build --dry-run` must show the torch211-cxx11-rocm64 variant
#    and its hipify, HIP compile and link commands.
# 2. For real, with the machine's hipcc (Debian 12: HIP 5.2, clang 15): the fixture Torch,
#    re-versioned to that ROCm, pairs with it; kb writes build.ninja, and ninja runs kb's own
#    hipify and HIP compile edges for examples/relu's kernel. The object's offload bundle must
#    hold exactly the planned gfx targets, and it must link against libamdhip64. The binding
#    (Torch headers) is not compiled: the fixture has none, and ROCm Torch's headers need
#    rocThrust, which Debian lacks.
#
# Skips (77) without hipcc or python3 (the fixture Torch's interpreter runs python3).
source "$(dirname "$0")/lib.sh"

HIPCC=$(command -v hipcc || true)
[[ -n $HIPCC ]] || skip "hipcc not found (Debian: apt-get install hipcc libamdhip64-dev)"
command -v python3 >/dev/null || skip "python3 not found (the fixture Torch's bin/python runs it)"
command -v ninja >/dev/null || skip "ninja not found"
command -v objcopy >/dev/null || skip "objcopy not found"

FIX=$KB_SOURCE_ROOT/tests/data
RELU=$KB_SOURCE_ROOT/examples/relu
export KB_TORCH= # only the --torch given below

# offload_targets OBJECT: the targets in its .hip_fatbin, one per line, sorted
# ("gfx90a", ..., and "host").
offload_targets() {
  local fb=$E2E_TMP/fatbin.bin
  objcopy -O binary --only-section=.hip_fatbin "$1" "$fb" || fail "no .hip_fatbin section in $1"
  "$BUNDLER" --list --type=o --input="$fb" | sed -e 's/^hipv4-amdgcn-amd-amdhsa--//' -e 's/^host-.*/host/' | sort
}

# planned_archs MATRIX_JSON VARIANT: the archs of the variant's relu_rocm section, one per line.
planned_archs() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
variants = {v["name"]: v for v in json.load(open(sys.argv[1]))["variants"]}
v = variants[sys.argv[2]]
for s in v["sections"]:
    if s["name"] == "relu_rocm":
        print("\n".join(sorted(s["archs"])))
EOF
}

# ---------------------------------------------------------------------------------------------
# Part 1: fixtures
# ---------------------------------------------------------------------------------------------

step "kb toolchains: the fixture Torch (ROCm 6.4) and the fake ROCm 6.4 toolkit"
kb_ok toolchains --no-cache --torch "$FIX/rocm-torch" --rocm "$FIX/rocm-6.4"
kb_out >"$E2E_TMP/toolchains.txt"
grep -q "torch 2.11.0+rocm6.4 (ROCm 6.4, C++11 ABI" "$E2E_TMP/toolchains.txt" ||
  { cat "$E2E_TMP/toolchains.txt" >&2; fail "the fixture Torch is not reported as ROCm 6.4"; }
grep -q "ROCm 6.4 (HIP 6.4.43482-0) at $FIX/rocm-6.4" "$E2E_TMP/toolchains.txt" ||
  { cat "$E2E_TMP/toolchains.txt" >&2; fail "the fake ROCm 6.4 toolkit is not reported"; }

step "kb toolchains: the machine's hipcc, its HIP clang and the targets it can build"
kb_ok toolchains --json --no-cache --torch "$FIX/rocm-torch"
kb_out >"$E2E_TMP/toolchains.json"
read -r ROCM_ROOT HIP_CLANG HIP_VERSION ROCM_MM < <(python3 - "$E2E_TMP/toolchains.json" "$HIPCC" <<'EOF'
import json, os, sys
rocm = json.load(open(sys.argv[1]))["rocm"]
hipcc = os.path.realpath(sys.argv[2])
mine = [r for r in rocm if r["hipcc"] and os.path.realpath(r["hipcc"]) == hipcc]
assert mine, f"kb toolchains does not report {hipcc}: {rocm}"
r = mine[0]
assert r["clang"] and r["gfx_targets"], r
print(r["root"], r["clang"], r["hip_version"], r["version"])
EOF
) || fail "kb toolchains --json does not report $HIPCC"
echo "ROCm $ROCM_MM (HIP $HIP_VERSION) at $ROCM_ROOT, clang $HIP_CLANG"
"$HIP_CLANG" --version >/dev/null 2>&1 || fail "kb's HIP clang $HIP_CLANG does not run"
BUNDLER=$(dirname "$(readlink -f "$HIP_CLANG")")/clang-offload-bundler
[[ -x $BUNDLER ]] || skip "no clang-offload-bundler beside $HIP_CLANG"
if [[ $ROCM_MM == 5.2 ]]; then
  # Debian 12: hipcc reports InstalledDir /usr/bin, where clang++ is clang 14; HIP's is -15.
  [[ $HIP_CLANG == */clang++-15 ]] || fail "Debian's HIP clang should be clang++-15, kb found $HIP_CLANG"
  python3 - "$E2E_TMP/toolchains.json" <<'EOF' || fail "Debian's target list is not as measured"
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["rocm"] if r["version"] == "5.2"][0]
t = r["gfx_targets"]
for ok in ("gfx906", "gfx908", "gfx90a", "gfx940", "gfx1030"):
    assert ok in t, (ok, t)
for bad in ("gfx941", "gfx942", "gfx950", "gfx1100"):
    assert bad not in t, (bad, t)
EOF
fi

step "kb matrix --all with the fixtures: torch211-cxx11-rocm64, gfx940 dropped with a note"
kb_ok matrix --all "$RELU" --torch "$FIX/rocm-torch" --rocm "$FIX/rocm-6.4"
kb_out >"$E2E_TMP/matrix.txt"
grep -qx "torch211-cxx11-rocm64-x86_64-linux" "$E2E_TMP/matrix.txt" ||
  { cat "$E2E_TMP/matrix.txt" >&2; fail "no ROCm 6.4 variant with the fixtures"; }
grep -q "note: \[kernel.relu_rocm\] gfx940: not one of the supported ROCm targets" "$E2E_TMP/matrix.txt" ||
  { cat "$E2E_TMP/matrix.txt" >&2; fail "the dropped gfx940 is not explained"; }
kb_ok matrix --json "$RELU" --torch "$FIX/rocm-torch" --rocm "$FIX/rocm-6.4"
kb_out >"$E2E_TMP/matrix64.json"
[[ $(planned_archs "$E2E_TMP/matrix64.json" torch211-cxx11-rocm64-x86_64-linux) == gfx90a ]] ||
  fail "the fixture ROCm 6.4 variant should build gfx90a only"

step "kb build --dry-run with the fixtures: hipify, HIP compile and link commands"
V64=torch211-cxx11-rocm64-x86_64-linux
kb_ok build "$RELU" --dry-run --out "$E2E_TMP/dry" --unique-id e2e0001 \
  --torch "$FIX/rocm-torch" --rocm "$FIX/rocm-6.4"
kb_out | sed -n "/^# $V64\$/,/^\$/p" >"$E2E_TMP/dry.txt"
W=$E2E_TMP/dry/.kb/$V64
expect_line() { # PATTERN WHAT: a line of the dry run matches the extended regex
  grep -qE -- "$1" "$E2E_TMP/dry.txt" || { cat "$E2E_TMP/dry.txt" >&2; fail "dry run: no $2"; }
}
expect_line "^$KB internal-hipify $RELU/relu_cuda/relu.cu $W/hip/relu_cuda/relu.hip\$" "hipify of relu.cu"
expect_line "^$KB internal-hipify $RELU/relu_cuda/relu.h $W/hip/relu_cuda/relu.h\$" "hipify of relu.h"
expect_line "^$KB internal-hipify $RELU/common/float_bits.h $W/hip/common/float_bits.h\$" "hipify of float_bits.h"
expect_line "^$FIX/rocm-6.4/lib/llvm/bin/clang\+\+ -x hip -std=c\+\+17 .*-fno-gpu-rdc --rocm-path=$FIX/rocm-6.4 --rocm-device-lib-path=$FIX/rocm-6.4/amdgcn/bitcode --hip-version=6.4.43482 --offload-arch=gfx90a -D" "HIP compile for gfx90a"
expect_line "-DUSE_ROCM=1 -DROCM_KERNEL -D__HIP_PLATFORM_AMD__=1 .*-include hip/hip_runtime.h -MD -MF $W/obj/relu_cuda/relu.cu.o.d -c $W/hip/relu_cuda/relu.hip -o $W/obj/relu_cuda/relu.cu.o\$" "HIP compile of the hipified relu.cu"
# The binding is late-bound (docs/bundle.md): no id on its command line, which a generated
# ops_id.c carries instead.
expect_line "^/.*g\+\+ .*-DUSE_ROCM=1 -DROCM_KERNEL -D__HIP_PLATFORM_AMD__=1 .*-DTORCH_EXTENSION_NAME=_relu_rocm .*torch_binding.cpp" "binding compile"
expect_line "^/.*g\+\+ .* -c $W/gen/ops_id.c -o $W/obj/gen/ops_id.c.o\$" "ops_id.c compile"
grep -- "-c $RELU/torch-ext/torch_binding.cpp " "$E2E_TMP/dry.txt" | grep -q e2e0001 &&
  fail "dry run: the binding compile carries the unique id"
expect_line "-shared (-fuse-ld=[a-z]+ )?-o $W/_relu_rocm_e2e0001.abi3.so .*$W/obj/gen/ops_id.c.o .* -lc10_hip -ltorch_hip -L$FIX/rocm-6.4/lib -lamdhip64\$" "link with the HIP libraries"
[[ $(grep -c -- '--offload-arch=' "$E2E_TMP/dry.txt") -eq 1 ]] || fail "dry run: one HIP compile expected"
grep -q -- '--offload-arch=gfx940' "$E2E_TMP/dry.txt" && fail "dry run: gfx940 is not a supported target"

# ---------------------------------------------------------------------------------------------
# Part 2: real compiles with the machine's hipcc
# ---------------------------------------------------------------------------------------------

step "the fixture Torch, re-versioned to ROCm $ROCM_MM, pairs with $ROCM_ROOT"
TORCH=$E2E_TMP/rocm-torch-$ROCM_MM
cp -a "$FIX/rocm-torch" "$TORCH"
HIP_PLAIN=${HIP_VERSION%%-*}
sed -i -e "s/^__version__ = .*/__version__ = '2.11.0+rocm$ROCM_MM'/" \
  -e "s/^hip: Optional\[str\] = .*/hip: Optional[str] = '$HIP_PLAIN'/" \
  "$TORCH/lib/python3/site-packages/torch/version.py"
VR=torch211-cxx11-rocm${ROCM_MM/./}-x86_64-linux
relu=$(copy_example relu)
ROCM_ARGS=(--torch "$TORCH" --rocm "$ROCM_ROOT")
kb_ok matrix --json "$relu" "${ROCM_ARGS[@]}"
kb_out >"$E2E_TMP/matrix-real.json"
PLANNED=$(planned_archs "$E2E_TMP/matrix-real.json" "$VR") || fail "no variant $VR: $(kb_out)"
[[ $PLANNED == gfx90a ]] || fail "relu's rocm-archs (gfx90a, gfx940) should plan gfx90a, got: $PLANNED"

# build_kernel_object DIR: kb writes build.ninja; ninja builds the relu.cu object through
# kb's hipify and HIP compile edges. Leaves ninja's output in $E2E_TMP/ninja.out.
build_kernel_object() {
  kb_ok build "$1" --generate-only "${ROCM_ARGS[@]}" --unique-id e2e0001
  OBJ=$1/build/.kb/$VR/obj/relu_cuda/relu.cu.o
  ninja -C "$1/build/.kb" "$OBJ" >"$E2E_TMP/ninja.out" 2>&1 ||
    { cat "$E2E_TMP/ninja.out" >&2; fail "ninja could not build $OBJ"; }
  [[ -f $OBJ ]] || fail "$OBJ was not built"
}

# expect_bundle OBJECT ARCHS: the object's offload bundle holds exactly ARCHS (and the host).
expect_bundle() {
  local want got
  want=$(printf '%s\n' $2 host | sort)
  got=$(offload_targets "$1")
  [[ $got == "$want" ]] || fail "offload bundle of $1: got [$(echo $got)], planned [$(echo $want)]"
  echo "offload bundle: $(echo $got)"
}

step "ninja runs kb's hipify and HIP compile of relu.cu for the planned targets ($PLANNED)"
build_kernel_object "$relu"
HIPIFIED=$relu/build/.kb/$VR/hip/relu_cuda/relu.hip
grep -q "^#line 1 \"$relu/relu_cuda/relu.cu\"\$" "$HIPIFIED" || fail "$HIPIFIED lacks its #line"
grep -q '#include <hip/hip_runtime.h>' "$HIPIFIED" || fail "cuda_runtime.h was not translated"
for h in relu_cuda/relu.h common/float_bits.h; do
  [[ -f $relu/build/.kb/$VR/hip/$h ]] || fail "$h was not hipified"
done
expect_bundle "$OBJ" "$PLANNED"

step "the object links against the HIP runtime with no undefined symbol"
LINK_DIR=()
[[ $ROCM_ROOT == /usr ]] || LINK_DIR=(-L"$ROCM_ROOT/lib")
g++ -shared -o "$E2E_TMP/librelu_hip.so" "$OBJ" "${LINK_DIR[@]}" -lamdhip64 -Wl,--no-undefined ||
  fail "linking $OBJ with -lamdhip64 failed"
readelf -d "$E2E_TMP/librelu_hip.so" | grep 'NEEDED.*libamdhip64' || fail "libamdhip64 is not NEEDED"

step "incremental: a touched source re-runs hipify only (restat); a changed header recompiles"
ninja -C "$relu/build/.kb" "$OBJ" | grep -q 'no work to do' || fail "a second ninja run is not a no-op"
touch "$relu/relu_cuda/relu.cu"
ninja -C "$relu/build/.kb" -v "$OBJ" >"$E2E_TMP/ninja2.out" 2>&1 || fail "ninja after touch failed"
grep -q 'internal-hipify' "$E2E_TMP/ninja2.out" || fail "touching relu.cu did not re-run its hipify"
grep -q -- '-x hip' "$E2E_TMP/ninja2.out" && { cat "$E2E_TMP/ninja2.out" >&2; fail "an unchanged translation recompiled"; }
echo "// a comment" >>"$relu/common/float_bits.h"
ninja -C "$relu/build/.kb" -v "$OBJ" >"$E2E_TMP/ninja3.out" 2>&1 || fail "ninja after a header change failed"
grep -q -- '-x hip' "$E2E_TMP/ninja3.out" || { cat "$E2E_TMP/ninja3.out" >&2; fail "a changed header did not recompile"; }

step "without rocm-archs: every reference target the compiler builds, the others noted"
relu_all=$E2E_TMP/relu-all
mkdir -p "$relu_all"
tar -C "$RELU" --exclude=./build --exclude=__pycache__ -cf - . | tar -C "$relu_all" -xf -
git_commit "$relu_all" "import relu"
sed -i '/^rocm-archs = /d' "$relu_all/build.toml"
kb_ok matrix --json "$relu_all" "${ROCM_ARGS[@]}"
kb_out >"$E2E_TMP/matrix-all.json"
PLANNED_ALL=$(planned_archs "$E2E_TMP/matrix-all.json" "$VR")
if [[ $ROCM_MM == 5.2 ]]; then
  [[ $(echo $PLANNED_ALL) == "gfx1030 gfx906 gfx908 gfx90a" ]] ||
    fail "Debian's clang 15 should plan gfx906 gfx908 gfx90a gfx1030, got: $(echo $PLANNED_ALL)"
  kb_ok matrix --all "$relu_all" "${ROCM_ARGS[@]}"
  kb_out | grep -q "note: \[kernel.relu_rocm\] gfx942: not supported by the HIP compiler ($HIP_CLANG of ROCm 5.2" ||
    { kb_out >&2; fail "the gfx942 note does not name the compiler"; }
fi
build_kernel_object "$relu_all"
expect_bundle "$OBJ" "$PLANNED_ALL"

if [[ $ROCM_MM == 5.2 ]]; then
  step "rocm-archs = [\"gfx942\"] on clang 15: an error naming the section and the compiler"
  sed -i 's/^\[kernel.relu_rocm\]$/&\nrocm-archs = ["gfx942"]/' "$relu_all/build.toml"
  if run_kb matrix "$relu_all" "${ROCM_ARGS[@]}"; then fail "kb matrix accepted gfx942 with clang 15"; fi
  kb_out | grep -q "ROCm kernel relu_rocm: empty set of architectures" || { kb_out >&2; fail "no section in the error"; }
  kb_out | grep -q "$HIP_CLANG of ROCm 5.2" || { kb_out >&2; fail "the error does not name the compiler"; }
fi

echo "rocm: ok"
