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

step "an empty rocm-archs, or one naming no supported target, is rejected at its line"
for archs in '[]' '["gfx9999"]'; do
  bad=$E2E_TMP/rocm-archs
  rm -rf "$bad"
  cp -r "$relu" "$bad"
  sed -i "${line}s/^rocm-archs = .*/rocm-archs = $archs/" "$bad/build.toml"
  expect_rejected "$bad" "$line" rocm-archs
done

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

step "cuda-capabilities = [] is rejected at the value"
bad=$E2E_TMP/empty-caps
cp -r "$relu" "$bad"
line=$(grep -n '^src = \["relu_cuda/relu.cu"' "$bad/build.toml" | head -1 | cut -d: -f1)
sed -i "${line}a cuda-capabilities = []" "$bad/build.toml"
expect_rejected "$bad" "$((line + 1))" "is empty"

step "a capability list that serves no target of any CUDA version is rejected"
sed -i "$((line + 1))s/.*/cuda-capabilities = [\"99.9\"]/" "$bad/build.toml"
expect_rejected "$bad" "$((line + 1))" "matches no target of any CUDA version"

step "a pre-edition (v4) file and an entry that serves no target: one note line each"
v4=$E2E_TMP/v4
cp -r "$relu" "$v4"
sed -i "${line}a cuda-capabilities = [\"8.0\", \"11.8\", \"12.0\"]" "$v4/build.toml"
sed -i '/^edition = 5$/d' "$v4/build.toml"  # above: the new line is now line $line
kb_ok check-config "$v4"
[[ $(kb_out | grep -c 'note: pre-edition (v4)') == 1 ]] || { kb_out >&2; fail "no single v4 note"; }
kb_out | grep -qE "build\.toml:$((line)):[0-9]+: note: \"11\.8\" in 'cuda-capabilities'" ||
  { kb_out >&2; fail "no located note for the capability 11.8"; }
if kb_out | grep -q 'warning'; then kb_out >&2; fail "check-config warns about a normal v4 file"; fi

# The remaining steps run kb build, which plans against the Torch installs.
require_torch_venvs

step "a flag with a newline is rejected before build.ninja is written (no injected command runs)"
bad=$E2E_TMP/injection
cp -r "$relu" "$bad"
rm -rf "$bad/build"
line=$(grep -n '^\[kernel.relu_cpu\]' "$bad/build.toml" | cut -d: -f1)
sed -i "${line}a cxx-flags = [\"-DA=1\\\\n  command = touch $E2E_TMP/PWNED #\"]" "$bad/build.toml"
grep -qF 'command = touch' "$bad/build.toml" || fail "the test did not write its hostile flag"
expect_rejected "$bad" "$((line + 1))" "a newline (U+000A) in 'cxx-flags'"
run_kb build "$bad" --generate-only && { kb_out >&2; fail "kb build accepted a flag with a newline"; }
[[ ! -e $E2E_TMP/PWNED ]] || fail "the injected command ran"
[[ ! -e $bad/build/.kb/build.ninja ]] || fail "build.ninja was written for a rejected build.toml"

step "a kernel directory whose path holds a newline is refused by the Ninja writer"
odd=$E2E_TMP/$'odd\nbuild evil: phony'
cp -r "$relu" "$odd"
rm -rf "$odd/build"
run_kb build "$odd" --generate-only && { kb_out >&2; fail "kb wrote build.ninja for a path with a newline"; }
kb_out | grep -qF "Ninja cannot express" || { kb_out >&2; fail "no 'Ninja cannot express' in the message"; }
[[ ! -e $odd/build/.kb/build.ninja ]] || fail "build.ninja was written for an inexpressible path"

echo "check_config: OK"
