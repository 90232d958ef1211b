#!/bin/bash
# kb build of every example: bundle layout, metadata.json, digest, the archs in each .so and
# in each object, the device code of a source that several sections share (cuobjdump),
# loading through the kernels loader in the matching Torch, and the examples' own tests.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_nvcc
require_torch_venvs
require_cuobjdump
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
    return set(re.findall(r"\bsm_[0-9]+[af]?\b", out))  # whole tokens: Torch 2.14 device code holds the text "sm_10x"

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
        # each .cu's objects carry exactly the union of the archs of the sections that list
        # it (a source in several sections is compiled once, for all of them)
        want_by_src = {}
        for section in variant["sections"]:
            for src in config["kernel"][section["name"]]["src"]:
                if src.endswith(".cu"):
                    want_by_src.setdefault(src, set()).update(sm(a) for a in section["archs"])
        for src, want_sm in want_by_src.items():
            stem = Path(src).stem
            objs = [o for o in objects if o.name.startswith(stem + ".")]
            assert objs, f"no object of {src} below {build / '.kb'}"
            for o in objs:
                got = fatbin_archs(o)
                assert got == want_sm, f"{o}: {sorted(got)}, sections listing {src}: {sorted(want_sm)}"
    else:
        assert not archs, f"{name}: CPU bundle with archs {archs}"
    print(f"{name}: ok ({ident}, {len(files)} files{', archs ' + ','.join(archs) if archs else ''})")
EOF
}

# check_device_code DIR SOURCE...: in each CUDA bundle of DIR (matrix from check_bundles),
# cuobjdump must find each SOURCE's device code once per arch of the union of the sections
# that list it. A cubin is told to come from a TU by the TU's name, which nvcc puts into the
# symbols of internal-linkage kernels (`_GLOBAL__N__<hash>_9_launch_cu_<hash>`), so each
# SOURCE must define one; other TUs are checked where they can be told apart.
check_device_code() {
  local dir=$1 mod
  mod=$(basename "$dir")
  shift
  "$TORCH_211/bin/python" - "$dir" "$E2E_TMP/${mod//-/_}-matrix.json" "$CUOBJDUMP" "$@" <<'EOF' ||
import json, re, subprocess, sys, tomllib
from collections import Counter
from pathlib import Path

kernel_dir, matrix_file, cuobjdump, *required = sys.argv[1:]
config = tomllib.loads((Path(kernel_dir) / "build.toml").read_text())
variants = [v for v in json.load(open(matrix_file))["variants"] if v["backend"] == "cuda"]
assert variants, "no CUDA variant in the matrix"

def run(*args):
    return subprocess.run([cuobjdump, *args], check=True, capture_output=True, text=True).stdout

def tu_names(block):
    """The TU file names ("launch.cu") that a cubin's internal-linkage symbols name."""
    names = set()
    for m in re.finditer(r"_GLOBAL__N__[0-9a-f]+_(\d+)_(\w+)", block):
        stem, _, ext = m[2][: int(m[1])].rpartition("_")  # "launch_cu": the length says where it ends
        names.add(f"{stem}.{ext}")
    return names

def arch_of(block):
    return "sm_" + re.search(r"arch = sm_(\w+)", block)[1]

for variant in variants:
    so = next((Path(kernel_dir) / "build" / variant["name"]).glob("*.so"))
    listed = Counter(re.findall(r"ELF file +\d+: \S+\.(sm_\w+)\.cubin", run("--list-elf", str(so))))
    blocks = run("--dump-elf-symbols", str(so)).split("Fatbin elf code:")[1:]
    assert Counter(arch_of(b) for b in blocks) == listed, \
        f"{so.name}: --list-elf {dict(listed)} disagrees with --dump-elf-symbols"
    per_tu = {}
    for block in blocks:
        tus = tu_names(block)
        assert len(tus) <= 1, f"{so.name}: one {arch_of(block)} cubin names several TUs: {sorted(tus)}"
        for tu in tus:
            per_tu.setdefault(tu, Counter())[arch_of(block)] += 1

    want = {}  # "launch.cu" -> the union of the archs of the sections that list it
    for section in variant["sections"]:
        for src in config["kernel"][section["name"]]["src"]:
            if src.endswith(".cu"):
                archs = {"sm_" + a.replace("+PTX", "").replace(".", "") for a in section["archs"]}
                want.setdefault(Path(src).name, set()).update(archs)
    for tu in required:
        assert tu in per_tu, f"{variant['name']}: no cubin of {tu} in {so.name} (found {sorted(per_tu)})"
    for tu, got in sorted(per_tu.items()):
        assert tu in want, f"{variant['name']}: {so.name} has device code of {tu}, which no section lists"
        expected = Counter({arch: 1 for arch in want[tu]})
        assert got == expected, f"{variant['name']}: {tu} has cubins {dict(got)}, want {dict(expected)}"
        print(f"{variant['name']}: {tu}: {', '.join(sorted(got))}, once each")
EOF
    fail "the device code of $mod is not as expected"
}

