"""Loads the relu bundles that kb built into ../build (or $KB_KERNEL_BUILD).

Bundles are loaded the way users load them: ``kernels.get_local_kernel``. Where the
``kernels`` package is not installed (an offline GPU machine), a small stand-in does what
its importer does: pick the variant for this Torch, import ``<variant>/__init__.py`` under
``metadata.json``'s ``id``.
"""

import importlib.util
import json
import os
import platform
import re
import sys
from pathlib import Path

import pytest
import torch

BUILD_DIR = Path(os.environ.get("KB_KERNEL_BUILD", Path(__file__).resolve().parent.parent / "build"))


def _variant_matches(name: str, backend: str) -> bool:
    """Whether a variant folder name suits this Torch and `backend` (cpu or cuda)."""
    tv = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
    if backend == "cuda":
        cv = tuple(int(p) for p in torch.version.cuda.split(".")[:2])
        m = re.fullmatch(r"cu(\d+)(\d)", name.split("-")[-3])
        if not m or int(m.group(1)) != cv[0] or int(m.group(2)) > cv[1]:
            return False
    elif name.split("-")[-3] != "cpu":
        return False
    if not name.endswith(f"-{platform.machine()}-linux"):
        return False
    m = re.match(r"torch-stable-abi(\d)(\d+)-", name)
    if m:
        return (int(m.group(1)), int(m.group(2))) <= tv
    return name.startswith(f"torch{tv[0]}{tv[1]}-cxx11-")


def _import_variant(backend: str):
    candidates = sorted(
        (d for d in BUILD_DIR.iterdir() if d.is_dir() and _variant_matches(d.name, backend)),
        key=lambda d: (not d.name.startswith("torch-stable-abi"), d.name),
    )
    if not candidates:
        raise FileNotFoundError(f"no {backend} variant for torch {torch.__version__} in {BUILD_DIR}")
    variant = candidates[0]
    meta = json.loads((variant / "metadata.json").read_text())
    if meta["id"] in sys.modules:
        return sys.modules[meta["id"]]
    spec = importlib.util.spec_from_file_location(meta["id"], variant / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[meta["id"]] = module
    spec.loader.exec_module(module)
    return module


def load_kernel(backend: str):
    if not BUILD_DIR.is_dir():
        pytest.fail(f"{BUILD_DIR} does not exist: build the bundles first (kb build)")
    try:
        import kernels
    except ImportError:
        return _import_variant(backend)
    return kernels.get_local_kernel(BUILD_DIR, backend=backend)


@pytest.fixture(scope="session")
def cpu_kernel():
    return load_kernel("cpu")


@pytest.fixture(scope="session")
def cuda_kernel():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return load_kernel("cuda")
