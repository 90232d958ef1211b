#!/bin/bash
# The reliability suite (docs/reliability.md, "The reliability suite"): the classes of an
# outside probe of kb, replayed on every run with the real kb, Torch and g++.
#
#   1. hostile inputs: malformed TOML, hostile strings in every field that reaches a command
#      line or a path, absolute and '..' paths, huge values, FIFOs and /dev/zero, odd
#      capability lists. Each must give its exit code and a located message (file:line:col),
#      no crash or hang, and touch nothing outside the kernel directory.
#   2. environment faults: a broken and a hanging Torch beside a good one, a bad CXX, no git,
#      an unknown command.
#   3. kill trials: SIGINT, SIGTERM and SIGKILL to kb and to its process group during a real
#      CPU build of a copy of examples/relu, at the compile, the link and the bundle step:
#      the previous bundle stays valid, no ninja or compiler is left behind, the next build
#      is correct.
#   4. concurrent builds in one build dir: the same variant twice, two variants, build + clean.
#   5. a full disk: the build dir on a small tmpfs, filled up (skipped, and said so, where
#      tmpfs cannot be mounted; the unit tests inject the same failures through the Disk seam).
#
# KB_RELIABILITY_ONLY=inputs|faults|kills|concurrency|disk runs one part (for debugging).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_torch_venvs
command -v git >/dev/null || skip "git not found"
command -v python3 >/dev/null || skip "python3 not found"

SUITE_START=$SECONDS
arch=$(uname -m)
CPU211=torch211-cxx11-cpu-$arch-linux
CPU214=torch214-cxx11-cpu-$arch-linux
ONLY=${KB_RELIABILITY_ONLY:-}
want() { [[ -z $ONLY || $ONLY == "$1" ]]; }

