#!/bin/bash
# kb matrix lists exactly the variants this machine can build, and with --all why the others
# (ROCm: no ROCm Torch here) cannot be built.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_nvcc
require_torch_venvs

relu=$(copy_example relu)
fused=$(copy_example fused-ops)

# names OUTPUT_FILE: the variant names in kb's text output, sorted.
names() {
  grep -oE '(^|[[:space:]])torch(-stable-abi)?[0-9]+(-cxx11)?-[a-z0-9]+-x86_64-linux' "$1" |
    sed 's/^[[:space:]]*//' | sort -u || true
}

expect_variants() {  # DIR EXPECTED...
  local dir=$1
  shift
  kb_ok matrix "$dir"
  kb_out >"$E2E_TMP/matrix.txt"
  local want got
  want=$(printf '%s\n' "$@" | sort)
  got=$(names "$E2E_TMP/matrix.txt")
  [[ $got == "$want" ]] || {
    cat "$E2E_TMP/matrix.txt" >&2
    fail "kb matrix $(basename "$dir") listed [${got//$'\n'/ }], expected [${want//$'\n'/ }]"
  }
  if grep -q 'rejected:' "$E2E_TMP/matrix.txt"; then
    fail "kb matrix without --all lists rejected combinations"
  fi
}

step "kb matrix examples/relu (Torch 2.11, 2.13 and 2.14, CUDA 13.0)"
expect_variants "$relu" \
  torch211-cxx11-cpu-x86_64-linux torch211-cxx11-cu130-x86_64-linux \
  torch213-cxx11-cpu-x86_64-linux torch213-cxx11-cu130-x86_64-linux \
  torch214-cxx11-cpu-x86_64-linux torch214-cxx11-cu130-x86_64-linux

step "kb matrix examples/fused-ops (stable ABI 2.11: one variant per backend, newest Torch)"
expect_variants "$fused" \
  torch-stable-abi211-cpu-x86_64-linux torch-stable-abi211-cu130-x86_64-linux

step "kb matrix --all gives a reason for each ROCm rejection"
kb_ok matrix --all "$relu"
kb_out >"$E2E_TMP/all.txt"
grep -i 'rocm' "$E2E_TMP/all.txt" | grep -qi 'rejected' || {
  cat "$E2E_TMP/all.txt" >&2
  fail "kb matrix --all does not list the rejected ROCm combinations"
}
grep -q '^  torch213-cxx11-cu130-aarch64-linux: the reference builds it on aarch64-linux' "$E2E_TMP/all.txt" ||
  fail "kb matrix --all does not name the reference build sets this machine cannot produce"
sed -i '/^reference build sets this machine cannot produce:/,$d' "$E2E_TMP/all.txt"
[[ $(names "$E2E_TMP/all.txt" | grep -c -- '-cu130-\|-cpu-') -eq 6 ]] ||
  fail "kb matrix --all lost buildable variants"

step "kb matrix --json parses and agrees with the text output"
kb_ok matrix --json "$relu"
kb_out >"$E2E_TMP/matrix.json"
kb_ok matrix --json --all "$relu"
kb_out >"$E2E_TMP/matrix-all.json"
"$TORCH_211/bin/python" - "$E2E_TMP/matrix.json" "$E2E_TMP/matrix-all.json" <<'EOF' ||
import json, sys
plain = json.load(open(sys.argv[1]))
full = json.load(open(sys.argv[2]))
names = sorted(v["name"] for v in plain["variants"])
assert names == [
    "torch211-cxx11-cpu-x86_64-linux", "torch211-cxx11-cu130-x86_64-linux",
    "torch213-cxx11-cpu-x86_64-linux", "torch213-cxx11-cu130-x86_64-linux",
    "torch214-cxx11-cpu-x86_64-linux", "torch214-cxx11-cu130-x86_64-linux",
], names
assert sorted(v["name"] for v in full["variants"]) == names
for v in plain["variants"]:
    backend = "cpu" if "-cpu-" in v["name"] else "cuda"
    assert v["backend"] == backend, v
    archs = v.get("metadata_archs") or []
    assert (backend == "cuda") == bool(archs), ("archs", v["name"], archs)
    assert archs == sorted(set(archs)), ("metadata archs sorted and unique", archs)
assert not plain.get("rejected"), "rejected variants without --all"
rejected = full.get("rejected") or []
rocm = [r for r in rejected if "rocm" in (r["name"] + " " + r["reason"]).lower()]
assert rocm, f"no ROCm rejection in {rejected}"
assert all(r["reason"].strip() for r in rejected), rejected
print("json ok:", names, "| rejected:", [r["name"] for r in rejected])
EOF
  fail "kb matrix --json output is not as expected"

kb_ok matrix --json "$fused"
kb_out >"$E2E_TMP/fused.json"
"$TORCH_211/bin/python" - "$E2E_TMP/fused.json" <<'EOF' || fail "fused-ops section archs are not as expected"
import json, sys
variants = {v["name"]: v for v in json.load(open(sys.argv[1]))["variants"]}
cuda = variants["torch-stable-abi211-cu130-x86_64-linux"]
sections = {s["name"]: s["archs"] for s in cuda["sections"]}
assert set(sections) == {"activation", "norm"}, sections
# cuda-capabilities = ["8.0", "9.0"] loosely intersected with CUDA 13's supported archs
assert sections["norm"] == ["8.0", "9.0"], sections["norm"]
cpu = variants["torch-stable-abi211-cpu-x86_64-linux"]
assert [s["name"] for s in cpu["sections"]] == ["fused_cpu"], cpu["sections"]
print("sections ok:", sections)
EOF

step "check-config, matrix and build agree on capabilities; a v4 file is no news to them"
caps=$E2E_TMP/caps
cp -r "$relu" "$caps"
line=$(grep -n '^src = \["relu_cuda/relu.cu"' "$caps/build.toml" | head -1 | cut -d: -f1)
# A real kernel's list: 10.1 and 11.8 match no CUDA 13 target nvcc builds, 8.0 and 12.0 do.
sed -i "${line}a cuda-capabilities = [\"8.0\", \"10.1\", \"11.8\", \"12.0\"]" "$caps/build.toml"
sed -i '/^edition = 5$/d' "$caps/build.toml"
kb_ok check-config "$caps"
kb_ok matrix "$caps"
if kb_out | grep -q 'pre-edition\|warning'; then kb_out >&2; fail "kb matrix talks about the v4 file"; fi
kb_ok build "$caps" --dry-run --variant torch211-cxx11-cu130-x86_64-linux
if kb_out | grep -q 'pre-edition\|warning'; then kb_out >&2; fail "kb build talks about the v4 file"; fi
kb_out | grep -q -- 'arch=compute_80,code=sm_80' || { kb_out >&2; fail "no sm_80 in the relu.cu compile"; }
kb_out | grep -q -- 'arch=compute_120,code=sm_120' || { kb_out >&2; fail "no sm_120 in the relu.cu compile"; }
if kb_out | grep -q -- 'compute_101\|compute_118'; then kb_out >&2; fail "a capability nvcc cannot build reached nvcc"; fi

echo "matrix: OK"
