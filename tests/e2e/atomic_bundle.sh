#!/bin/bash
# A failed build leaves the previous bundles intact and loadable, and no half-written
# bundle directory behind; fixing the error builds again.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_nvcc
require_torch_venvs

relu=$(copy_example relu)
cpu=torch211-cxx11-cpu-x86_64-linux
cuda=torch211-cxx11-cu130-x86_64-linux
variants=(--variant "$cpu" --variant "$cuda")

# only_bundles: build/ holds exactly the two variant directories (plus kb's hidden .kb/),
# each complete.
only_bundles() {
  local got
  got=$(find "$relu/build" -mindepth 1 -maxdepth 1 -type d ! -name .kb -printf '%f\n' | sort | tr '\n' ' ')
  [[ $got == "$cpu $cuda " ]] || fail "build/ holds [$got], expected [$cpu $cuda ] (a half-written bundle?)"
  local v
  for v in $cpu $cuda; do
    for f in __init__.py _ops.py metadata.json; do
      [[ -f $relu/build/$v/$f ]] || fail "$v lacks $f"
    done
    [[ $(find "$relu/build/$v" -maxdepth 1 -name '*.abi3.so' | wc -l) -eq 1 ]] || fail "$v: not one .so"
  done
}

step "a good build"
kb_ok build "$relu" "${variants[@]}"
only_bundles
good_cuda=$(tree_digest "$relu/build/$cuda")
good_cpu=$(tree_digest "$relu/build/$cpu")

step "a syntax error in relu_cuda/relu.cu makes kb build fail"
cp "$relu/relu_cuda/relu.cu" "$E2E_TMP/relu.cu.good"
printf '\nthis is not C++ at all\n' >>"$relu/relu_cuda/relu.cu"
if run_kb build "$relu" "${variants[@]}"; then
  kb_out >&2
  fail "kb build succeeded with a broken relu.cu"
fi
kb_out | grep -q 'relu.cu' || {
  kb_out >&2
  fail "kb's failure output does not name relu.cu"
}

step "the previous CUDA bundle is untouched and nothing half-written remains"
[[ $(tree_digest "$relu/build/$cuda") == "$good_cuda" ]] || {
  diff <(echo "$good_cuda") <(tree_digest "$relu/build/$cuda") >&2 || true
  fail "the failed build changed build/$cuda"
}
only_bundles
# The CPU bundle does not use relu.cu: it is either the previous one or a complete new one.
if [[ $(tree_digest "$relu/build/$cpu") != "$good_cpu" ]]; then
  echo "(the CPU bundle was rebuilt with the dirty tree's id)"
fi

step "both bundles still load, and the CPU one still computes"
load_bundle "$TORCH_211" "$relu/build/$cuda" relu scaled_relu
load_bundle "$TORCH_211" "$relu/build/$cpu" relu scaled_relu
"$TORCH_211/bin/python" - "$relu/build/$cpu" <<'EOF' || fail "the CPU bundle does not compute relu"
import sys
from pathlib import Path
import kernels, torch
relu = kernels.get_local_kernel(Path(sys.argv[1]))
x = torch.tensor([-2.0, -0.5, 0.0, 1.5])
assert torch.equal(relu.relu(x), torch.relu(x))
EOF

step "an interrupted build leaves the bundles complete"
# a fresh build that is killed while nvcc runs (the uid is unchanged: the tree is clean)
cp "$E2E_TMP/relu.cu.good" "$relu/relu_cuda/relu.cu"
touch "$relu/relu_cuda/relu.cu"
# kb runs in its own process group, which gets the SIGINT a terminal's Ctrl-C would send
setsid "$KB" build "$relu" "${variants[@]}" >"$E2E_TMP/interrupted.log" 2>&1 &
kb_pid=$!
when="before nvcc started"
for _ in $(seq 1 200); do # wait (up to 20 s) for nvcc to start on relu.cu
  if pgrep -f "$relu/relu_cuda/relu.cu" >/dev/null 2>&1; then
    when="while nvcc compiled relu.cu"
    break
  fi
  sleep 0.1
done
kill -INT -- "-$kb_pid" 2>/dev/null || when="after kb had finished"
echo "(interrupted $when)"
wait "$kb_pid" 2>/dev/null || true
for _ in $(seq 1 100); do # and for the group to be gone
  pgrep -g "$kb_pid" >/dev/null 2>&1 || break
  sleep 0.1
done
only_bundles

step "after fixing the source, kb builds again"
kb_ok build "$relu" "${variants[@]}"
only_bundles
load_bundle "$TORCH_211" "$relu/build/$cuda" relu scaled_relu

echo "atomic_bundle: OK"
