# shellcheck shell=bash
# Helpers shared by the end-to-end scripts (sourced, not run).
#
# Environment (set by tests/e2e/meson.build):
#   KB              the kb binary under test
#   KB_SOURCE_ROOT  the repository root (examples/ lives there)
#   KB_BUILD_ROOT   meson's build dir (scripts/setup writes kb-env.sh there)
# Optional:
#   KB_TORCH        ':'-separated Torch venvs (else kb-env.sh's, else $KB_DEPS/torch-2.1{1,3,4})
#   KB_E2E_KEEP=1   keep the temporary directory (its path is printed)
#
# A script calls `skip REASON` (exit 77, meson reports SKIP) when a prerequisite is missing,
# and `fail REASON` (exit 1) when kb misbehaves.

set -euo pipefail

skip() {
  echo "SKIP: $*" >&2
  exit 77
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

step() { echo "== $*"; }

: "${KB:?KB must name the kb binary}"
: "${KB_SOURCE_ROOT:?KB_SOURCE_ROOT must name the repository root}"
KB_BUILD_ROOT=${KB_BUILD_ROOT:-$KB_SOURCE_ROOT/builddir}
[[ -x $KB ]] || fail "kb binary not found at $KB"

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kb-e2e.XXXXXX")
cleanup() {
  local rc=$?
  if [[ ${KB_E2E_KEEP:-0} == 1 || $rc -ne 0 && $rc -ne 77 ]]; then
    echo "(temporary files kept in $E2E_TMP)" >&2
  else
    rm -rf "$E2E_TMP"
  fi
}
trap cleanup EXIT

# Each script gets its own toolchain cache, so no test sees another's probe results.
export KB_CACHE_DIR=$E2E_TMP/kb-cache

# run_kb ARGS...: runs kb, keeping its output in $E2E_TMP/kb.log (shown on failure by the
# caller through `kb_log`). Returns kb's exit status.
run_kb() {
  echo "\$ kb $*" >>"$E2E_TMP/kb.log"
  local rc=0
  "$KB" "$@" >"$E2E_TMP/kb.out" 2>&1 || rc=$?
  cat "$E2E_TMP/kb.out" >>"$E2E_TMP/kb.log"
  return $rc
}

# kb_ok ARGS...: runs kb and fails the test (showing kb's output) unless it exits 0.
kb_ok() {
  run_kb "$@" || {
    cat "$E2E_TMP/kb.out" >&2
    fail "kb $* exited non-zero"
  }
}

# The output of the last run_kb/kb_ok.
kb_out() { cat "$E2E_TMP/kb.out"; }

# Fails unless the last kb's output is JSON that docs/schema/$1 accepts (JSON Schema 2020-12,
# Debian's python3-jsonschema; without it, says so and checks nothing).
kb_out_matches_schema() {
  local schema=$KB_SOURCE_ROOT/docs/schema/$1
  if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
    echo "note: no python3-jsonschema: kb's output is not checked against $1"
    return 0
  fi
  /usr/bin/python3 - "$schema" "$E2E_TMP/kb.out" <<'PY' || fail "the output does not match docs/schema/$1"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
PY
}

require_nvcc() {
  command -v nvcc >/dev/null 2>&1 || [[ -x /usr/local/cuda/bin/nvcc ]] ||
    skip "nvcc not found (PATH or /usr/local/cuda/bin)"
  command -v nvcc >/dev/null 2>&1 || export PATH=/usr/local/cuda/bin:$PATH
}

# Finds the Torch venvs and sets TORCH_211, TORCH_213 and TORCH_214 (venv dirs: today's set,
# scripts/setup) and exports KB_TORCH. Skips unless a 2.11, a 2.13 and a 2.14 venv with kernels
# and pytest are there.
require_torch_venvs() {
  local list=${KB_TORCH:-}
  if [[ -z $list && -f $KB_BUILD_ROOT/kb-env.sh ]]; then
    list=$(. "$KB_BUILD_ROOT/kb-env.sh" && echo "${KB_TORCH:-}")
  fi
  if [[ -z $list ]]; then
    local deps=${KB_DEPS:-$HOME/.cache/kb-deps}
    list=$deps/torch-2.11:$deps/torch-2.13:$deps/torch-2.14
  fi
  TORCH_211='' TORCH_213='' TORCH_214=''
  local venv version venvs
  IFS=: read -ra venvs <<<"$list"
  for venv in "${venvs[@]}"; do
    [[ -x $venv/bin/python ]] || continue
    version=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null) || continue
    case $version in
      2.11.*) TORCH_211=$venv ;;
      2.13.*) TORCH_213=$venv ;;
      2.14.*) TORCH_214=$venv ;;
    esac
  done
  [[ -n $TORCH_211 ]] || skip "no Torch 2.11 venv among '$list' (run scripts/setup)"
  [[ -n $TORCH_213 ]] || skip "no Torch 2.13 venv among '$list' (run scripts/setup)"
  [[ -n $TORCH_214 ]] || skip "no Torch 2.14 venv among '$list' (run scripts/setup)"
  for venv in "$TORCH_211" "$TORCH_213" "$TORCH_214"; do
    "$venv/bin/python" -c 'import kernels, pytest' 2>/dev/null ||
      skip "$venv lacks the kernels or pytest package (run scripts/setup)"
  done
  export KB_TORCH=$TORCH_211:$TORCH_213:$TORCH_214
}