# The hostile inputs and environment faults are all tried; what went wrong is collected
# here and reported (failing the test) at the end of their part.
FAILED=()
bad() {
  FAILED+=("$1")
  echo "   FAILED: ${1%%$'\n'*}" >&2
}
# report_failures PART: fails the test when a case of PART went wrong, listing every one.
report_failures() {
  ((${#FAILED[@]} == 0)) && return
  local f
  for f in "${FAILED[@]}"; do printf -- '--- %s\n' "$f" >&2; done
  fail "$1: ${#FAILED[@]} case(s) went wrong (listed above)"
}

# Written by the payloads of the hostile strings; must never appear.
CANARY=$E2E_TMP/PWNED
declare -A CLASS_COUNT=()
CASES=0
counted() { # counted CLASS: one more case of CLASS
  CLASS_COUNT[$1]=$((${CLASS_COUNT[$1]:-0} + 1))
  CASES=$((CASES + 1))
}

# A copy of examples/relu (a git repository with one commit); hostile cases copy it again.
TEMPLATE=$(copy_example relu)

# ---- 1. hostile inputs ----------------------------------------------------------------------

# toml_with TABLE KEY VALUE: examples/relu's build.toml with `KEY = VALUE  # hostile` in
# TABLE (general, hub, torch, relu (cuda), relu_rocm, relu_cpu), replacing the key if it is
# there. VALUE is TOML text; "HUGE:N" stands for a string of N letters (an invalid name),
# "ARRAY:N:TEXT" for an array of N times TEXT; KEY "HUGE:N" for a key of N letters.
toml_with() {
  python3 - "$@" <<'EOF'
import sys
table, key, value = sys.argv[1:4]
if value.startswith("HUGE:"):
    value = '"R' + "r" * int(value[5:]) + '"'
if value.startswith("ARRAY:"):
    _, n, text = value.split(":", 2)
    value = "[" + ", ".join([text] * int(n)) + "]"
if key.startswith("HUGE:"):
    key = "k" * int(key[5:])
files = '["relu_cuda/relu.cu", "relu_cuda/relu.h", "common/float_bits.h"]'
tables = [
    ("general", "[general]", [("name", '"relu"'), ("version", "1"), ("edition", "5"),
                              ("license", '"Apache-2.0"'), ("backends", '["cpu", "cuda", "rocm"]')]),
    ("hub", "[general.hub]", [("repo-id", '"kb-examples/relu"')]),
    ("torch", "[torch]", [("src", '["torch-ext/torch_binding.cpp", "torch-ext/torch_binding.h"]')]),
    ("relu", "[kernel.relu]", [("backend", '"cuda"'), ("depends", "[]"), ("src", files)]),
    ("relu_rocm", "[kernel.relu_rocm]", [("backend", '"rocm"'), ("depends", "[]"),
                                         ("rocm-archs", '["gfx90a", "gfx940"]'), ("src", files)]),
    ("relu_cpu", "[kernel.relu_cpu]", [("backend", '"cpu"'), ("depends", "[]"),
        ("src", '["relu_cpu/relu_cpu.cpp", "relu_cpu/relu_cpu.h", "common/float_bits.h"]')]),
]
assert table in [t[0] for t in tables], table
out = []
for name, header, keys in tables:
    out.append(header)
    keys = list(keys)
    if name == table:
        if key in [k for k, _ in keys]:
            keys = [(k, value + "  # hostile" if k == key else v) for k, v in keys]
        else:
            keys.append((key, value + "  # hostile"))
    out += [f"{k} = {v}" for k, v in keys]
    out.append("")
sys.stdout.write("\n".join(out))
EOF
}

# new_case NAME: a fresh copy of the template kernel in $CASE/kernel (no .git, no build).
new_case() {
  CASE=$E2E_TMP/cases/$1
  mkdir -p "$CASE/kernel"
  tar -C "$TEMPLATE" --exclude=./.git --exclude=./build -cf - . | tar -C "$CASE/kernel" -xf -
}

# outside_state KERNEL: every path below $E2E_TMP outside KERNEL (and kb's toolchain cache),
# files with their size and mtime.
outside_state() {
  find "$E2E_TMP" \( -path "$1" -o -path "$KB_CACHE_DIR" -o -path "$E2E_TMP/kb.*" \
    -o -path "$E2E_TMP/cases/*/out" \) -prune -o -type d -printf '%p/\n' -o -printf '%p %s %T@\n' |
    sort
}

# expect_located NAME RC LINE [KB ARGS...]: `kb build kernel --variant CPU211` (or KB ARGS)
# run from $CASE must exit RC within 60 s, print "kernel/build.toml:LINE:COL:" (LINE a
# number; "hostile": the line marked '# hostile'; "any": some line; "file": the file, as the
# location or quoted in the error), write no canary and change nothing outside the kernel
# directory.
expect_located() {
  local name=$1 want=$2 line=$3 rc=0 before after pattern
  shift 3
  local args=("$@")
  ((${#args[@]})) || args=(build kernel --variant "$CPU211")
  case $line in
    hostile) line=$(grep -n '# hostile$' "$CASE/kernel/build.toml" | head -1 | cut -d: -f1)
      [[ -n $line ]] || fail "$name: no line marked '# hostile'" ;;
  esac
  case $line in
    any) pattern='kernel/build\.toml:[0-9]+:[0-9]+: error' ;;
    file) pattern="kernel/build\\.toml(:[0-9]+:[0-9]+)?: error|error: .*'[^']*kernel/build\\.toml'" ;;
    *) pattern="kernel/build\\.toml:$line:[0-9]+: error" ;;
  esac
  before=$(outside_state "$CASE/kernel")
  (cd "$CASE" && timeout -k 5 60 "$KB" "${args[@]}" >"$CASE/out" 2>&1) || rc=$?
  after=$(outside_state "$CASE/kernel")
  local show="kb ${args[*]} in $CASE exited $rc; its output (first lines):"$'\n'"$(head -c 2000 "$CASE/out")"
  if ((rc == 124 || rc == 137)); then
    bad "$name: kb hung (killed after 60 s). $show"
  elif ((rc >= 128)); then
    bad "$name: kb crashed (exit $rc). $show"
  elif ((rc != want)); then
    bad "$name: expected exit $want. $show"
  elif ! grep -qE "$pattern" "$CASE/out"; then
    bad "$name: no location matching '$pattern'. $show"
  elif [[ -e $CANARY ]]; then
    rm -f "$CANARY"
    bad "$name: the payload ran ($CANARY was created). $show"
  elif [[ $before != "$after" ]]; then
    bad "$name: kb changed files outside the kernel directory:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"
  fi
}

# field CLASS NAME TABLE KEY VALUE [LINE]: a case of CLASS with one hostile value
# (toml_with), which must be rejected (exit 1) at its line.
field() {
  new_case "$2"
  toml_with "$3" "$4" "$5" >"$CASE/kernel/build.toml" || fail "$2: cannot write build.toml"
  expect_located "$2" 1 "${6:-hostile}"
  counted "$1"
}

# raw CLASS NAME LINE: a case of CLASS whose build.toml is stdin, rejected (exit 1) at LINE.
raw() {
  new_case "$2"
  cat >"$CASE/kernel/build.toml"
  expect_located "$2" 1 "$3"
  counted "$1"
}

payload="touch $CANARY"

if want inputs; then
  step "hostile inputs: malformed TOML"
  # One-character typos that made toml++ 3.3 assert (exit 134) instead of reporting.
  raw malformed-toml toml-dot-table 1 < <(printf '[.general]\n')
  raw malformed-toml toml-array-brace 3 < <(printf '[general]\nname = "relu"\nbackends = ["cpu", }\n')
  raw malformed-toml toml-short-array 1 < <(printf 'c=["",}\n')
  raw malformed-toml toml-date-space 1 < <(printf 'n=1979-05-27 1\n')
  raw malformed-toml toml-date-colon 1 < <(printf 'n=0990-05-27T:\n')
  raw malformed-toml toml-unterminated-string 2 < <(printf '[general]\nname = "relu\n')
  raw malformed-toml toml-unclosed-header 1 < <(printf '[general\nname = "relu"\n')
  raw malformed-toml toml-missing-value 2 < <(printf '[general]\nname =\n')
  raw malformed-toml toml-bad-escape 2 < <(printf '[general]\nname = "re\\qlu"\n')
  raw malformed-toml toml-duplicate-key 3 < <(printf '[general]\nname = "a"\nname = "b"\n')
  raw malformed-toml toml-duplicate-table 3 < <(printf '[general]\nname = "a"\n[general]\n')
  raw malformed-toml toml-nul-byte 2 < <(printf '[general]\nname = "re\0lu"\n')
  raw malformed-toml toml-invalid-utf8 2 < <(printf '[general]\nname = "re\xff\xfelu"\n')
  raw malformed-toml toml-deep-nesting 1 < <(python3 -c 'print("a = " + "[" * 100000)')
  raw malformed-toml toml-integer-overflow 2 < <(printf '[general]\nversion = 99999999999999999999999\n')
  raw malformed-toml toml-array-of-tables 1 < <(printf '[[general]]\nname = "relu"\n')

  step "hostile inputs: control characters (a newline ends a Ninja line)"
  nl='\n  command = '"$payload"' #'
  field control-chars nl-name general name "\"relu${nl}\""
  field control-chars nl-torch-src torch src "[\"torch-ext/torch_binding.cpp${nl}\"]"
  field control-chars nl-torch-include torch include "[\"torch-ext${nl}\"]"
  field control-chars nl-torch-cxx-flags torch cxx-flags "[\"-DA=1${nl}\"]"
  field control-chars nl-kernel-src relu_cpu src "[\"relu_cpu/relu_cpu.cpp${nl}\"]"
  field control-chars nl-kernel-include relu_cpu include "[\"relu_cpu${nl}\"]"
  field control-chars nl-kernel-cxx-flags relu_cpu cxx-flags "[\"-DA=1${nl}\"]"
  field control-chars nl-cuda-flags relu cuda-flags "[\"-DA=1${nl}\"]"
  field control-chars nl-hip-flags relu_rocm hip-flags "[\"-DA=1${nl}\"]"
  field control-chars nl-cuda-capabilities relu cuda-capabilities "[\"8.0${nl}\"]"
  field control-chars nl-rocm-archs relu_rocm rocm-archs "[\"gfx90a${nl}\"]"
  field control-chars nl-pyext torch pyext "[\"py${nl}\"]"
  field control-chars nl-repo-id hub repo-id "\"kb/relu${nl}\""
  field control-chars nl-upstream general upstream "\"https://x/y${nl}\""
  field control-chars nl-depends relu_cpu depends "[\"torch${nl}\"]"
  field control-chars cr-kernel-cxx-flags relu_cpu cxx-flags '["-DA=1\r  command = touch x"]'
  field control-chars nul-kernel-src relu_cpu src '["relu_cpu/relu_cpu.cpp\u0000.h"]'
  field control-chars esc-torch-cxx-flags torch cxx-flags '["-DA=\u001b[2J"]'

  step "hostile inputs: '|' in paths (Ninja's separator), shell and quote characters in names"
  field ninja-syntax pipe-torch-src torch src '["torch-ext/torch_binding.cpp", "torch-ext/a|b.cpp"]'
  field ninja-syntax pipe-kernel-src relu_cpu src '["relu_cpu/relu_cpu.cpp|x.cpp"]'
  field ninja-syntax pipe-cuda-src relu src '["relu_cuda/re|lu.cu"]'
  field ninja-syntax pipe-rocm-src relu_rocm src '["relu_cuda/relu.cu", "relu_cuda/x | y.h"]'
  field shell-chars dollar-name general name "\"relu\$(${payload})\""
  field shell-chars backtick-name general name "\"relu\`${payload}\`\""
  field shell-chars quote-name general name "\"relu'\\\"x\""
  field shell-chars space-name general name '"re lu"'
  field shell-chars semicolon-name general name "\"relu;${payload}\""

  step "hostile inputs: paths that are no file of the kernel"
  field paths abs-torch-src torch src '["/usr/include/stdio.h", "torch-ext/torch_binding.cpp"]'
  field paths abs-kernel-src relu_cpu src "[\"$TEMPLATE/relu_cpu/relu_cpu.cpp\"]"
  field paths dotdot-torch-src torch src '["../kernel/torch-ext/torch_binding.cpp"]'
  field paths dotdot-kernel-src relu_cpu src '["relu_cpu/../../kernel/relu_cpu/relu_cpu.cpp"]'
  field paths empty-src relu_cpu src '[""]'
  field paths dot-src relu_cpu src '["."]'
  field paths dot-slash-src torch src '["./"]'
  field paths dir-src relu_cpu src '["relu_cpu"]'
  field paths missing-src relu_cpu src '["relu_cpu/gone.cpp"]'
  field paths collision-src relu_cpu src '["relu_cpu/relu_cpu.cpp", "relu_cpu/./relu_cpu.cpp"]'
  field paths twice-src relu_cpu src '["relu_cpu/relu_cpu.cpp", "torch-ext/torch_binding.cpp"]'

  step "hostile inputs: huge values"
  # Below the 4 MiB kb reads of a build.toml, so that the parser sees them.
  field huge huge-name general name HUGE:3000000
  field huge huge-src relu_cpu src '["relu_cpu/'"$(head -c 100000 /dev/zero | tr '\0' r)"'.cpp"]'
  field huge huge-key general HUGE:3000000 1
  field huge huge-array general backends 'ARRAY:20000:"cpux"'
  new_case oversized-build-toml
  { toml_with general name '"relu"'; head -c $((5 << 20)) /dev/zero | tr '\0' '#'; } >"$CASE/kernel/build.toml"
  expect_located oversized-build-toml 1 file
  counted huge
  field huge negative-version general version -1
  field huge float-version general version 1.5

  step "hostile inputs: FIFOs and devices instead of files"
  new_case fifo-build-toml
  rm "$CASE/kernel/build.toml" && mkfifo "$CASE/kernel/build.toml"
  expect_located fifo-build-toml 1 file
  counted special-files
  new_case zero-build-toml
  rm "$CASE/kernel/build.toml" && ln -s /dev/zero "$CASE/kernel/build.toml"
  expect_located zero-build-toml 1 file
  counted special-files
  new_case fifo-src
  toml_with relu_cpu src '["relu_cpu/relu_cpu.cpp", "relu_cpu/fifo.h"]' >"$CASE/kernel/build.toml"
  mkfifo "$CASE/kernel/relu_cpu/fifo.h"
  expect_located fifo-src 1 hostile
  counted special-files
  new_case zero-src
  toml_with torch src '["torch-ext/torch_binding.cpp", "torch-ext/zero.cpp"]' >"$CASE/kernel/build.toml"
  ln -s /dev/zero "$CASE/kernel/torch-ext/zero.cpp"
  expect_located zero-src 1 hostile
  counted special-files

  step "hostile inputs: empty and odd capability lists"
  field capabilities caps-empty relu cuda-capabilities '[]' any
  field capabilities caps-unknown relu cuda-capabilities '["99.9"]' any
  field capabilities caps-sm-name relu cuda-capabilities '["sm_80"]' any
  field capabilities caps-number relu cuda-capabilities '[8.0]'
  field capabilities caps-empty-string relu cuda-capabilities '["8.0", ""]' any
  field capabilities caps-double-ptx relu cuda-capabilities '["12.0+PTX+PTX"]' any
  field capabilities caps-gfx-name relu cuda-capabilities '["gfx90a"]' any

  step "hostile inputs: kernel-builder's own invalid files (tests/data/config/invalid)"
  for f in "$KB_SOURCE_ROOT"/tests/data/config/invalid/*.toml; do
    name=invalid-$(basename "$f" .toml)
    new_case "$name"
    cp "$f" "$CASE/kernel/build.toml"
    first=$(grep -m1 '^# expect: ' "$f" | sed -E 's/^# expect: ([0-9]+):.*/\1/')
    expect_located "$name" 1 "$first" check-config kernel
    counted schema
  done
  report_failures "hostile inputs"
fi

# ---- 2. environment faults ------------------------------------------------------------------

# fault NAME RC COMMAND...: COMMAND (kb with its arguments) must exit RC within 180 s without
# crashing; its output is left in $E2E_TMP/faults/NAME.out.
fault() {
  local name=$1 want=$2 rc=0
  shift 2
  mkdir -p "$E2E_TMP/faults"
  FAULT_OUT=$E2E_TMP/faults/$name.out
  timeout -k 5 180 "$@" >"$FAULT_OUT" 2>&1 || rc=$?
  local show="$* exited $rc; output:"$'\n'"$(head -c 3000 "$FAULT_OUT")"
  if ((rc == 124 || rc == 137)); then
    bad "$name: kb hung (killed after 180 s). $show"
  elif ((rc >= 128)); then
    bad "$name: kb crashed (exit $rc). $show"
  elif ((rc != want)); then
    bad "$name: expected exit $want. $show"
  fi
  counted environment
}
# says NAME TEXT: the output of fault NAME contains TEXT.
says() {
  grep -qF -- "$2" "$E2E_TMP/faults/$1.out" ||
    bad "$1: the output does not say '$2':"$'\n'"$(head -c 3000 "$E2E_TMP/faults/$1.out")"
}

if want faults; then
  fakes=$E2E_TMP/fake-torch
  mkdir -p "$fakes/broken/bin" "$fakes/hanging/bin"
  printf '#!/bin/sh\necho "Traceback (most recent call last):" >&2\necho "ImportError: libtorch_cpu.so: cannot open shared object file" >&2\nexit 1\n' >"$fakes/broken/bin/python"
  hang_secs=$((100000 + $$))  # a sleep no other run leaves behind
  printf '#!/bin/sh\nsleep %s\n' "$hang_secs" >"$fakes/hanging/bin/python"
  chmod +x "$fakes/broken/bin/python" "$fakes/hanging/bin/python"
  kernel=$E2E_TMP/faults-kernel
  mkdir -p "$kernel" && tar -C "$TEMPLATE" -cf - . | tar -C "$kernel" -xf -

  step "faults: kb <unknown> --help and a misspelled command are usage errors"
  fault unknown-help 2 "$KB" biuld --help
  says unknown-help "unknown command 'biuld'"
  says unknown-help "did you mean 'kb build'?"
  fault unknown-command 2 "$KB" frobnicate "$kernel"

  step "faults: a broken Torch beside a good one is a warning, not silence"
  fault broken-torch 0 env KB_TORCH="$TORCH_211:$fakes/broken" "$KB" matrix "$kernel"
  says broken-torch "$fakes/broken/bin/python"
  says broken-torch "warning"
  says broken-torch "$CPU211"

  step "faults: only a broken Torch: no variant, and the reason"
  fault only-broken-torch 1 env KB_TORCH="$fakes/broken" "$KB" build "$kernel" --variant "$CPU211"
  says only-broken-torch "$fakes/broken/bin/python"

  step "faults: a hanging Torch probe is given up on, and its process ended"
  fault hanging-torch 0 env KB_PROBE_TIMEOUT=5 KB_TORCH="$TORCH_211:$fakes/hanging" "$KB" matrix "$kernel" --no-cache
  says hanging-torch "$fakes/hanging/bin/python"
  says hanging-torch "5 s"
  says hanging-torch "$CPU211"
  sleep 1
  if pgrep -f "$fakes/hanging/bin/python" >/dev/null || pgrep -fx "sleep $hang_secs" >/dev/null; then
    bad "hanging-torch: the hanging probe is still running after kb returned"
  fi

  step "faults: a CXX that does not exist is a warning naming the compiler used instead"
  fault bad-cxx 0 env CXX=/nonexistent/g++-99 "$KB" matrix "$kernel" --no-cache
  says bad-cxx "/nonexistent/g++-99"
  says bad-cxx "warning"

  step "faults: without git the content-hash id is a note"
  nogit=$E2E_TMP/nogit-bin
  mkdir -p "$nogit"
  for f in /usr/local/sbin/* /usr/local/bin/* /usr/sbin/* /usr/bin/* /sbin/* /bin/*; do
    b=${f##*/}
    [[ $b == git* || -e $nogit/$b ]] || ln -s "$f" "$nogit/$b"
  done
  nogit_path=$nogit
  [[ -d /usr/local/cuda/bin ]] && nogit_path=$nogit_path:/usr/local/cuda/bin
  fault no-git 0 env PATH="$nogit_path" KB_TORCH="$TORCH_211" "$KB" build "$kernel" --variant "$CPU211" --dry-run
  says no-git "git cannot be run"
  says no-git "content hash"
  report_failures "environment faults"
fi

# ---- 3.-5. real builds of a copy of examples/relu ------------------------------------------

relu=$TEMPLATE
bundle=$relu/build/$CPU211
BUILD=(build "$relu" --variant "$CPU211")
TMPFS=''

# The build dir on a small tmpfs, when this machine lets us mount one (for the full disk).
if want disk || want kills || want concurrency; then
  mkdir -p "$relu/build"
  if mount -t tmpfs -o size=192m kb-reliability "$relu/build" 2>/dev/null; then
    TMPFS=$relu/build
    trap 'rc=$?; umount -l "$TMPFS" 2>/dev/null; (exit $rc); cleanup' EXIT
  fi
fi

# bundle_valid LABEL [DIR]: the bundle (default: the CPU 2.11 one) is complete: metadata.json
# with an id, __init__.py, _ops.py, one .so.
bundle_valid() {
  local b=${2:-$bundle}
  [[ -f $b/metadata.json && -f $b/__init__.py && -f $b/_ops.py ]] ||
    fail "$1: incomplete bundle $b: $(ls -A "$b" 2>&1 | tr '\n' ' ')"
  python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["id"]' "$b/metadata.json" ||
    fail "$1: $b/metadata.json has no id"
  [[ $(find "$b" -maxdepth 1 -name '*.abi3.so' | wc -l) -eq 1 ]] || fail "$1: $b has not one .so"
}

# no_orphans LABEL: no process works on the build dir (ninja, a compiler, the linker,
# kb internal-bundle) within 10 s.
no_orphans() {
  for _ in $(seq 1 100); do
    pgrep -f -- "$relu/build/\.kb" >/dev/null || return 0
    sleep 0.1
  done
  bad "$1: left running 10 s after kb exited: $(pgrep -af -- "$relu/build/\.kb" | head -5)"
  # Let them end before the next trial (they are ours: the build's own processes).
  for _ in $(seq 1 1800); do
    pgrep -f -- "$relu/build/\.kb" >/dev/null || return 0
    sleep 0.1
  done
}

# ninja_entries PATTERN: how many .ninja_log lines name an output matching PATTERN.
ninja_entries() { grep -c -- "$1" "$relu/build/.kb/.ninja_log" 2>/dev/null || true; }

# locked_out FILE: kb's output in FILE says another kb holds the build dir.
locked_out() { grep -q 'another kb is building here' "$1"; }

KILLS=0
# kill_trial LABEL SIGNAL kb|group PATTERN: starts the build in its own process group, waits
# (up to 90 s) for a process matching PATTERN, sends SIGNAL to kb or to the whole group, and
# checks the exit code, that nothing is left running and that the bundle is valid.
kill_trial() {
  local label=$1 sig=$2 whom=$3 pattern=$4 rc=0 hit=0 before after
  before=$(tree_digest "$bundle")
  setsid "$KB" "${BUILD[@]}" >"$E2E_TMP/kill-$label.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 1800); do
    if pgrep -f -- "$pattern" >/dev/null; then
      hit=1
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ $whom == kb ]]; then kill -s "$sig" "$pid" 2>/dev/null || hit=0; else kill -s "$sig" -- "-$pid" 2>/dev/null || hit=0; fi
  wait "$pid" 2>/dev/null || rc=$?  # (no "Killed" job notice from bash)
  local show="kb exited $rc; its output:"$'\n'"$(tail -20 "$E2E_TMP/kill-$label.log")"
  no_orphans "kill $label"
  bundle_valid "kill $label"
  after=$(tree_digest "$bundle")
  if ((hit == 0)); then
    echo "   $label: the build ended before SIG$sig reached it (exit $rc)"
    ((rc == 0)) || fail "kill $label: the unsignalled build failed. $show"
    return
  fi
  case $sig in
    INT) ((rc == 130)) || bad "kill $label: SIGINT must end kb with 130 (interrupted). $show" ;;
    TERM) ((rc == 130 || rc == 143)) || bad "kill $label: SIGTERM must end kb with 143 or 130. $show" ;;
    KILL) ((rc == 137)) || bad "kill $label: expected 137 after SIGKILL. $show" ;;
  esac
  echo "   $label: SIG$sig to $whom, exit $rc, bundle $([[ $before == "$after" ]] && echo unchanged || echo "replaced by a complete one")"
  KILLS=$((KILLS + 1))
  counted kill-trials
}

