#!/bin/bash
# Incremental builds: a repeated kb build runs nothing; touching one .cu rebuilds only its
# objects and the link(s) that use them; a new commit (a new unique id) rebuilds only the
# generated ops_id.c TUs, the links and the bundles, never the Torch-heavy binding TUs
# (docs/bundle.md, "The unique id"); a binding that uses TORCH_EXTENSION_NAME otherwise
# keeps the id on its command line, with a note. Judged from the entries ninja appends to
# its log.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_nvcc
require_torch_venvs

relu=$(copy_example relu)
cpu=torch211-cxx11-cpu-x86_64-linux
cuda=torch211-cxx11-cu130-x86_64-linux
build() { kb_ok build "$relu" --variant "$cpu" --variant "$cuda"; }

# classify LOG FROM: prints one word per new log entry: "cu" (an object of relu.cu), "cpu"
# (an object of relu_cpu.cpp), "binding" (an object of torch_binding.cpp), "ops_id" (an
# object of the generated gen/ops_id.c), "link" (a .so),
# or "other" (bundle steps and the like); then checks the rules given as arguments:
# NAME=N (exactly N entries of that kind) or NAME+ (at least one).
expect_entries() {
  local log=$1 from=$2
  shift 2
  ninja_outputs "$log" "$from" >"$E2E_TMP/new-outputs"
  "$TORCH_211/bin/python" - "$E2E_TMP/new-outputs" "$@" <<'EOF' || fail "unexpected rebuild (see above)"
import collections, re, sys
outputs = [l.strip() for l in open(sys.argv[1]) if l.strip()]
kinds = collections.defaultdict(list)
for out in outputs:
    name = out.rsplit("/", 1)[-1]
    if name.endswith(".so"):
        kind = "link"
    elif name.endswith(".o") and name.startswith("relu_cpu."):
        kind = "cpu"
    elif name.endswith(".o") and name.startswith("relu."):
        kind = "cu"
    elif name.endswith(".o") and name.startswith("torch_binding."):
        kind = "binding"
    elif name.endswith(".o") and name.startswith("ops_id."):
        kind = "ops_id"
    elif name.endswith(".o"):
        kind = "unknown-object"
    else:
        kind = "other"
    kinds[kind].append(out)
print("new ninja log entries:", {k: len(v) for k, v in kinds.items()} or "none")
for out in outputs:
    print("   ", out)
ok = True
for rule in sys.argv[2:]:
    if rule.endswith("+"):
        kind = rule[:-1]
        if not kinds[kind]:
            print(f"expected at least one '{kind}' entry"); ok = False
    else:
        kind, n = rule.split("=")
        if len(kinds[kind]) != int(n):
            print(f"expected {n} '{kind}' entries, got {len(kinds[kind])}"); ok = False
sys.exit(0 if ok else 1)
EOF
}

lines() { wc -l <"$1"; }

step "first build ($cpu, $cuda)"
build
log=$(ninja_log "$relu")
first=$(lines "$log")
expect_entries "$log" 0 cu+ cpu+ binding=2 ops_id=2 link=2
bundle_before=$(tree_digest "$relu/build/$cuda")

step "a second build runs no command"
build
[[ $(lines "$log") -eq $first ]] || {
  ninja_outputs "$log" "$first" >&2
  fail "a no-op kb build ran $(($(lines "$log") - first)) commands"
}
[[ $(tree_digest "$relu/build/$cuda") == "$bundle_before" ]] || fail "a no-op build changed the bundle"

step "touching relu_cuda/relu.cu rebuilds its objects and the CUDA link only"
sleep 1.1 # coarse-mtime filesystems
touch "$relu/relu_cuda/relu.cu"
before=$(lines "$log")
build
expect_entries "$log" "$before" cu+ link=1 binding=0 ops_id=0 cpu=0 unknown-object=0
[[ $(find "$relu/build/$cuda" -name '*.so' | wc -l) -eq 1 ]] || fail "the CUDA bundle lost its .so"

step "touching the shared header common/float_bits.h rebuilds both kernels, not the binding"
sleep 1.1
touch "$relu/common/float_bits.h"
before=$(lines "$log")
build
expect_entries "$log" "$before" cu+ cpu+ link=2 binding=0 ops_id=0 unknown-object=0

step "a new commit (new unique id) rebuilds the ops_id TUs, links and bundles only"
old_id=$(tree_id "$relu")
echo "A note that changes the git tree." >"$relu/NOTES.md"
git_commit "$relu" "add a note"
new_id=$(tree_id "$relu")
[[ $old_id != "$new_id" ]] || fail "the git tree id did not change"
before=$(lines "$log")
build
expect_entries "$log" "$before" ops_id=2 link=2 binding=0 cu=0 cpu=0 unknown-object=0
for v in $cpu $cuda; do
  "$TORCH_211/bin/python" - "$relu/build/$v" "$new_id" <<'EOF' || fail "$v does not carry the new id $new_id"
import json, sys
from pathlib import Path
bundle, uid = Path(sys.argv[1]), sys.argv[2]
sos = sorted(p.name for p in bundle.glob("*.so"))
ident = json.loads((bundle / "metadata.json").read_text())["id"]
assert ident.endswith("_" + uid), ident
assert sos == [ident + ".abi3.so"], sos
EOF
done

step "and then nothing more"
before=$(lines "$log")
build
[[ $(lines "$log") -eq $before ]] || fail "a no-op build after the commit ran commands"

step "the rebuilt bundles load"
load_bundle "$TORCH_211" "$relu/build/$cpu" relu scaled_relu
load_bundle "$TORCH_211" "$relu/build/$cuda" relu scaled_relu

