#!/bin/bash
# kb build of both examples: bundle layout, metadata.json, digest, the archs in each .so,
# loading through the kernels loader in the matching Torch, and the examples' own tests.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_nvcc
require_torch_venvs
command -v readelf >/dev/null || skip "readelf (binutils) not found"

# check_bundles DIR MOD EXTRA_PY: checks every bundle kb wrote under DIR/build against the
# matrix (kb matrix --json) and the reference layout.
check_bundles() {
  local dir=$1 mod=$2 extra_py=$3
  kb_ok matrix --json "$dir"
  kb_out >"$E2E_TMP/$mod-matrix.json"
  "$TORCH_211/bin/python" - "$dir" "$mod" "$extra_py" "$E2E_TMP/$mod-matrix.json" \
    "$(tree_id "$dir")" "$(git -C "$dir" rev-parse HEAD)" <<'EOF' || fail "bundles of $mod are not as expected"
import base64, hashlib, json, re, subprocess, sys, tomllib
from pathlib import Path

kernel_dir, mod, extra_py, matrix_file, tree, commit = sys.argv[1:]
build = Path(kernel_dir) / "build"
matrix = {v["name"]: v for v in json.load(open(matrix_file))["variants"]}
found = sorted(p.name for p in build.iterdir() if p.is_dir() and not p.name.startswith("."))
assert found == sorted(matrix), f"bundles {found} != matrix {sorted(matrix)}"
extra = set(extra_py.split()) if extra_py else set()
config = tomllib.loads((Path(kernel_dir) / "build.toml").read_text())
objects = list((build / ".kb").rglob("*.o"))
KEY_ORDER = ["name", "id", "version", "license", "upstream", "source", "python-depends",
             "kernel-depends", "backend", "digest", "provenance"]

def fatbin_archs(path):
    out = subprocess.run(["readelf", "-p", ".nv_fatbin", str(path)],
                         capture_output=True).stdout.decode("latin-1")
    return set(re.findall(r"sm_[0-9]+[af]?", out))

def sm(arch):  # "9.0a" -> sm_90a, "12.1+PTX" -> sm_121
    return "sm_" + arch.replace("+PTX", "").replace(".", "")

for name, variant in sorted(matrix.items()):
    bundle = build / name
    backend = variant["backend"]
    files = sorted(str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file())
    sos = [f for f in files if f.endswith(".so")]
    assert len(sos) == 1, f"{name}: expected one .so, found {sos}"
    so = sos[0]
    assert re.fullmatch(rf"_{mod}_{backend}_[0-9a-z_]+\.abi3\.so", so), f"{name}: {so}"
    want_files = sorted({"__init__.py", "_ops.py", "metadata.json", so} | extra)
    assert files == want_files, f"{name}: files {files}, expected {want_files}"
    assert not any(f.endswith(".pyi") for f in files), f"{name}: ships a .pyi"

    text = (bundle / "metadata.json").read_text()
    meta = json.loads(text)
    keys = list(meta)
    assert keys == [k for k in KEY_ORDER if k in meta], f"{name}: key order {keys}"
    for key in ("name", "id", "version", "license", "python-depends", "kernel-depends",
                "backend", "digest"):
        assert key in meta, f"{name}: metadata.json lacks {key}"
    assert meta["name"] == mod.replace("_", "-"), meta["name"]
    assert meta["version"] == 1 and meta["license"] == "Apache-2.0", meta
    assert meta["python-depends"] == [] and meta["kernel-depends"] == [], meta
    ident = meta["id"]
    assert so == ident + ".abi3.so", f"{name}: id {ident} does not name {so}"
    assert ident == f"_{mod}_{backend}_{tree}", f"{name}: id {ident}, git tree {tree}"
    assert meta["backend"]["type"] == backend, meta["backend"]
    if "provenance" in meta and "kernel" in meta["provenance"]:
        kernel = meta["provenance"]["kernel"]
        assert kernel["commit"] == commit and kernel["dirty"] is False, kernel

    digest = meta["digest"]
    assert digest["algorithm"] == "sha256", digest["algorithm"]
    want = {f: base64.b64encode(hashlib.sha256((bundle / f).read_bytes()).digest()).decode()
            for f in files if f != "metadata.json"}
    assert digest["files"] == want, f"{name}: digest {digest['files']} != {want}"

    ops_py = (bundle / "_ops.py").read_text()
    assert f"torch.ops.{ident}" in ops_py and f"from . import {ident}" in ops_py, ops_py

    archs = meta["backend"].get("archs")
    if backend == "cuda":
        assert archs == variant["metadata_archs"], f"{name}: archs {archs} vs matrix"
        assert archs == sorted(set(archs)), f"{name}: archs not sorted/unique: {archs}"
        embedded = fatbin_archs(bundle / so)
        assert embedded == {sm(a) for a in archs}, f"{name}: .so has {sorted(embedded)}, metadata {archs}"
        # each section's objects carry exactly that section's archs
        for section in variant["sections"]:
            want_sm = {sm(a) for a in section["archs"]}
            for src in config["kernel"][section["name"]]["src"]:
                if not src.endswith(".cu"):
                    continue
                stem = Path(src).stem
                objs = [o for o in objects if o.name.startswith(stem + ".")]
                assert objs, f"no object of {src} below {build / '.kb'}"
                for o in objs:
                    got = fatbin_archs(o)
                    assert got == want_sm, f"{o}: {sorted(got)}, section {section['name']}: {sorted(want_sm)}"
    else:
        assert not archs, f"{name}: CPU bundle with archs {archs}"
    print(f"{name}: ok ({ident}, {len(files)} files{', archs ' + ','.join(archs) if archs else ''})")
EOF
}

