#!/bin/bash
# kb test and kb develop (native backend) on a copy of examples/relu, with the real Torch
# venvs and the real kernels package: kb builds, then runs the example's own tests once per
# Torch with LOCAL_KERNELS, PYTHONPATH, KB_KERNEL_BUILD and KB_VARIANT set; a failing test
# makes kb test fail; kb develop runs a command in the same environment.
#
# Only the CPU variants are built, to keep this quick (two binding TUs): build_examples.sh
# covers the CUDA builds. Both Torch wheels are CUDA builds, so the loader's own backend is
# cuda and kb must fall back to the CPU bundle, which the example's tests load explicitly.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_torch_venvs
command -v git >/dev/null || skip "git not found"

arch=$(uname -m)
CPU211=torch211-cxx11-cpu-$arch-linux
CPU214=torch214-cxx11-cpu-$arch-linux
ONLY_CPU=(--variant "$CPU211" --variant "$CPU214")

relu=$(copy_example relu)
build=$relu/build

# A test of the environment kb test promises (untracked: it does not change the unique id).
cat >"$relu/tests/test_kb_environment.py" <<'EOF'
import os
import sys
from pathlib import Path


def test_kb_test_environment():
    build = Path(os.environ["KB_KERNEL_BUILD"])
    variant = os.environ["KB_VARIANT"]
    assert os.environ["LOCAL_KERNELS"].split(":")[0] == f"kb-examples/relu={build}"
    shim = build / ".kb" / "import" / variant
    assert os.environ["PYTHONPATH"].split(":")[:2] == [str(shim), str(build / variant)]
    assert str(build / variant) in sys.path
    assert (build / variant / "metadata.json").is_file()
    # The package is importable by name, and is the bundle: its ops run.
    import relu
    import torch
    assert relu.__path__ == [str(build / variant)], relu.__path__
    x = torch.tensor([-1.0, 2.0])
    assert relu.relu(x).tolist() == [0.0, 2.0]
    assert relu.ops is getattr(torch.ops, relu.ops.name)
    print(f"KB-ENV {sys.executable} {variant}")
EOF

step "kb test builds the CPU variants and runs the relu tests with both Torch venvs"
kb_ok test "$relu" "${ONLY_CPU[@]}" -- -v -s
kb_out | grep -qF "kb: testing kb-examples/relu with $TORCH_211/bin/python (torch 2.11" ||
  { kb_out >&2; fail "no line for Torch 2.11"; }
kb_out | grep -qF "KB-ENV $TORCH_211/bin/python $CPU211" || { kb_out >&2; fail "Torch 2.11 did not test $CPU211"; }
kb_out | grep -qF "KB-ENV $TORCH_214/bin/python $CPU214" || { kb_out >&2; fail "Torch 2.14 did not test $CPU214"; }
[[ $(kb_out | grep -c 'test_relu.py::test_cpu.* PASSED') -ge 2 ]] ||
  { kb_out >&2; fail "the relu CPU tests did not pass under both Torch versions"; }
kb_out | grep -q "tests passed with 2 Torch install(s)" || { kb_out >&2; fail "no summary line"; }
[[ -f $build/$CPU211/metadata.json && -f $build/$CPU214/metadata.json ]] || fail "kb test did not build the bundles"

step "--torch limits the run to that Torch"
kb_ok test "$relu" --variant "$CPU211" --torch "$TORCH_211"
kb_out | grep -q "tests passed with 1 Torch install(s)" || { kb_out >&2; fail "--torch did not limit the run to one Torch"; }
kb_out | grep -qF "$TORCH_214" && { kb_out >&2; fail "Torch 2.14 was used despite --torch"; }

step "a failing test makes kb test exit non-zero"
printf 'def test_fails():\n    assert 1 == 2\n' >"$relu/tests/test_fails.py"
if run_kb test "$relu" --variant "$CPU214" --torch "$TORCH_214"; then
  kb_out >&2
  fail "kb test succeeded with a failing test"
fi
kb_out | grep -q "exited 1: some tests failed" || { kb_out >&2; fail "the failure is not reported"; }
rm "$relu/tests/test_fails.py"

step "no test selected: pytest's exit 5, said plainly"
rc=0
run_kb test "$relu" --variant "$CPU211" --torch "$TORCH_211" -- -k no_such_test || rc=$?
[[ $rc == 5 ]] || { kb_out >&2; fail "kb test exited $rc, expected 5"; }
kb_out | grep -q "no tests were collected" || { kb_out >&2; fail "exit 5 not explained"; }

step "no tests/ directory: an error with the fix, before any build"
mv "$relu/tests" "$relu/tests.off"
if run_kb test "$relu" "${ONLY_CPU[@]}"; then fail "kb test succeeded without tests/"; fi
kb_out | grep -qF "no tests/ directory in $relu" || { kb_out >&2; fail "no message for the missing tests/"; }
kb_out | grep -qF 'kernels.get_kernel("kb-examples/relu", version=1)' || { kb_out >&2; fail "no fix offered"; }
mv "$relu/tests.off" "$relu/tests"

step "kb develop -- CMD runs the command in the test environment"
kb_ok develop "$relu" --torch "$TORCH_214" -- python -c \
  'import os, sys; print("LK=" + os.environ["LOCAL_KERNELS"]); print("V=" + os.environ["KB_VARIANT"]); print("VE=" + os.environ["VIRTUAL_ENV"]); print("PY=" + sys.prefix)'
kb_out | grep -qx "LK=kb-examples/relu=$build" || { kb_out >&2; fail "LOCAL_KERNELS not set by kb develop"; }
kb_out | grep -qx "V=$CPU214" || { kb_out >&2; fail "KB_VARIANT is not $CPU214"; }
kb_out | grep -qx "VE=$TORCH_214" || { kb_out >&2; fail "VIRTUAL_ENV is not the Torch 2.14 venv"; }
kb_out | grep -qx "PY=$TORCH_214" || { kb_out >&2; fail "'python' is not the venv's interpreter"; }
kb_out | grep -q "kb: develop: torch 2.14" || { kb_out >&2; fail "kb develop did not say what it set"; }

step "kb develop passes the command's exit status on"
rc=0
run_kb develop "$relu" --torch "$TORCH_211" -- sh -c 'exit 3' || rc=$?
[[ $rc == 3 ]] || { kb_out >&2; fail "kb develop exited $rc, expected 3"; }

echo "test_command: OK"
