#!/bin/bash
# kb check-builds on real bundles (docs/check-builds.md): the CPU variants kb builds of
# examples/relu are complete and their metadata.json passes the reference's own reader
# (kernels-data's Metadata, and its Digest against the files); a changed file makes the
# check fail naming the file; a foreign directory and an older build's bundle are reported.
# Skips (77) without a Torch venv that has kernels-data.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

list=${KB_TORCH:-}
if [[ -z $list && -f $KB_BUILD_ROOT/kb-env.sh ]]; then
  list=$(. "$KB_BUILD_ROOT/kb-env.sh" && echo "${KB_TORCH:-}")
fi
[[ -n $list ]] || list=$(ls -d "${KB_DEPS:-$HOME/.cache/kb-deps}"/torch-2.* 2>/dev/null | paste -sd: || true)
PY=''
for venv in ${list//:/ }; do
  if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c 'import torch, kernels_data' 2>/dev/null; then
    PY=$venv/bin/python
    break
  fi
done
[[ -n $PY ]] || skip "no Torch venv with kernels-data among '$list' (run scripts/setup)"
export KB_TORCH=$list

relu=$(copy_example relu)
step "kb build examples/relu, CPU variants"
kb_ok matrix --json "$relu"
cpu_variants=$("$PY" -c 'import json,sys; print(" ".join(v["name"] for v in json.load(open(sys.argv[1]))["variants"] if v["backend"] == "cpu"))' <(kb_out))
[[ -n $cpu_variants ]] || fail "kb matrix offers no CPU variant of relu: $(kb_out)"
args=()
for v in $cpu_variants; do args+=(--variant "$v"); done
kb_ok build "$relu" "${args[@]}"

step "kb check-builds: every bundle complete"
kb_ok check-builds "$relu"
kb_out
for v in $cpu_variants; do kb_out | grep -q "^ok: $v " || fail "check-builds did not pass $v: $(kb_out)"; done
kb_ok check-builds "$relu/build" --json
kb_out | "$PY" -c '
import json, sys
checks = json.load(sys.stdin)
assert checks and all(c["state"] == "complete" and c["stale"] is None for c in checks), checks
' || fail "check-builds --json: $(kb_out)"
kb_out_matches_schema check-builds.schema.json

step "kernels-data reads every metadata.json and verifies its digest"
"$PY" - "$relu/build" <<'PY' || fail "kernels-data rejects kb's metadata"
import pathlib, sys
from kernels_data import Digest, Metadata
n = 0
for meta in sorted(pathlib.Path(sys.argv[1]).glob("*/metadata.json")):
    m = Metadata.read_from_file(meta)
    assert m.digest is not None, meta
    actual = Digest.hash_variant(m.digest.algorithm, meta.parent)
    m.digest.validate(actual)
    print("kernels-data ok:", meta.parent.name, m.id)
    n += 1
assert n, "no metadata.json found"
PY

first=${cpu_variants%% *}
step "a changed file: check-builds fails naming it"
cp -r "$relu/build/$first" "$E2E_TMP/saved"
echo "# edited after the build" >>"$relu/build/$first/__init__.py"
if run_kb check-builds "$relu"; then fail "check-builds passed a changed __init__.py: $(kb_out)"; fi
kb_out | grep -q "^INCOMPLETE: $first: __init__.py: content differs from the digest" ||
  fail "check-builds did not name __init__.py: $(kb_out)"
so=$(cd "$relu/build/$first" && ls ./*.abi3.so)
rm "$relu/build/$first/$so"
if run_kb check-builds "$relu"; then fail "check-builds passed a bundle without its .so: $(kb_out)"; fi
kb_out | grep -q "${so#./}" || fail "check-builds did not name the missing ${so#./}: $(kb_out)"
rm -rf "${relu:?}/build/$first" && cp -r "$E2E_TMP/saved" "$relu/build/$first"

step "a foreign directory and an older build are reported, without failing"
mkdir -p "$relu/build/notes" "$relu/build/torch299-cxx11-cpu-x86_64-linux"
rest=${cpu_variants#"$first"}
if [[ -n ${rest// /} ]]; then
  # A new commit, then only the first variant rebuilt: the others are an older build's.
  echo "a change" >"$relu/CHANGES.txt"
  git_commit "$relu" "a change"
  kb_ok build "$relu" --variant "$first"
fi
kb_ok check-builds "$relu"
kb_out
kb_out | grep -q '^foreign: notes: not a variant name' || fail "notes/ not reported foreign"
kb_out | grep -q '^foreign: torch299-cxx11-cpu-x86_64-linux: no metadata.json' || fail "an empty variant dir not reported"
for v in $rest; do
  kb_out | grep -q "^stale: $v: unique id .*, the newest bundle ($first) has" || fail "$v of the older build is not reported stale"
done
echo "check_builds: OK"