# load_all DIR OPS...: loads each bundle in the Torch venv(s) it is for.
load_all() {
  local dir=$1 variant
  shift
  for variant in $(variants_in "$dir/build"); do
    case $variant in
      torch211-*) load_bundle "$TORCH_211" "$dir/build/$variant" "$@" ;;
      torch212-*) load_bundle "$TORCH_212" "$dir/build/$variant" "$@" ;;
      torch-stable-abi211-*)  # one build for every Torch >= 2.11
        load_bundle "$TORCH_211" "$dir/build/$variant" "$@"
        load_bundle "$TORCH_212" "$dir/build/$variant" "$@" ;;
      *) fail "unexpected variant $variant" ;;
    esac
  done
}

# loader_picks VENV BUILD_DIR BACKEND VARIANT: the loader, given the build dir, picks VARIANT.
loader_picks() {
  "$1/bin/python" - "$2" "$3" "$4" <<'EOF' || fail "the kernels loader did not pick $4 in $2"
import json, sys
from pathlib import Path
import kernels
build, backend, variant = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
module = kernels.get_local_kernel(build, backend=backend)
want = json.loads((build / variant / "metadata.json").read_text())["id"]
assert module.__name__ == want, (module.__name__, want)
EOF
}

run_pytest() {  # VENV DIR
  step "pytest $(basename "$2")/tests with $(basename "$1")"
  KB_KERNEL_BUILD=$2/build "$1/bin/python" -m pytest -q -p no:cacheprovider "$2/tests" ||
    fail "the $(basename "$2") tests failed with $1"
}

relu=$(copy_example relu)
fused=$(copy_example fused-ops)

step "kb build examples/relu"
kb_ok build "$relu"
kb_out | tail -n 5
step "check the relu bundles"
check_bundles "$relu" relu ""

step "kb build examples/fused-ops"
kb_ok build "$fused"
kb_out | tail -n 5
step "check the fused-ops bundles"
check_bundles "$fused" fused_ops "layers.py"

step "load every bundle through kernels.get_local_kernel"
load_all "$relu" relu scaled_relu
load_all "$fused" silu_and_mul gelu_tanh_and_mul rms_norm

step "the loader picks the right variant from build/"
loader_picks "$TORCH_211" "$relu/build" cpu torch211-cxx11-cpu-x86_64-linux
loader_picks "$TORCH_212" "$relu/build" cpu torch212-cxx11-cpu-x86_64-linux
loader_picks "$TORCH_211" "$relu/build" cuda torch211-cxx11-cu130-x86_64-linux
loader_picks "$TORCH_212" "$fused/build" cuda torch-stable-abi211-cu130-x86_64-linux
loader_picks "$TORCH_211" "$fused/build" cpu torch-stable-abi211-cpu-x86_64-linux

for venv in "$TORCH_211" "$TORCH_212"; do
  run_pytest "$venv" "$relu"
  run_pytest "$venv" "$fused"
done

echo "build_examples: OK"
