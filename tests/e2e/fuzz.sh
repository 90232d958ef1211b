#!/bin/bash
# The bounded fuzz run of CI (docs/reliability.md, "Fuzzing"): builds tests/fuzz/kb_fuzz with
# clang, ASan and UBSan in a second build dir (<builddir>-fuzz, -Dfuzz=true), then runs
# libFuzzer for KB_FUZZ_SECONDS (default 90) from the seed corpus: tests/fuzz/corpus, the
# config files of tests/data/config and every crasher kept in tests/fuzz/crashers. Any
# crash, sanitizer report, leak or broken promise of the pipeline fails the test; libFuzzer's
# input is kept and named, to be added to tests/fuzz/crashers (the unit test
# FuzzRegression replays each one). Prints the run's execs, execs/s and coverage.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v clang++ >/dev/null || skip "clang++ not found (Debian: apt install clang)"
rt=$(clang++ -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
[[ -f $rt ]] || skip "libFuzzer not found (Debian: apt install libclang-rt-14-dev)"

seconds=${KB_FUZZ_SECONDS:-90}
fuzz_dir=${KB_BUILD_ROOT%/}-fuzz
fuzz=$fuzz_dir/tests/fuzz/kb_fuzz

step "build the fuzz target in $fuzz_dir"
t0=$SECONDS
if [[ ! -f $fuzz_dir/build.ninja ]]; then
  rm -rf "$fuzz_dir"
  CXX=clang++ CC=clang meson setup "$fuzz_dir" "$KB_SOURCE_ROOT" -Dfuzz=true -Dpython=disabled \
    --buildtype=plain >"$E2E_TMP/setup.log" 2>&1 || {
    cat "$E2E_TMP/setup.log" >&2
    fail "meson setup of the fuzz build failed"
  }
fi
ninja -C "$fuzz_dir" -j "$(nproc)" tests/fuzz/kb_fuzz >"$E2E_TMP/build.log" 2>&1 || {
  tail -40 "$E2E_TMP/build.log" >&2
  fail "building kb_fuzz failed"
}
echo "   built in $((SECONDS - t0)) s"

step "fuzz for $seconds s"
corpus=$fuzz_dir/corpus # grows from run to run while the build dir lives
mkdir -p "$corpus" "$E2E_TMP/artifacts"
rc=0
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -dict="$KB_SOURCE_ROOT/tests/fuzz/build-toml.dict" \
  -artifact_prefix="$E2E_TMP/artifacts/" \
  "$corpus" "$KB_SOURCE_ROOT/tests/fuzz/corpus" "$KB_SOURCE_ROOT/tests/fuzz/crashers" \
  "$KB_SOURCE_ROOT/tests/data/config/valid" "$KB_SOURCE_ROOT/tests/data/config/invalid" \
  >"$E2E_TMP/fuzz.log" 2>&1 || rc=$?
if ((rc != 0)); then
  grep -E 'ERROR|kb_fuzz:|SUMMARY|#[0-9]+' "$E2E_TMP/fuzz.log" | tail -30 >&2
  kept=$KB_BUILD_ROOT/fuzz-artifacts
  mkdir -p "$kept" && cp "$E2E_TMP"/artifacts/* "$kept/" 2>/dev/null || true
  fail "libFuzzer exited $rc; the input is in $kept/ (add it to tests/fuzz/crashers)"
fi
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$E2E_TMP/fuzz.log" | tail -1)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$E2E_TMP/fuzz.log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$E2E_TMP/fuzz.log")
cov=$(sed -E -n 's/.* cov: ([0-9]+) .*/\1/p' <<<"$done_line")
ft=$(sed -E -n 's/.* ft: ([0-9]+) .*/\1/p' <<<"$done_line")
units=$(sed -E -n 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
echo "fuzz: OK: $execs execs in $seconds s ($rate/s), cov: $cov ft: $ft, corpus: $units inputs"
