#!/bin/bash
# kb build --backend=nix with a real Nix, offline, against kb's stand-in for the kernel-builder
# flake (tests/data/fake-kernel-builder): the three routes end in build/<variant>/ files, and
# the pre-flight stops the known traps before Nix runs, each with its message.
#
# The stand-in compiles nothing (see docs/nix-backend.md): this checks kb's side of the
# contract (refs, expressions, the copy into build/, the checks), not kernel-builder's builds.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v nix >/dev/null 2>&1 || skip "nix not found on PATH (apt-get install nix-bin nix-setup-systemd)"
command -v git >/dev/null 2>&1 || skip "git not found on PATH"

FAKE=$KB_SOURCE_ROOT/tests/data/fake-kernel-builder
[[ -f $FAKE/flake.nix ]] || fail "no fake kernel-builder at $FAKE"

# Offline: no substituters (else every new path waits ~5 s on cache.nixos.org), flakes on for
# the nix calls this script makes itself (kb passes its own flags).
base_config=$'substituters =\nexperimental-features = nix-command flakes'
sandboxed_config=$base_config$'\nsandbox = true\nsandbox-paths = /bin /lib /lib64 /usr'

# Use the sandbox when this machine supports it (user and mount namespaces); otherwise build
# unsandboxed, which kb only accepts with --allow-unsandboxed.
probe_expr="derivation { name = \"kb-e2e-probe\"; system = builtins.currentSystem; builder = \"/bin/sh\"; nonce = \"$$-$RANDOM\"; args = [ \"-c\" \"echo ok > \$out\" ]; }"
ALLOW=()
if NIX_CONFIG=$sandboxed_config nix build --impure --no-link --expr "$probe_expr" >"$E2E_TMP/probe.log" 2>&1; then
  export NIX_CONFIG=$sandboxed_config
elif NIX_CONFIG=$base_config$'\nsandbox = false' nix build --impure --no-link --expr "${probe_expr/-probe/-probe2}" >>"$E2E_TMP/probe.log" 2>&1; then
  echo "(the Nix sandbox does not work here; building with --allow-unsandboxed)"
  export NIX_CONFIG=$base_config$'\nsandbox = false'
  ALLOW=(--allow-unsandboxed)
else
  cat "$E2E_TMP/probe.log" >&2
  skip "nix cannot build a trivial derivation on this machine (see the log above)"
fi

# make_kernel DIR: a small CPU+CUDA kernel (the stand-in needs only build.toml and
# torch-ext/<mod>/__init__.py; kb checks that every src file exists).
make_kernel() {
  local d=$1
  mkdir -p "$d/torch-ext/relu_nix" "$d/relu_cpu" "$d/relu_cuda" "$d/benchmarks"
  cat >"$d/build.toml" <<'EOF'
[general]
name = "relu-nix"
version = 2
edition = 5
license = "Apache-2.0"
backends = ["cpu", "cuda"]

[torch]
src = ["torch-ext/torch_binding.cpp"]

[kernel.relu_cpu]
backend = "cpu"
depends = ["torch"]
src = ["relu_cpu/relu.cpp"]

[kernel.relu_cuda]
backend = "cuda"
depends = ["torch"]
src = ["relu_cuda/relu.cu"]
EOF
  echo '// binding' >"$d/torch-ext/torch_binding.cpp"
  echo '// cpu' >"$d/relu_cpu/relu.cpp"
  echo '// cuda' >"$d/relu_cuda/relu.cu"
  echo 'from ._ops import ops' >"$d/torch-ext/relu_nix/__init__.py"
  echo '# relu-nix' >"$d/CARD.md"
  echo 'print("bench")' >"$d/benchmarks/benchmark.py"
  echo 'build/' >"$d/.gitignore"
}

CPU=torch211-cxx11-cpu-$(uname -m)-linux
CUDA=torch211-cxx11-cu130-$(uname -m)-linux

# check_bundle KERNEL_DIR VARIANT ID: build/VARIANT holds the stand-in's files, as plain
# writable files (not links into the store), and metadata.json names ID.
check_bundle() {
  local d=$1 v=$2 id=$3 f
  for f in __init__.py _ops.py metadata.json; do
    [[ -f $d/build/$v/$f && ! -L $d/build/$v/$f ]] || fail "$d/build/$v/$f missing or a link"
    [[ $(stat -c %a "$d/build/$v/$f") == 644 ]] || fail "$d/build/$v/$f is not mode 644: $(stat -c %a "$d/build/$v/$f")"
  done
  grep -q "\"id\":\"$id\"" "$d/build/$v/metadata.json" ||
    fail "$v/metadata.json does not name $id: $(cat "$d/build/$v/metadata.json")"
  cmp -s "$d/torch-ext/relu_nix/__init__.py" "$d/build/$v/__init__.py" || fail "$v/__init__.py differs from the source"
}

