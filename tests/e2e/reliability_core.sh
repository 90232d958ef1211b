#!/bin/bash
# What kb promises in docs/reliability.md, checked with the real binary and real processes:
# malformed TOML and files that are no regular files give located errors (never an abort or
# a hang); a damaged toolchain cache is probed again; a hanging Torch interpreter is stopped
# at the probe time limit; the build dir lock; SIGTERM, SIGINT and SIGKILL during a real
# build. Every wait is bounded. The parts that need a Torch venv come last and are skipped
# (exit 77) when there is none.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# expect_error RC PATTERN ARGS...: kb ARGS exits RC (within 60 s) and prints PATTERN.
expect_error() {
  local want=$1 pattern=$2 rc=0
  shift 2
  echo "\$ kb $*" >>"$E2E_TMP/kb.log"
  timeout 60 "$KB" "$@" >"$E2E_TMP/kb.out" 2>&1 || rc=$?
  cat "$E2E_TMP/kb.out" >>"$E2E_TMP/kb.log"
  [[ $rc -ne 124 ]] || fail "kb $* did not finish within 60 s"
  [[ $rc -eq $want ]] || {
    kb_out >&2
    fail "kb $* exited $rc, expected $want"
  }
  kb_out | grep -qE -- "$pattern" || {
    kb_out >&2
    fail "kb $* did not say /$pattern/"
  }
}

step "toml++ is included only through src/toml.h (one TOML_ASSERT for every user)"
cd "$KB_SOURCE_ROOT"
direct=$(grep -rlE '#include[[:space:]]*[<"]toml\+\+/' src toolchains backends python tests include | sort)
[[ $direct == src/toml.h ]] || fail "toml++ included directly by: $direct"
users=$(grep -rlE '#include[[:space:]]*"src/toml.h"' src toolchains backends python tests include | sort | tr '\n' ' ')
[[ $users == "src/config.cc src/config_reader.h tests/toml_guard_test.cc " ]] ||
  fail "src/toml.h included by: $users"
cd - >/dev/null

step "one-character TOML typos are errors at their position, not aborts"
typo_dir=$E2E_TMP/typo
mkdir -p "$typo_dir"
check_typo() {
  printf '%s\n' "$1" >"$typo_dir/build.toml"
  expect_error 1 "build\.toml:$2: error: invalid TOML: unexpected" check-config "$typo_dir"
}
check_typo '[.general]' 1:2
check_typo 'backends = ["cpu", }' 1:20
check_typo 'c=["",}' 1:7
check_typo 'n=1979-05-27 1' 1:15
check_typo 'n=0990-05-27T:' 1:14

step "build.toml that is a FIFO, /dev/zero or too large: an error, not a hang or bad_alloc"
odd=$E2E_TMP/odd
mkdir -p "$odd"
mkfifo "$odd/build.toml"
expect_error 1 "it is a FIFO, not a regular file" check-config "$odd"
rm "$odd/build.toml"
ln -s /dev/zero "$odd/build.toml"
expect_error 1 "it is a character device, not a regular file" check-config "$odd"
rm "$odd/build.toml"
head -c $((5 << 20)) /dev/zero | tr '\0' '#' >"$odd/build.toml"
expect_error 1 "it is 5\.0 MiB, more than the 4\.0 MiB kb reads" check-config "$odd"

step "a FIFO named in src: an error at its entry"
fifo_kernel=$(copy_example relu)
rm "$fifo_kernel/relu_cpu/relu_cpu.h"
mkfifo "$fifo_kernel/relu_cpu/relu_cpu.h"
line=$(grep -n '^src = \["relu_cpu/relu_cpu.cpp"' "$fifo_kernel/build.toml" | cut -d: -f1)
expect_error 1 "build\.toml:$line:[0-9]+: error: 'relu_cpu/relu_cpu.h' named in \[kernel\.relu_cpu\] src is not a regular file" \
  check-config "$fifo_kernel"

step "a KB_TORCH interpreter that never answers is stopped at KB_PROBE_TIMEOUT"
mkdir -p "$E2E_TMP/stuck/bin"
printf '#!/bin/sh\nexec sleep 600\n' >"$E2E_TMP/stuck/bin/python"
chmod +x "$E2E_TMP/stuck/bin/python"
KB_PROBE_TIMEOUT=2 expect_error 0 "stuck/bin/python -c <script>' did not finish within 2 s and was stopped" \
  toolchains --torch "$E2E_TMP/stuck" --no-cache
KB_PROBE_TIMEOUT=2 expect_error 0 "did not finish within 2 s" toolchains --torch "$E2E_TMP/stuck"
[[ ! -e $KB_CACHE_DIR/toolchains.json ]] || fail "an answer with a timed-out probe was cached"
pgrep -f "$E2E_TMP/stuck" >/dev/null && fail "the stuck interpreter is still running"
KB_PROBE_TIMEOUT=soon expect_error 1 "KB_PROBE_TIMEOUT must be a number of seconds" toolchains

step "a toolchain cache entry with wrongly typed fields is probed again and rewritten"
kb_ok toolchains --json
cache=$KB_CACHE_DIR/toolchains.json
[[ -f $cache ]] || fail "kb toolchains wrote no cache"
for field in exists is_dir mtime_ns size path; do
  python3 - "$cache" "$field" <<'EOF'
import json, sys
path, field = sys.argv[1:]
doc = json.load(open(path))
doc["entries"][0]["witnesses"][0][field] = "yes"
json.dump(doc, open(path, "w"))
EOF
  kb_ok toolchains --json
  python3 - "$cache" "$field" <<'EOF' || fail "the damaged $field was not rewritten"
