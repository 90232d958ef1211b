#!/bin/bash
# kb check-abi on real bundles (docs/abi.md): every bundle kb builds of examples/relu and
# examples/fused-ops passes manylinux_2_28 / abi3 3.9 / the stable ABI, the bundles still
# pass their own tests, and a library built the old way (g++ on glibc >= 2.32, no compat
# object) fails with __libc_single_threaded@GLIBC_2.32 named. Skips (77) until the CLI
# has a check-abi command.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$KB" check-abi --help >/dev/null 2>&1 || skip "this kb has no check-abi command"
require_torch_venvs
command -v g++ >/dev/null || skip "no g++"

for example in relu fused-ops; do
  dir=$(copy_example "$example")
  step "kb build examples/$example"
  kb_ok build "$dir"
  kb_out | grep -E 'abi (ok|FAIL)' || fail "kb build printed no abi verdict for $example"
  step "kb check-abi examples/$example"
  kb_ok check-abi "$dir" --json
  kb_out | python3 -c '
import json, sys
verdicts = json.load(sys.stdin)
assert verdicts, "no variant checked"
for v in verdicts:
    assert v["ok"], v
    assert v["manylinux"] == "manylinux_2_28" and v["python_abi"] == "3.9", v
    if v["variant"].startswith("torch-stable-abi"):
        assert v["torch_stable_abi"], v
    print("ok", v["variant"], [l["path"] for l in v["libraries"]])
' || fail "check-abi on $example: $(kb_out)"
  kb_out_matches_schema check-abi.schema.json
  for venv in ${KB_TORCH//:/ }; do
    step "$example tests with $venv"
    KB_KERNEL_BUILD=$dir/build "$venv/bin/python" -m pytest -q -p no:cacheprovider "$dir/tests" ||
      fail "the $example tests failed with $venv"
  done
done

# A bundle built the old way: the relu CPU variant with its library relinked without the
# compat object (only meaningful where glibc's headers have sys/single_threaded.h).
if [[ -f /usr/include/x86_64-linux-gnu/sys/single_threaded.h || -f /usr/include/sys/single_threaded.h ]]; then
  step "a library without the compat object fails"
  old=$E2E_TMP/old/build/torch211-cxx11-cpu-x86_64-linux
  mkdir -p "$old"
  echo '{}' >"$old/metadata.json"
  printf '#include <memory>\nextern "C" long kb_use(long n) { auto p = std::make_shared<long>(n); auto q = p; return *q + q.use_count(); }\n' >"$E2E_TMP/old.cc"
  g++ -std=c++17 -O2 -fPIC -shared "$E2E_TMP/old.cc" -o "$old/_old.abi3.so" || fail "g++ failed"
  if run_kb check-abi "$E2E_TMP/old"; then fail "check-abi passed a library needing GLIBC_2.32: $(kb_out)"; fi
  kb_out | grep -q '__libc_single_threaded@GLIBC_2.32' || fail "check-abi did not name the symbol: $(kb_out)"
  run_kb check-abi "$E2E_TMP/old" --json || true
  kb_out_matches_schema check-abi.schema.json
  kb_out | grep -q '"kind": "manylinux"' || fail "check-abi --json did not report the violation: $(kb_out)"
fi
echo "check_abi: OK"