# expect_failure WHAT TEXT ARGS...: kb ARGS must fail, and its output must contain TEXT.
expect_failure() {
  local what=$1 text=$2
  shift 2
  if run_kb "$@"; then
    kb_out >&2
    fail "$what: kb $* succeeded"
  fi
  kb_out | grep -qF -- "$text" || {
    kb_out >&2
    fail "$what: kb's output lacks '$text'"
  }
}

step "flake route: a kernel whose flake.nix takes kernel-builder from the stand-in, locked and committed"
k1=$E2E_TMP/flake-kernel
make_kernel "$k1"
sed "s|github:huggingface/kernels|path:$FAKE|" <<'EOF' >"$k1/flake.nix"
{
  inputs.kernel-builder.url = "github:huggingface/kernels";
  outputs = { self, kernel-builder, ... }:
    kernel-builder.lib.genKernelFlakeOutputs {
      inherit self;
      path = ./.;
    };
}
EOF
git_commit "$k1" "kernel with flake.nix"
nix flake lock "git+file://$k1" >"$E2E_TMP/lock.log" 2>&1 || { cat "$E2E_TMP/lock.log" >&2; fail "nix flake lock failed"; }
git_commit "$k1" "lock kernel-builder"
rev1=$(git -C "$k1" rev-parse --short=7 HEAD)
kb_ok build "$k1" --backend=nix "${ALLOW[@]}"
[[ $(variants_in "$k1/build" | tr '\n' ' ') == "benchmarks $CPU $CUDA " ]] ||
  fail "build/ holds [$(variants_in "$k1/build" | tr '\n' ' ')]"
check_bundle "$k1" "$CPU" "_relu_nix_cpu_$rev1"
check_bundle "$k1" "$CUDA" "_relu_nix_cuda_$rev1"
cmp -s "$k1/CARD.md" "$k1/build/CARD.md" || fail "build/CARD.md missing or different"
[[ -f $k1/build/benchmarks/benchmark.py ]] || fail "build/benchmarks/benchmark.py missing"
[[ -L $k1/build/.kb/nix-result ]] || fail "no GC root at build/.kb/nix-result"
grep -q '"commit":"'"$(git -C "$k1" rev-parse HEAD)"'","dirty":false' "$k1/build/$CPU/metadata.json" ||
  fail "provenance does not name the clean HEAD commit"
[[ -z $(git -C "$k1" status --porcelain) ]] || fail "kb build changed the kernel's git tree: $(git -C "$k1" status --porcelain)"

step "a second build replaces the variant directories; native-only options get a note"
echo stale >"$k1/build/$CPU/stale.py"
kb_ok build "$k1" --backend=nix "${ALLOW[@]}" --linker=lld --launcher ccache
[[ ! -e $k1/build/$CPU/stale.py ]] || fail "the old $CPU directory was not replaced"
grep -q "note: --launcher, --linker only shape the native build; the Nix build ignores them" \
  "$E2E_TMP/kb.out" || fail "no note for --launcher/--linker under --backend=nix: $(kb_out)"

step "flake route with --variant: only that variant, checked against the flake's list"
rm -rf "$k1/build"
kb_ok build "$k1" --backend=nix "${ALLOW[@]}" --variant "$CUDA"
[[ $(variants_in "$k1/build" | tr '\n' ' ') == "$CUDA " ]] || fail "build/ holds [$(variants_in "$k1/build" | tr '\n' ' ')]"
check_bundle "$k1" "$CUDA" "_relu_nix_cuda_$rev1"
expect_failure "unknown variant" "did you mean '$CUDA'" build "$k1" --backend=nix "${ALLOW[@]}" --variant "${CUDA%?}"

step "kb matrix --backend=nix lists the flake's variants"
kb_ok matrix "$k1" --backend=nix
[[ $(kb_out | grep -E '^torch' | tr '\n' ' ') == "$CPU $CUDA " ]] || { kb_out >&2; fail "kb matrix --backend=nix did not list $CPU $CUDA"; }

