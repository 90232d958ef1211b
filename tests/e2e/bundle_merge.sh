#!/bin/bash
# `kb bundle merge`: variants built into separate --out dirs (one per CI runner) merge into a
# build dir equal to one build of them all; tampered bundles and mixes of kernels or commits
# are refused, leaving the output as it was (docs/distributed.md).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_torch_venvs

relu=$(copy_example relu)
a=torch211-cxx11-cpu-x86_64-linux
b=torch213-cxx11-cpu-x86_64-linux
parts=$E2E_TMP/parts

step "one variant per --out dir, as two CI runners build them"
kb_ok build "$relu" --variant "$a" --out "$parts/runner-a"
kb_ok build "$relu" --variant "$b" --out "$parts/runner-b"
[[ $(variants_in "$parts/runner-a") == "$a" ]] || fail "runner-a holds $(variants_in "$parts/runner-a")"

step "one build of both, for comparison"
kb_ok build "$relu" --variant "$a" --variant "$b" --out "$E2E_TMP/single"

step "merge equals the single build, file for file"
kb_ok bundle merge "$parts/runner-a" "$parts/runner-b" --out "$E2E_TMP/merged"
kb_out | grep -q "merged 2 variant(s)" || { kb_out >&2; fail "merge did not report 2 variants"; }
[[ $(variants_in "$E2E_TMP/merged") == "$(printf '%s\n' "$a" "$b")" ]] ||
  fail "merged holds [$(variants_in "$E2E_TMP/merged")]"
for v in "$a" "$b"; do
  diff <(tree_digest "$E2E_TMP/single/$v") <(tree_digest "$E2E_TMP/merged/$v") >&2 ||
    fail "merged/$v differs from the single build's"
  [[ -x $(find "$E2E_TMP/merged/$v" -name '*.abi3.so' -print -quit) ]] || fail "$v: the .so lost its x bit"
done
ls -a "$E2E_TMP/merged" | grep -q '^\.kb-merge-' && fail "the merge stage was left behind"
kb_ok check-builds "$E2E_TMP/merged"
load_bundle "$TORCH_211" "$E2E_TMP/merged/$a" relu

# bundles_digest DIR: tree_digest of DIR's variants (kb's lock file in .kb/ names a pid).
bundles_digest() { tree_digest "$1/$a" && tree_digest "$1/$b"; }

step "merging again changes nothing; a kernel dir and a single bundle are inputs too"
before=$(bundles_digest "$E2E_TMP/merged")
kb_ok bundle merge "$parts/runner-a/$a" "$parts/runner-b" --out "$E2E_TMP/merged"
kb_out | grep -q "2 already there, identical" || { kb_out >&2; fail "no 'already there' note"; }
[[ $(bundles_digest "$E2E_TMP/merged") == "$before" ]] || fail "an identical merge changed the output"
mkdir -p "$E2E_TMP/kdir" && cp -a "$parts/runner-b" "$E2E_TMP/kdir/build" && touch "$E2E_TMP/kdir/build.toml"
kb_ok bundle merge "$E2E_TMP/kdir" --out "$E2E_TMP/from-kdir"
[[ $(variants_in "$E2E_TMP/from-kdir") == "$b" ]] || fail "a kernel dir's build/ was not read"

# refused CMD...: kb must fail, name what $expect says, and leave $E2E_TMP/refused unmade.
refused() {
  local expect=$1
  shift
  if run_kb bundle merge "$@" --out "$E2E_TMP/refused"; then
    kb_out >&2
    fail "kb bundle merge $* succeeded"
  fi
  kb_out | grep -q -- "$expect" || { kb_out >&2; fail "the refusal does not say '$expect'"; }
  [[ -z $(variants_in "$E2E_TMP/refused" 2>/dev/null) ]] || fail "a refused merge wrote bundles"
}

step "a tampered bundle is refused, naming the file"
cp -a "$parts/runner-b" "$E2E_TMP/tampered"
echo "import os" >>"$E2E_TMP/tampered/$b/__init__.py"
refused "__init__.py: content differs from the digest" "$parts/runner-a" "$E2E_TMP/tampered"

step "a mix of two kernels is refused"
huber=$(copy_example huber)
kb_ok build "$huber" --variant "$b" --out "$E2E_TMP/huber-b"
refused "kernel name (huber vs relu)" "$parts/runner-a" "$E2E_TMP/huber-b"

step "a mix of two commits of one kernel is refused"
echo "// a later commit" >>"$relu/torch-ext/torch_binding.cpp"
git_commit "$relu" "change the binding"
kb_ok build "$relu" --variant "$b" --out "$E2E_TMP/later-b"
refused "unique id ($(tree_id "$relu") vs" "$parts/runner-a" "$E2E_TMP/later-b"

step "an output variant with other content is never replaced"
if run_kb bundle merge "$E2E_TMP/later-b" --out "$E2E_TMP/merged"; then fail "merge replaced merged/$b"; fi
kb_out | grep -q "exists with other content" || { kb_out >&2; fail "no 'exists with other content'"; }
[[ $(bundles_digest "$E2E_TMP/merged") == "$before" ]] || fail "a refused merge changed the output"

echo "bundle merge: ok"
