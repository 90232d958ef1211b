#!/bin/bash
# kb toolchains finds this machine's Torch venvs, nvcc, host compiler and ninja; explains
# rejected candidates; and answers a repeated query from its cache without running probes.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_nvcc

# The Torch venvs: KB_TORCH when set, else the ones scripts/setup installs.
deps=${KB_DEPS:-$HOME/.cache/kb-deps}
IFS=: read -ra venvs <<<"${KB_TORCH:-$deps/torch-2.11:$deps/torch-2.14}"
TORCH_211='' TORCH_214=''
for venv in "${venvs[@]}"; do
  [[ -x $venv/bin/python ]] || continue
  case $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null) in
    2.11.*) TORCH_211=$venv ;;
    2.14.*) TORCH_214=$venv ;;
  esac
done
[[ -n $TORCH_211 && -n $TORCH_214 ]] ||
  skip "needs Torch 2.11 and 2.14 venvs (KB_TORCH or $deps/torch-2.1{1,4}; run scripts/setup)"
unset KB_TORCH
PY=$TORCH_211/bin/python
# The nvcc that PATH's nvcc really runs: it may be a wrapper script (this machine image has
# `exec /usr/local/cuda-13.0/bin/nvcc "$@"` at /usr/local/bin/nvcc); nvcc names its own
# directory in a dry run.
nvcc_here=$(nvcc -dryrun -c -x cu /dev/null -o /dev/null 2>&1 | sed -n 's/^#\$ _HERE_=//p')
[[ -x $nvcc_here/nvcc ]] || fail "nvcc -dryrun names no _HERE_ directory with nvcc in it"
nvcc_real=$(readlink -f "$nvcc_here/nvcc")

# check_json FILE PYTHON-ASSERTIONS: runs assertions with `t` bound to the parsed JSON.
check_json() {
  "$PY" - "$1" "$2" <<'EOF' || fail "unexpected kb toolchains --json output (see above)"
import json, os, sys
t = json.load(open(sys.argv[1]))
try:
    exec(sys.argv[2], {"t": t, "os": os})
except AssertionError as e:
    print(json.dumps(t, indent=1), file=sys.stderr)
    print("assertion failed:", e, file=sys.stderr)
    sys.exit(1)
EOF
}

step "kb toolchains --json with both venvs"
kb_ok toolchains --json --torch "$TORCH_211" --torch "$TORCH_214"
kb_out >"$E2E_TMP/tc.json"
check_json "$E2E_TMP/tc.json" "
versions = sorted(x['version_string'].split('+')[0] for x in t['torch'])
assert versions == ['2.11.0', '2.14.0'], versions
for x in t['torch']:
    assert x['cuda'] == '13.0', x
    assert x['cxx11_abi'] is True, x
    assert os.path.isfile(os.path.join(x['include_dirs'][0], 'torch', 'library.h')), x
    assert os.path.isdir(x['lib_dir']), x
    assert os.path.isfile(os.path.join(x['python_include_dir'], 'Python.h')), x
nvccs = [c for c in t['cuda'] if os.path.realpath(c['nvcc']) == '$nvcc_real']
assert len(nvccs) == 1, t['cuda']
c = nvccs[0]
assert c['version'] == '13.0', c
assert 'sm_90' in c['gpu_codes'] and 'sm_70' not in c['gpu_codes'], c
assert os.path.isfile(os.path.join(c['include_dir'], 'cuda_runtime.h')), c
assert any(n.startswith('libcudart.so') for n in os.listdir(c['lib_dir'])), c
assert t['cxx'] and t['cxx']['path'], t['cxx']
assert t['ninja'] and t['ninja']['version'], t['ninja']
"

step "kb toolchains (text) names what it found"
kb_ok toolchains --torch "$TORCH_211"
grep -q 'torch 2.11.0' "$E2E_TMP/kb.out" || fail "text report lacks torch 2.11.0: $(kb_out)"
grep -q 'CUDA 13.0' "$E2E_TMP/kb.out" || fail "text report lacks CUDA 13.0: $(kb_out)"

step "a rejected interpreter is listed with the reason"
mkdir -p "$E2E_TMP/broken/bin"
printf '#!/bin/sh\necho "broken interpreter" >&2\nexit 3\n' >"$E2E_TMP/broken/bin/python"
chmod +x "$E2E_TMP/broken/bin/python"
kb_ok toolchains --torch "$E2E_TMP/broken" --torch "$TORCH_211"
grep -q 'exited with code 3' "$E2E_TMP/kb.out" || fail "no rejection reason for the broken interpreter: $(kb_out)"
grep -q 'torch 2.11.0' "$E2E_TMP/kb.out" || fail "the good venv is missing: $(kb_out)"

step "a --torch path that does not exist is an error"
if run_kb toolchains --torch "$E2E_TMP/no-such-venv"; then
  fail "kb toolchains accepted a missing --torch path"
fi
grep -q 'no-such-venv' "$E2E_TMP/kb.out" || fail "the error does not name the path: $(kb_out)"

step "--cuda names a toolkit; the same toolkit found twice is listed once"
kb_ok toolchains --json --torch "$TORCH_211" --cuda "$(dirname "$(dirname "$nvcc_real")")"
kb_out >"$E2E_TMP/tc-cuda.json"
check_json "$E2E_TMP/tc-cuda.json" "
reals = [os.path.realpath(c['nvcc']) for c in t['cuda']]
assert len(reals) == len(set(reals)), reals
assert '$nvcc_real' in reals, reals
"

step "a repeated query is answered from the cache without running the probe"
# A counting wrapper around the venv's interpreter: each probe appends one line.
mkdir -p "$E2E_TMP/counting/bin"
cat >"$E2E_TMP/counting/bin/python" <<EOF
#!/bin/sh
echo probe >>"$E2E_TMP/probe-count"
exec "$TORCH_211/bin/python" "\$@"
EOF
chmod +x "$E2E_TMP/counting/bin/python"
probes() { wc -l <"$E2E_TMP/probe-count" 2>/dev/null || echo 0; }
kb_ok toolchains --torch "$E2E_TMP/counting"
[[ $(probes) -eq 1 ]] || fail "cold query ran the probe $(probes) times, expected 1"
[[ -f $KB_CACHE_DIR/toolchains.json ]] || fail "no cache file at $KB_CACHE_DIR/toolchains.json"
kb_ok toolchains --torch "$E2E_TMP/counting"
kb_ok toolchains --torch "$E2E_TMP/counting"
[[ $(probes) -eq 1 ]] || fail "warm queries ran the probe again ($(probes) runs in all)"
grep -q 'torch 2.11.0' "$E2E_TMP/kb.out" || fail "cached answer lacks torch 2.11.0: $(kb_out)"

step "changing a witness (the interpreter) invalidates the cache"
touch -d '2001-01-01' "$E2E_TMP/counting/bin/python"
kb_ok toolchains --torch "$E2E_TMP/counting"
[[ $(probes) -eq 2 ]] || fail "the probe did not run again after the interpreter changed ($(probes) runs)"

echo "ok"