# Sets CUOBJDUMP to a cuobjdump: $KB_CUOBJDUMP (or kb-env.sh's, which scripts/setup writes),
# else one on PATH or in /usr/local/cuda/bin. Skips when there is none.
require_cuobjdump() {
  CUOBJDUMP=${KB_CUOBJDUMP:-}
  if [[ -z $CUOBJDUMP && -f $KB_BUILD_ROOT/kb-env.sh ]]; then
    CUOBJDUMP=$(. "$KB_BUILD_ROOT/kb-env.sh" && echo "${KB_CUOBJDUMP:-}")
  fi
  [[ -n $CUOBJDUMP ]] || CUOBJDUMP=$(command -v cuobjdump || true)
  [[ -n $CUOBJDUMP || ! -x /usr/local/cuda/bin/cuobjdump ]] || CUOBJDUMP=/usr/local/cuda/bin/cuobjdump
  [[ -n $CUOBJDUMP && -x $CUOBJDUMP ]] ||
    skip "cuobjdump not found (run scripts/setup: it installs NVIDIA's nvidia-cuda-cuobjdump wheel)"
}

# copy_example NAME: copies examples/NAME (without build outputs) to $E2E_TMP/NAME, makes it
# a git repository with one commit (so kb's unique id is a git tree id) and prints its path.
copy_example() {
  local src=$KB_SOURCE_ROOT/examples/$1 dst=$E2E_TMP/$1
  [[ -f $src/build.toml ]] || fail "no example at $src"
  mkdir -p "$dst"
  tar -C "$src" --exclude=./build --exclude=__pycache__ --exclude=.pytest_cache -cf - . |
    tar -C "$dst" -xf -
  git_commit "$dst" "import $1"
  echo "$dst"
}

# git_commit DIR MESSAGE: commits every change in DIR.
git_commit() {
  (
    cd "$1"
    if [[ ! -d .git ]]; then
      git init -q
      printf '/build/\n__pycache__/\n' >>.git/info/exclude # kb's outputs are never committed
    fi
    git add -A
    git -c user.name=kb-e2e -c user.email=kb-e2e@localhost -c commit.gpgsign=false \
      commit -q --allow-empty -m "$2"
  )
}

# tree_id DIR: the 7-hex prefix of DIR's HEAD tree (kb's unique id for a clean tree).
tree_id() { git -C "$1" rev-parse 'HEAD^{tree}' | cut -c1-7; }

# variants_in BUILD_DIR: the variant directories kb wrote (one name per line, sorted).
variants_in() {
  find "$1" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\n' | sort
}

# ninja_log KERNEL_DIR: the path of the .ninja_log of kb's build of KERNEL_DIR.
ninja_log() {
  local log
  log=$(find "$1/build/.kb" -name .ninja_log -print -quit 2>/dev/null || true)
  [[ -n $log ]] || fail "no .ninja_log below $1/build/.kb"
  echo "$log"
}

# ninja_outputs LOG FROM: the outputs of the log's entries after its first FROM lines
# (one per line, sorted, unique).
ninja_outputs() {
  tail -n +"$(($2 + 1))" "$1" | grep -v '^#' | cut -f4 | sort -u
}

# tree_digest DIR: one line per file: sha256 and relative path (to compare bundles).
tree_digest() {
  (cd "$1" && find . -type f ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum)
}

# load_bundle VENV VARIANT_DIR OP...: loads one bundle with kernels.get_local_kernel and
# checks that its module is named by metadata.json's id and that torch.ops.<id> has OPs.
load_bundle() {
  local venv=$1 dir=$2
  shift 2
  "$venv/bin/python" - "$dir" "$@" <<'EOF' || fail "loading $dir with $venv failed"
import json, sys
from pathlib import Path
import kernels, torch
variant = Path(sys.argv[1])
ident = json.loads((variant / "metadata.json").read_text())["id"]
module = kernels.get_local_kernel(variant)
assert module.__name__ == ident, (module.__name__, ident)
namespace = getattr(torch.ops, ident)
for op in sys.argv[2:]:
    assert hasattr(namespace, op), f"torch.ops.{ident} has no {op}"
print(f"loaded {variant.name} as {ident} with torch {torch.__version__}")
EOF
}