if want kills || want concurrency || want disk; then
  export KB_TORCH=$TORCH_211
  step "a good build of the CPU variant${TMPFS:+ (build dir on a 192 MB tmpfs)}"
  t0=$SECONDS
  kb_ok "${BUILD[@]}"
  bundle_valid "first build"
  echo "   cold CPU build: $((SECONDS - t0)) s"
fi

if want kills; then
  binding="$relu/torch-ext/torch_binding\.cpp"
  link="-shared.* -o $relu/build/\.kb/"
  bundler="internal-bundle $relu/build/\.kb/"
  step "kill trials: during the binding's compile"
  for t in int-kb:INT:kb int-group:INT:group term-kb:TERM:kb term-group:TERM:group; do
    IFS=: read -r label sig whom <<<"$t"
    touch "$relu/torch-ext/torch_binding.cpp"
    kill_trial "compile-$label" "$sig" "$whom" "$binding"
  done

  step "kill trials: during the link"
  kb_ok "${BUILD[@]}"
  for t in term-group:TERM:group int-kb:INT:kb kill-group:KILL:group; do
    IFS=: read -r label sig whom <<<"$t"
    touch "$relu/relu_cpu/relu_cpu.cpp"
    kill_trial "link-$label" "$sig" "$whom" "$link"
  done

  step "kill trials: during the bundle step (a 96 MB Python file makes it last)"
  head -c $((96 << 20)) /dev/zero | tr '\0' '#' >"$relu/torch-ext/relu/big_comment.py"
  kb_ok "${BUILD[@]}"
  for t in int-group:INT:group kill-group:KILL:group term-kb:TERM:kb; do
    IFS=: read -r label sig whom <<<"$t"
    touch "$relu/torch-ext/relu/big_comment.py"
    kill_trial "bundle-$label" "$sig" "$whom" "$bundler"
  done
  rm "$relu/torch-ext/relu/big_comment.py"
  report_failures "kill trials"

  step "after the kills, the next build is correct and loads"
  kb_ok "${BUILD[@]}"
  bundle_valid "next build"
  no_orphans "next build"
  [[ ! -e $bundle/big_comment.py ]] || fail "the bundle still has the removed big_comment.py"
  "$TORCH_211/bin/python" - "$bundle" <<'PY' || fail "the rebuilt CPU bundle does not compute relu"