# kb test / kb develop --backend=nix need a python3 with pytest on PATH: the stand-in, unlike
# kernel-builder, brings no Python of its own.
PYTEST_BIN=''
for venv in ${KB_TORCH:+${KB_TORCH//:/ }} "${KB_DEPS:-$HOME/.cache/kb-deps}"/torch-2.1{1,2}; do
  if [[ -x $venv/bin/python3 ]] && "$venv/bin/python3" -c 'import pytest' 2>/dev/null; then
    PYTEST_BIN=$venv/bin
    break
  fi
done

step "kb develop --backend=nix: the flake's default and per-variant dev shells"
kb_ok develop "$k1" --backend=nix "${ALLOW[@]}" -- sh -c 'echo "SHELL-OF=$KB_STANDIN_SHELL"'
kb_out | grep -qx "SHELL-OF=devShells.$CUDA" || { kb_out >&2; fail "the default dev shell is not the CUDA variant's"; }
kb_ok develop "$k1" --backend=nix "${ALLOW[@]}" --variant "$CPU" -- sh -c 'echo "LK=$LOCAL_KERNELS"; echo "AT=$(pwd)"'
kb_out | grep -qx "LK=kernels-community/relu-nix=$k1/build" || { kb_out >&2; fail "the dev shell's LOCAL_KERNELS is not <repo-id>=<kernel>/build"; }
kb_out | grep -qx "AT=$k1" || { kb_out >&2; fail "kb develop did not run in the kernel directory"; }
expect_failure "unknown shell" "did you mean '$CPU'" develop "$k1" --backend=nix "${ALLOW[@]}" --variant "${CPU%?}" -- true
rc=0
run_kb develop "$k1" --backend=nix "${ALLOW[@]}" -- sh -c 'exit 4' || rc=$?
[[ $rc == 4 ]] || { kb_out >&2; fail "kb develop --backend=nix exited $rc, expected the command's 4"; }

if [[ -z $PYTEST_BIN ]]; then
  echo "(no python3 with pytest in the Torch venvs: skipping kb test --backend=nix)"
else
  step "kb test --backend=nix: the flake's ci-test, then pytest in a test shell"
  mkdir -p "$k1/tests"
  cat >"$k1/tests/conftest.py" <<'EOF'
def pytest_configure(config):
    config.addinivalue_line("markers", "kernels_ci: run by the flake's ci-test")
EOF
  cat >"$k1/tests/test_env.py" <<'EOF'
import os
import pytest

@pytest.mark.kernels_ci
def test_environment():
    repo, _, ext = os.environ["LOCAL_KERNELS"].partition("=")
    assert repo == "kernels-community/relu-nix"
    variant_dir = os.environ["PYTHONPATH"].split(":")[0]
    assert variant_dir.startswith(ext + "/")
    assert os.path.isfile(os.path.join(variant_dir, "metadata.json"))
    print("KB-NIX-TEST " + os.path.basename(variant_dir))
EOF
  git_commit "$k1" "tests"
  PATH=$PYTEST_BIN:$PATH kb_ok test "$k1" --backend=nix "${ALLOW[@]}"
  kb_out | grep -q "1 passed" || { kb_out >&2; fail "ci-test did not run the kernels_ci test"; }
  [[ -x $k1/build/.kb/nix-ci-test ]] || fail "no ci-test result at build/.kb/nix-ci-test"
  PATH=$PYTEST_BIN:$PATH kb_ok test "$k1" --backend=nix "${ALLOW[@]}" --variant "$CPU" -- -s
  kb_out | grep -q "KB-NIX-TEST $CPU" || { kb_out >&2; fail "the test shell of $CPU did not run the test with its variant"; }
  expect_failure "pytest args without a variant" "takes no arguments" test "$k1" --backend=nix "${ALLOW[@]}" -- -x
  printf 'def test_fails():\n    assert False\n' >"$k1/tests/test_fails.py"
  git_commit "$k1" "a failing test"
  rc=0
  PATH=$PYTEST_BIN:$PATH run_kb test "$k1" --backend=nix "${ALLOW[@]}" --variant "$CPU" || rc=$?
  [[ $rc == 1 ]] || { kb_out >&2; fail "kb test --backend=nix exited $rc with a failing test, expected 1"; }
  git -C "$k1" rm -q tests/test_fails.py
  git_commit "$k1" "drop the failing test"
fi

step "--kernel-builder on a kernel with the canonical flake.nix (input github:...) builds offline"
k2=$E2E_TMP/canonical-kernel
make_kernel "$k2"
run_kb init-flake "$k2" || cat >"$k2/flake.nix" <<'EOF'
{
  inputs.kernel-builder.url = "github:huggingface/kernels";
  outputs = { self, kernel-builder, ... }:
    kernel-builder.lib.genKernelFlakeOutputs { inherit self; path = ./.; };
}
EOF
grep -q 'github:huggingface/kernels' "$k2/flake.nix" || fail "flake.nix does not take github:huggingface/kernels"
git_commit "$k2" "kernel with the canonical flake.nix"
rev2=$(git -C "$k2" rev-parse --short=7 HEAD)
kb_ok build "$k2" --backend=nix "${ALLOW[@]}" --kernel-builder "$FAKE"
check_bundle "$k2" "$CPU" "_relu_nix_cpu_$rev2"

step "expression route: a kernel without flake.nix, outside git (id from a hash of the sources)"
k3=$E2E_TMP/plain-kernel
make_kernel "$k3"
kb_ok build "$k3" --backend=nix "${ALLOW[@]}" --kernel-builder "$FAKE"
kb_out | grep -q "no flake.nix" || { kb_out >&2; fail "kb did not say that it builds without flake.nix"; }
id3=$(sed -n 's/.*"id":"\(_relu_nix_cpu_src[a-z2-7]*\)".*/\1/p' "$k3/build/$CPU/metadata.json")
[[ -n $id3 ]] || fail "the expression route's id is not a content id: $(cat "$k3/build/$CPU/metadata.json")"
check_bundle "$k3" "$CPU" "$id3"

step "expression route in a dirty git checkout: the id is marked dirty"
git_commit "$k3" "no flake"
echo '// edited' >>"$k3/relu_cpu/relu.cpp"
kb_ok build "$k3" --backend=nix "${ALLOW[@]}" --kernel-builder "$FAKE" --variant "$CPU"
check_bundle "$k3" "$CPU" "_relu_nix_cpu_$(git -C "$k3" rev-parse --short=7 HEAD)_dirty"
kb_out | grep -q "uncommitted changes" || { kb_out >&2; fail "kb did not report the dirty tree"; }

step "kb develop --backend=nix on the expression route: the shells of the impure expression"
kb_ok develop "$k3" --backend=nix "${ALLOW[@]}" --kernel-builder "$FAKE" --variant "$CPU" -- sh -c 'echo "SHELL-OF=$KB_STANDIN_SHELL"'
kb_out | grep -qx "SHELL-OF=devShells.$CPU" || { kb_out >&2; fail "the expression route did not enter devShells.$CPU"; }

step "pre-flight: nix missing from PATH"
nonix=$E2E_TMP/bin-without-nix
mkdir -p "$nonix"
for tool in git cat grep; do ln -s "$(command -v $tool)" "$nonix/$tool"; done
PATH=$nonix expect_failure "nix missing" "nix not found" build "$k1" --backend=nix
kb_out | grep -qF "install it (apt-get install nix-bin) or use the native backend (default)" ||
  { kb_out >&2; fail "the missing-nix error lacks its fix"; }

step "pre-flight: sandbox = false in the Nix configuration"
NIX_CONFIG=$base_config$'\nsandbox = false' expect_failure "sandbox off" \
  "the Nix sandbox is off (sandbox = false)" build "$k1" --backend=nix
kb_out | grep -qF 'set `sandbox = true` in NIX_CONFIG' || { kb_out >&2; fail "the sandbox error does not name NIX_CONFIG"; }
kb_out | grep -qF -- "--allow-unsandboxed" || { kb_out >&2; fail "the sandbox error does not offer --allow-unsandboxed"; }

step "pre-flight: a source file named in build.toml but not tracked by git"
git -C "$k1" rm -q --cached relu_cpu/relu.cpp
expect_failure "untracked source" "'relu_cpu/relu.cpp' is not tracked by git" build "$k1" --backend=nix "${ALLOW[@]}"
kb_out | grep -qF "git add relu_cpu/relu.cpp" || { kb_out >&2; fail "the untracked-file error lacks its fix"; }
git -C "$k1" add relu_cpu/relu.cpp

step "pre-flight: flake.nix calling the renamed genFlakeOutputs"
k4=$E2E_TMP/old-flake-kernel
make_kernel "$k4"
cat >"$k4/flake.nix" <<'EOF'
{
  inputs.kernel-builder.url = "github:huggingface/kernels";
  outputs = { self, kernel-builder }:
    kernel-builder.lib.genFlakeOutputs { path = ./.; rev = self.shortRev or "dirty"; };
}
EOF
git_commit "$k4" "old flake"
expect_failure "renamed entry point" "renamed to genKernelFlakeOutputs" build "$k4" --backend=nix "${ALLOW[@]}"

echo "nix backend: all checks passed"