# load_all DIR OPS...: loads each bundle in the Torch venv(s) it is for.
load_all() {
  local dir=$1 variant
  shift
  for variant in $(variants_in "$dir/build"); do
    case $variant in
      torch211-*) load_bundle "$TORCH_211" "$dir/build/$variant" "$@" ;;
      torch213-*) load_bundle "$TORCH_213" "$dir/build/$variant" "$@" ;;
      torch214-*) load_bundle "$TORCH_214" "$dir/build/$variant" "$@" ;;
      torch-stable-abi211-*)  # one build for every Torch >= 2.11
        load_bundle "$TORCH_211" "$dir/build/$variant" "$@"
        load_bundle "$TORCH_213" "$dir/build/$variant" "$@"
        load_bundle "$TORCH_214" "$dir/build/$variant" "$@" ;;
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
huber=$(copy_example huber)
axpby=$(copy_example axpby)

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

# huber: headers only in csrc/ with no include entry, and a device lambda given to
# at::native::gpu_kernel (needs Torch's --expt-extended-lambda); examples/huber/README.md
step "kb build examples/huber"
kb_ok build "$huber"
kb_out | tail -n 5
step "check the huber bundles"
check_bundles "$huber" huber ""

# axpby: capabilities that match no target, and gpu/launch.cu listed by two sections with
# different capabilities; examples/axpby/README.md
step "kb build examples/axpby"
kb_ok build "$axpby"
kb_out | tail -n 5
for cap in 11.8 7.2 10.1; do
  kb_out | grep -qF " $cap: " || fail "kb build of axpby printed no note about capability $cap"
done
step "check the axpby bundles"
check_bundles "$axpby" axpby ""
step "cuobjdump: gpu/launch.cu is in the axpby .so once per arch of both its sections"
check_device_code "$axpby" launch.cu axpby_ampere.cu axpby_hopper.cu

step "load every bundle through kernels.get_local_kernel"
load_all "$relu" relu scaled_relu
load_all "$fused" silu_and_mul gelu_tanh_and_mul rms_norm
load_all "$huber" huber
load_all "$axpby" axpby arch_probe

step "the loader picks the right variant from build/"
loader_picks "$TORCH_211" "$relu/build" cpu torch211-cxx11-cpu-x86_64-linux
loader_picks "$TORCH_214" "$relu/build" cpu torch214-cxx11-cpu-x86_64-linux
loader_picks "$TORCH_211" "$relu/build" cuda torch211-cxx11-cu130-x86_64-linux
loader_picks "$TORCH_214" "$fused/build" cuda torch-stable-abi211-cu130-x86_64-linux
loader_picks "$TORCH_211" "$fused/build" cpu torch-stable-abi211-cpu-x86_64-linux
loader_picks "$TORCH_214" "$huber/build" cuda torch214-cxx11-cu130-x86_64-linux
loader_picks "$TORCH_211" "$axpby/build" cpu torch-stable-abi211-cpu-x86_64-linux

for venv in "$TORCH_211" "$TORCH_213" "$TORCH_214"; do
  run_pytest "$venv" "$relu"
  run_pytest "$venv" "$fused"
  run_pytest "$venv" "$huber"
  run_pytest "$venv" "$axpby"
done

echo "build_examples: OK"