import sys
from pathlib import Path
import kernels, torch
relu = kernels.get_local_kernel(Path(sys.argv[1]))
x = torch.tensor([-2.0, -0.5, 0.0, 1.5])
assert torch.equal(relu.relu(x), torch.relu(x))
PY
fi

if want concurrency; then
  step "concurrent builds: the same variant twice"
  touch "$relu/relu_cpu/relu_cpu.cpp"
  compiled=$(ninja_entries 'relu_cpu/relu_cpu\.cpp\.o')
  "$KB" "${BUILD[@]}" >"$E2E_TMP/same-a.log" 2>&1 & a=$!
  "$KB" "${BUILD[@]}" >"$E2E_TMP/same-b.log" 2>&1 & b=$!
  ra=0 rb=0
  wait $a || ra=$?
  wait $b || rb=$?
  for r in "a:$ra" "b:$rb"; do
    IFS=: read -r who rc <<<"$r"
    log=$E2E_TMP/same-$who.log
    ((rc == 0)) || { ((rc == 1)) && locked_out "$log"; } ||
      bad "same variant: build $who exited $rc without saying the build dir is taken:"$'\n'"$(tail -20 "$log")"
    ((rc != 0)) || [[ $(tail -1 "$log") == "$bundle" ]] || bad "same variant: build $who did not print its bundle"
  done
  ((ra == 0 || rb == 0)) || bad "same variant: neither build succeeded"
  now=$(ninja_entries 'relu_cpu/relu_cpu\.cpp\.o')
  ((now - compiled == 1)) || bad "same variant: relu_cpu.cpp was compiled $((now - compiled)) times (expected once)"
  bundle_valid "same variant"
  counted concurrency

  step "concurrent builds: two variants (Torch 2.11 and 2.14)"
  export KB_TORCH=$TORCH_211:$TORCH_214
  touch "$relu/relu_cpu/relu_cpu.cpp"
  sleep 1 # a stamp written by this run is newer than `start`
  start=$(date +%s)
  "$KB" build "$relu" --variant "$CPU211" >"$E2E_TMP/two-211.log" 2>&1 & a=$!
  "$KB" build "$relu" --variant "$CPU214" >"$E2E_TMP/two-214.log" 2>&1 & b=$!
  ra=0 rb=0
  wait $a || ra=$?
  wait $b || rb=$?
  for r in "$CPU211:$ra" "$CPU214:$rb"; do
    IFS=: read -r v rc <<<"$r"
    log=$E2E_TMP/two-${v:5:3}.log
    if ((rc == 0)); then
      [[ $(tail -1 "$log") == "$relu/build/$v" ]] || bad "two variants: the build of $v printed $(tail -1 "$log")"
      bundle_valid "two variants ($v)" "$relu/build/$v"
      stamp=$relu/build/.kb/$v/bundle.stamp
      (($(stat -c %Y "$stamp") >= start)) || bad "two variants: kb said $v was built, but its bundle is stale"
    else
      ((rc == 1)) && locked_out "$log" ||
        bad "two variants: the build of $v exited $rc without saying the build dir is taken:"$'\n'"$(tail -20 "$log")"
    fi
  done
  ((ra == 0 || rb == 0)) || bad "two variants: neither build succeeded"
  # Whatever ran, building both now gives both, and again does nothing.
  kb_ok build "$relu" --variant "$CPU211" --variant "$CPU214"
  entries=$(wc -l <"$relu/build/.kb/.ninja_log")
  kb_ok build "$relu" --variant "$CPU211" --variant "$CPU214"
  (($(wc -l <"$relu/build/.kb/.ninja_log") == entries)) || bad "two variants: a repeated build did work"
  counted concurrency
  export KB_TORCH=$TORCH_211

  step "concurrent builds: kb clean while kb builds"
  touch "$relu/relu_cpu/relu_cpu.cpp"
  "$KB" "${BUILD[@]}" >"$E2E_TMP/bc-build.log" 2>&1 & a=$!
  for _ in $(seq 1 600); do
    pgrep -f -- "$relu/relu_cpu/relu_cpu\.cpp" >/dev/null && break
    sleep 0.05
  done
  rc=0
  "$KB" clean "$relu" >"$E2E_TMP/bc-clean.log" 2>&1 || rc=$?
  ((rc == 0)) || { ((rc == 1)) && locked_out "$E2E_TMP/bc-clean.log"; } ||
    bad "build + clean: kb clean exited $rc:"$'\n'"$(tail -20 "$E2E_TMP/bc-clean.log")"
  rb=0
  wait $a || rb=$?
  ((rb == 0)) || { ((rb == 1)) && locked_out "$E2E_TMP/bc-build.log"; } ||
    bad "build + clean: the build exited $rb (clean pulled the build dir from under it?):"$'\n'"$(tail -20 "$E2E_TMP/bc-build.log")"
  no_orphans "build + clean"
  kb_ok "${BUILD[@]}"
  bundle_valid "after build + clean"
  counted concurrency
  report_failures "concurrent builds"