import json, sys
path, field = sys.argv[1:]
w = json.load(open(path))["entries"][0]["witnesses"][0]
assert w[field] != "yes", w
EOF
done

step "the build dir lock: a second kb fails at once, naming the holder; --wait waits"
lock_kernel=$(copy_example relu)
lock=$lock_kernel/build/.kb/lock
mkdir -p "$(dirname "$lock")"
# A stand-in for another kb: holds the lock (flock) with its pid written in the file.
hold_lock() { # SECONDS
  (
    exec 9<>"$lock"
    flock 9
    echo "$BASHPID" >&9
    touch "$E2E_TMP/held"
    sleep "$1" 9>&- # the lock goes with this shell, not with its sleep
  ) &
  holder=$!
  for _ in $(seq 1 100); do [[ -f $E2E_TMP/held ]] && break; sleep 0.1; done
  rm -f "$E2E_TMP/held"
}
hold_lock 30
expect_error 1 "another kb is building here \(pid $holder\)" build "$lock_kernel" --generate-only
expect_error 1 "another kb is building here \(pid $holder\)" clean "$lock_kernel"
kill "$holder"
wait "$holder" 2>/dev/null || true

# The rest builds a real kernel: it needs a Torch venv.
torch=''
IFS=: read -ra candidates <<<"${KB_TORCH:-$(. "$KB_BUILD_ROOT/kb-env.sh" 2>/dev/null && echo "${KB_TORCH:-}")}"
for venv in "${candidates[@]}" "${KB_DEPS:-$HOME/.cache/kb-deps}/torch-2.11"; do
  if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    torch=$venv
    break
  fi
done
[[ -n $torch ]] || skip "no Torch venv for the lock --wait, signal and kill checks (the checks above passed)"
export KB_TORCH=$torch
tv=$("$torch/bin/python" -c 'import torch; print("".join(torch.__version__.split(".")[:2]))')
cpu=torch$tv-cxx11-cpu-x86_64-linux

hold_lock 3
expect_error 0 "waiting for the kb building in .* \(pid $holder\)" build "$lock_kernel" --generate-only --wait
wait "$holder" 2>/dev/null || true

step "a first build of $cpu"
relu=$(copy_example relu)
kb_ok build "$relu" --variant "$cpu" -j2
good=$(tree_digest "$relu/build/$cpu")

# start_build: starts `kb build` of $cpu after touching the binding (so it recompiles),
# in a session of its own (its pid is its process group), and waits until the binding's
# compile runs. Sets $kb.
start_build() {
  touch "$relu/torch-ext/torch_binding.cpp"
  setsid "$KB" build "$relu" --variant "$cpu" -j2 >"$E2E_TMP/build.log" 2>&1 &
  kb=$!
  for _ in $(seq 1 300); do
    pgrep -f "$relu/torch-ext/torch_binding.cpp" >/dev/null && return 0
    sleep 0.1
  done
  cat "$E2E_TMP/build.log" >&2
  fail "the binding's compile did not start within 30 s"
}

# nothing_left: no process of this build (ninja, g++) runs, waiting up to 15 s.
nothing_left() {
  for _ in $(seq 1 150); do
    pgrep -f "$relu/" >/dev/null || return 0
    sleep 0.1
  done
  pgrep -af "$relu/" >&2 || true
  fail "$1: processes of the build are still running"
}

# finished_with RC PATTERN: kb (started by start_build) exits RC and said PATTERN.
finished_with() {
  local rc=0
  wait "$kb" || rc=$?
  [[ $rc -eq $1 ]] || {
    cat "$E2E_TMP/build.log" >&2
    fail "kb exited $rc, expected $1"
  }
  grep -q -- "$2" "$E2E_TMP/build.log" || {
    cat "$E2E_TMP/build.log" >&2
    fail "kb did not say '$2'"
  }
  if grep -q "build failed" "$E2E_TMP/build.log"; then
    cat "$E2E_TMP/build.log" >&2
    fail "an interruption was reported as a failed build"
  fi
}

unchanged() {
  [[ $(tree_digest "$relu/build/$cpu") == "$good" ]] || fail "$1: the previous bundle changed"
}

step "a second kb on the same build dir while the first builds: it fails at once"
start_build
expect_error 1 "another kb is building here \(pid $kb\)" build "$relu" --variant "$cpu"
kill -TERM "$kb"
finished_with 143 "kb: interrupted (SIGTERM)"
nothing_left "after SIGTERM"

step "SIGTERM to kb alone: passed to ninja, waited for, exit 143"
start_build
kill -TERM "$kb"
finished_with 143 "kb: interrupted (SIGTERM): ninja stopped"
nothing_left "after SIGTERM"
unchanged "after SIGTERM"

step "SIGINT to kb's process group (a terminal's Ctrl-C): exit 130, reported as an interruption"
start_build
kill -INT -- "-$kb"
finished_with 130 "kb: interrupted (SIGINT)"
nothing_left "after Ctrl-C"
unchanged "after Ctrl-C"

step "SIGKILL to kb: ninja and its jobs stop too, and no bundle is swapped afterwards"
start_build
kill -KILL "$kb"
wait "$kb" 2>/dev/null || true
nothing_left "after SIGKILL"
sleep 2
unchanged "after SIGKILL"

step "the next build is correct"
kb_ok build "$relu" --variant "$cpu" -j2
kb_out | grep -q "$relu/build/$cpu" || fail "kb did not print the bundle"
[[ -f $relu/build/$cpu/metadata.json ]] || fail "no metadata.json in the rebuilt bundle"
kb_ok clean "$relu"
[[ ! -e $relu/build/.kb ]] || fail "kb clean left build/.kb"

echo "reliability_core: OK"
