#!/bin/bash
# kb build --timings (docs/timings.md), as a person uses it: build examples/relu's CPU
# variant with --timings=trace, check timings.json (every TU of the plan present, a critical
# path ending in the bundle, the bound no larger than the wall time) and the trace, then
# render timings.html in headless Chromium: the DOM must name every TU and mark the critical
# path, and the screenshot must be written. A second build with history shows the expected
# duration in ninja's status line. Skips (77) without Torch or without a Chromium that runs.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_torch_venvs

relu=$(copy_example relu)
cpu=torch211-cxx11-cpu-x86_64-linux
out=$E2E_TMP/out

step "kb build --timings=trace (cold)"
kb_ok build "$relu" --out "$out" --variant "$cpu" --timings=trace -j 2
kb_out | grep -E '^kb: built in [0-9.]+ s \(bound [0-9.]+ s\); slowest: ' ||
  { kb_out >&2; fail "no timings line at the end of the build"; }
for f in timings.html timings.json timings.trace.json; do
  [[ -s $out/.kb/$f ]] || fail "kb build --timings=trace wrote no .kb/$f"
done

step "timings.json: every TU, the critical path, the bound"
"$TORCH_211/bin/python" - "$out/.kb" "$relu" "$cpu" <<'EOF' || fail "timings.json is wrong (see above)"
import json, sys, pathlib
kb, kernel, variant = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
t = json.load(open(kb / "timings.json"))
trace = json.load(open(kb / "timings.trace.json"))
# The TUs of the plan, from the compile database kb writes beside the bundles.
db = json.load(open(kb.parent / "compile_commands.json"))
def name(source):  # a generated source relative to the variant's work dir, else to the kernel dir
    p = pathlib.Path(source).resolve()
    for base in ((kb / variant).resolve(), pathlib.Path(kernel).resolve()):
        if p.is_relative_to(base): return str(p.relative_to(base))
    return str(p)
tus = {name(e["file"]) for e in db if f"/{variant}/" in e["output"]}
names = {j["name"] for j in t["jobs"] if j["kind"] == "compile" and j["variant"] == variant}
ok = True
if not tus or tus != names:
    print("TUs of the plan:", sorted(tus), "\ncompile jobs in timings.json:", sorted(names)); ok = False
kinds = {j["kind"] for j in t["jobs"]}
for k in ("compile", "link", "bundle"):
    if k not in kinds: print("no", k, "job"); ok = False
path = t["critical_path"]
if not path or t["jobs"][path[-1]]["kind"] != "bundle" or t["jobs"][path[0]]["kind"] != "compile":
    print("critical path should run from a compile to the bundle:", [t["jobs"][i]["name"] for i in path]); ok = False
if not all(t["jobs"][i]["critical"] for i in path): print("critical jobs not marked"); ok = False
if not (0 < t["bound_s"] <= t["wall_s"] + 0.05): print("bound", t["bound_s"], "wall", t["wall_s"]); ok = False
if abs(t["bound_s"] - max(t["critical_path_s"], t["sum_s"] / t["slots"])) > 0.01: print("bound formula"); ok = False
if sum(1 for e in trace["traceEvents"] if e["ph"] == "X") != len(t["jobs"]): print("trace events != jobs"); ok = False
print("jobs:", len(t["jobs"]), "TUs:", sorted(names), "critical:", [t["jobs"][i]["name"] for i in path],
      "wall", t["wall_s"], "bound", t["bound_s"])
open(kb.parent.parent / "tus.txt", "w").write("\n".join(sorted(names)) + "\n")
sys.exit(0 if ok else 1)
EOF

if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
  step "timings.json against docs/schema/timings.schema.json"
  /usr/bin/python3 - "$KB_SOURCE_ROOT/docs/schema/timings.schema.json" "$out/.kb/timings.json" <<'EOF' ||
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
EOF
    fail "timings.json does not match its schema"
fi

step "a rebuild with history shows the expected duration"
touch "$relu/relu_cpu/relu_cpu.cpp"
kb_ok build "$relu" --out "$out" --variant "$cpu" -j 2
kb_out | grep -E 'of ~[0-9]+s\]' || { kb_out >&2; fail "no estimate in the status line of a rebuild with history"; }
# --timings was not given: the reports of the first build are left as they were, the line printed.
kb_out | grep -q '^kb: built in ' || fail "no timings line after the rebuild"

step "timings.html in headless Chromium"
chromium=$(command -v chromium || command -v chromium-browser || true)
[[ -n $chromium ]] || skip "no chromium (apt-get install chromium)"
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
       --user-data-dir="$E2E_TMP/chromium-profile")
timeout 120 "$chromium" "${flags[@]}" --dump-dom "file://$out/.kb/timings.html" >"$E2E_TMP/dom.html" 2>"$E2E_TMP/chromium.log" ||
  { tail -5 "$E2E_TMP/chromium.log" >&2; skip "chromium cannot run here"; }
[[ -s $E2E_TMP/dom.html ]] || skip "chromium printed no DOM"
while read -r tu; do
  grep -qF "$tu" "$E2E_TMP/dom.html" || fail "the rendered page does not name $tu"
done <"$E2E_TMP/tus.txt"
grep -q 'class="job critical"' "$E2E_TMP/dom.html" || fail "the rendered page marks no job as critical"
grep -q '<h2>Critical path</h2>' "$E2E_TMP/dom.html" || fail "the rendered page has no critical path list"
timeout 120 "$chromium" "${flags[@]}" --hide-scrollbars --window-size=1300,1100 \
  --screenshot="$E2E_TMP/timings.png" "file://$out/.kb/timings.html" >>"$E2E_TMP/chromium.log" 2>&1 ||
  fail "chromium could not take the screenshot"
[[ -s $E2E_TMP/timings.png ]] || fail "no screenshot written"
[[ -z ${KB_TIMINGS_SCREENSHOT:-} ]] || cp "$E2E_TMP/timings.png" "$KB_TIMINGS_SCREENSHOT"
echo "PASS: timings report of relu ($(wc -l <"$E2E_TMP/tus.txt") TUs) rendered; screenshot $(stat -c %s "$E2E_TMP/timings.png") bytes"
