"""Loads the heavy-attn bundles that kb built into ../build (or $KB_KERNEL_BUILD).

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


VARIANT_RE = re.compile(
    r"torch(?:(?P<major>\d)(?P<minor>\d+)-cxx11|-stable-abi(?P<abi_major>\d)(?P<abi_minor>\d+))"
    r"-(?P<compute>cpu|cu\d+)-(?P<cpu>[a-z0-9_]+)-linux"
)


def _variant_matches(name: str, backend: str) -> bool:
    """Whether a variant folder name suits this Torch and `backend` (cpu or cuda)."""
    m = VARIANT_RE.fullmatch(name)
    if not m or m["cpu"] != platform.machine():
        return False
    torch_version = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2])
    if m["major"] is not None:
        if (int(m["major"]), int(m["minor"])) != torch_version:
            return False
    elif (int(m["abi_major"]), int(m["abi_minor"])) > torch_version:
        return False
    if backend == "cpu":
        return m["compute"] == "cpu"
    if not m["compute"].startswith("cu") or torch.version.cuda is None:
        return False
    cuda = tuple(int(p) for p in torch.version.cuda.split(".")[:2])
    digits = m["compute"][2:]  # cu130: major 13, minor 0 (the last digit is the minor)
    return int(digits[:-1]) == cuda[0] and int(digits[-1]) <= cuda[1]


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
def cuda_kernel():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return load_kernel("cuda")