# made_by SO: "mold", "lld", "gold" or "bfd", from the marks each linker leaves: mold and lld
# name themselves in .comment, gold adds a .note.gnu.gold-version section, GNU ld neither.
made_by() {
  if readelf -p .comment "$1" 2>/dev/null | grep -q 'mold '; then echo mold
  elif readelf -p .comment "$1" 2>/dev/null | grep -q 'LLD'; then echo lld
  elif readelf -S "$1" | grep -q '\.note\.gnu\.gold-version'; then echo gold
  else echo bfd; fi
}

step "the links used the fastest linker found; --linker=default relinks with GNU ld, nothing else"
kb_ok toolchains --json --torch "$TORCH_211"
fastest=$("$TORCH_211/bin/python" -c 'import json,sys; l=json.load(open(sys.argv[1]))["cxx"]["linkers"]; print(l[0]["name"] if l else "bfd")' "$E2E_TMP/kb.out")
for v in $cpu $cuda; do
  so=$(find "$relu/build/$v" -name '*.so')
  [[ $(made_by "$so") == "$fastest" ]] || fail "$so was linked by $(made_by "$so"), expected $fastest"
done
# scripts/setup installs lld; without any faster linker, --linker=default would change nothing.
[[ $fastest != bfd ]] || fail "no faster linker than GNU ld was found (scripts/setup installs lld)"
before=$(lines "$log")
kb_ok build "$relu" --variant "$cpu" --variant "$cuda" --linker=default
expect_entries "$log" "$before" link=2 binding=0 ops_id=0 cu=0 cpu=0 unknown-object=0
for v in $cpu $cuda; do
  so=$(find "$relu/build/$v" -name '*.so')
  [[ $(made_by "$so") == bfd ]] || fail "--linker=default: $so was linked by $(made_by "$so")"
done
load_bundle "$TORCH_211" "$relu/build/$cpu" relu scaled_relu
if run_kb build "$relu" --variant "$cpu" --linker=no-such; then fail "an unknown --linker was accepted"; fi
grep -q "unknown linker 'no-such'" "$E2E_TMP/kb.out" || fail "no clear error for --linker=no-such: $(kb_out)"

step "--id-in-binding asks for the classic form explicitly"
kb_ok build "$relu" --variant "$cpu" --dry-run --id-in-binding
grep -q -- "-DTORCH_EXTENSION_NAME=_relu_cpu_$new_id" "$E2E_TMP/kb.out" ||
  fail "--id-in-binding does not put the id on the binding's command line"
if grep -q "ops_id.c\|note: this source" "$E2E_TMP/kb.out"; then fail "--id-in-binding still late-binds or notes"; fi

step "a binding that uses TORCH_EXTENSION_NAME elsewhere keeps the id on its command line"
classic=$E2E_TMP/relu-classic
cp -a "$relu" "$classic"
printf '\n#ifndef TORCH_EXTENSION_NAME\n#error "kb defines TORCH_EXTENSION_NAME"\n#endif\n' \
  >>"$classic/torch-ext/torch_binding.cpp"
git_commit "$classic" "test TORCH_EXTENSION_NAME"
classic_id=$(tree_id "$classic")
kb_ok build "$classic" --variant "$cpu" --dry-run
grep -q "torch-ext/torch_binding.cpp:[0-9]*:[0-9]*: note: this source uses TORCH_EXTENSION_NAME" \
  "$E2E_TMP/kb.out" || fail "no note locating the use of TORCH_EXTENSION_NAME"
grep -q -- "-DTORCH_EXTENSION_NAME=_relu_cpu_$classic_id" "$E2E_TMP/kb.out" ||
  fail "the classic binding TU does not get the id on its command line"
if grep -q "ops_id.c" "$E2E_TMP/kb.out"; then fail "a classic build compiles ops_id.c"; fi
grep -- "relu_cpu/relu_cpu.cpp" "$E2E_TMP/kb.out" | grep -q -- "-DTORCH_EXTENSION_NAME=_relu_cpu_$classic_id" ||
  fail "the kernel TUs of a classic build do not get the ops name, as the reference gives every TU"

step "so does a kernel source that uses TORCH_EXTENSION_NAME elsewhere (every TU gets the define)"
kernel_use=$E2E_TMP/relu-kernel-use
cp -a "$relu" "$kernel_use"
printf '\nconst char* kb_e2e_name = STRINGIFY(TORCH_EXTENSION_NAME);\n' >>"$kernel_use/relu_cpu/relu_cpu.cpp"
git_commit "$kernel_use" "a kernel TU reads TORCH_EXTENSION_NAME"
kernel_use_id=$(tree_id "$kernel_use")
kb_ok build "$kernel_use" --variant "$cpu" --dry-run
grep -q "relu_cpu/relu_cpu.cpp:[0-9]*:[0-9]*: note: this source uses TORCH_EXTENSION_NAME" \
  "$E2E_TMP/kb.out" || fail "no note locating the kernel TU's use of TORCH_EXTENSION_NAME"
grep -- "relu_cpu/relu_cpu.cpp" "$E2E_TMP/kb.out" | grep -q -- "-DTORCH_EXTENSION_NAME=_relu_cpu_$kernel_use_id" ||
  fail "the kernel TU that reads TORCH_EXTENSION_NAME does not get the ops name"
if grep -q "ops_id.c" "$E2E_TMP/kb.out"; then fail "a classic build compiles ops_id.c"; fi

echo "incremental: OK"
