#!/bin/bash
# kb check-config accepts the examples and rejects broken copies with located messages.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for example in relu fused-ops; do
  step "check-config accepts examples/$example"
  dir=$(copy_example "$example")
  kb_ok check-config "$dir"
done

relu=$E2E_TMP/relu

# expect_rejected DIR LINE WORD: check-config must fail, locating the error at LINE of
# build.toml and naming WORD.
expect_rejected() {
  local dir=$1 line=$2 word=$3
  if run_kb check-config "$dir"; then
    kb_out >&2
    fail "check-config accepted $dir/build.toml (expected an error at line $line)"
  fi
  kb_out | grep -qE "build\.toml:$line:[0-9]+:" || {
    kb_out >&2
    fail "no 'build.toml:$line:COL:' location in kb's message"
  }
  kb_out | grep -qF "$word" || {
    kb_out >&2
    fail "kb's message does not name '$word'"
  }
}

step "a misspelled key is rejected with its line and column"
bad=$E2E_TMP/misspelled
cp -r "$relu" "$bad"
line=$(grep -n '^rocm-archs' "$bad/build.toml" | cut -d: -f1)
[[ -n $line ]] || fail "examples/relu/build.toml has no rocm-archs line"
sed -i "${line}s/^rocm-archs/rocm-arch/" "$bad/build.toml"
expect_rejected "$bad" "$line" rocm-arch

step "an unknown key in [general] is rejected"
bad=$E2E_TMP/unknown-general
cp -r "$relu" "$bad"
line=$(grep -n '^license' "$bad/build.toml" | cut -d: -f1)
sed -i "${line}s/^license/licence/" "$bad/build.toml"
expect_rejected "$bad" "$line" licence

step "a source file that does not exist is rejected"
bad=$E2E_TMP/missing-source
cp -r "$relu" "$bad"
rm "$bad/relu_cpu/relu_cpu.cpp"
line=$(grep -n 'relu_cpu/relu_cpu.cpp' "$bad/build.toml" | cut -d: -f1)
expect_rejected "$bad" "$line" relu_cpu/relu_cpu.cpp

step "a TOML syntax error is rejected"
bad=$E2E_TMP/syntax
cp -r "$relu" "$bad"
line=$(grep -n '^\[kernel.relu_cpu\]' "$bad/build.toml" | cut -d: -f1)
sed -i "${line}s/.*/[kernel.relu_cpu/" "$bad/build.toml"
expect_rejected "$bad" "$line" build.toml

echo "check_config: OK"