fi

if want disk; then
  if [[ -z $TMPFS ]]; then
    echo "   full disk: skipped, mount -t tmpfs is not permitted here (the unit tests" \
      "RealDiskTest.Failed* and NativeBackend.FailureOnANearlyFullDisk* cover it)"
  else
    step "a full disk: the bundle step"
    kb_ok "${BUILD[@]}"
    before=$(tree_digest "$bundle")
    head -c $((1 << 30)) /dev/zero >"$TMPFS/filler" 2>/dev/null || true
    echo "   $(df -k "$TMPFS" | tail -1 | awk '{print $4}') KiB left on the tmpfs"
    touch "$relu/torch-ext/relu/__init__.py"
    rc=0
    run_kb "${BUILD[@]}" || rc=$?
    ((rc == 1)) || fail "full disk (bundle): expected exit 1, got $rc:"$'\n'"$(kb_out | tail -20)"
    kb_out | grep -q 'No space left on device' || fail "full disk (bundle): no 'No space left on device':"$'\n'"$(kb_out | tail -20)"
    ! kb_out | grep -q ': Success' || fail "full disk (bundle): kb reports 'Success' for a failure:"$'\n'"$(kb_out | tail -20)"
    [[ $(tree_digest "$bundle") == "$before" ]] || fail "full disk (bundle): the previous bundle changed"
    counted full-disk

    step "a full disk: compile, link and bundle"
    # Room for relu_cpu.cpp's depfile (the new object replaces the old one), not for much
    # more: a compile, the link (lld removes its old output first) or the bundle fails.
    truncate -s -8192 "$TMPFS/filler"
    echo "   $(df -k "$TMPFS" | tail -1 | awk '{print $4}') KiB left; the .so has $(($(stat -c %s "$bundle"/*.abi3.so) / 1024)) KiB"
    touch "$relu/relu_cpu/relu_cpu.cpp"
    rc=0
    run_kb "${BUILD[@]}" || rc=$?
    ((rc == 1)) || fail "full disk (build): expected exit 1, got $rc:"$'\n'"$(kb_out | tail -20)"
    kb_out | grep -q 'KiB available' || fail "full disk (build): kb does not say the disk is full:"$'\n'"$(kb_out | tail -20)"
    echo "   the failed step: $(kb_out | grep -m1 -E '^FAILED: ' | sed "s|$relu/build/.kb/||")"
    [[ $(tree_digest "$bundle") == "$before" ]] || fail "full disk (build): the previous bundle changed"
    no_orphans "full disk"
    counted full-disk

    step "a full disk: with space again, the build is correct"
    rm "$TMPFS/filler"
    kb_ok "${BUILD[@]}"
    bundle_valid "after the full disk"
  fi
fi

summary=""
for c in "${!CLASS_COUNT[@]}"; do summary+=" $c=${CLASS_COUNT[$c]}"; done
echo "reliability: OK: $CASES cases in ${#CLASS_COUNT[@]} classes ($(tr ' ' '\n' <<<"$summary" | sort | tr '\n' ' ')), $KILLS kill trials, $((SECONDS - SUITE_START)) s"
