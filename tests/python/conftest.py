"""Shared fixtures: where kb is, the Torch venvs to discover, and a private toolchain cache.

Environment (set by tests/python/meson.build; defaults let pytest run by hand from the
repository root with PYTHONPATH=builddir/python):
  KB               the kb binary (default builddir/kb)
  KB_SOURCE_ROOT   the repository root
  KB_BUILD_ROOT    meson's build dir (kb-env.sh there names the Torch venvs)
  KB_PYTHON_BUILT  "false" when meson was told -Dpython=disabled (module tests skip)
  KB_TORCH         ':'-separated Torch venvs (else kb-env.sh's, else ~/.cache/kb-deps/torch-2.1{1,3,4})
"""

import os
import subprocess
from pathlib import Path

import pytest

SOURCE_ROOT = Path(os.environ.get("KB_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
BUILD_ROOT = Path(os.environ.get("KB_BUILD_ROOT", SOURCE_ROOT / "builddir"))
KB = Path(os.environ.get("KB", BUILD_ROOT / "kb"))
EXAMPLES = SOURCE_ROOT / "examples"


def _torch_list():
    listed = os.environ.get("KB_TORCH", "")
    env_file = BUILD_ROOT / "kb-env.sh"
    if not listed and env_file.is_file():
        listed = subprocess.run(["bash", "-c", f'. "{env_file}" && echo "${{KB_TORCH:-}}"'],
                                capture_output=True, text=True, check=False).stdout.strip()
    if not listed:
        deps = Path(os.environ.get("KB_DEPS", Path.home() / ".cache" / "kb-deps"))
        listed = f"{deps / 'torch-2.11'}:{deps / 'torch-2.13'}:{deps / 'torch-2.14'}"
    return [v for v in listed.split(":") if v and (Path(v) / "bin" / "python").exists()]


@pytest.fixture(scope="session", autouse=True)
def private_toolchain_cache(tmp_path_factory):
    """Each run probes once into its own cache, like the e2e scripts, and leaves ~/.cache alone."""
    os.environ["KB_CACHE_DIR"] = str(tmp_path_factory.mktemp("kb-cache"))


@pytest.fixture(scope="session")
def torches():
    """The Torch venvs (directories) to pass as torch=[...]; skips when there are none."""
    venvs = _torch_list()
    if not venvs:
        pytest.skip("no Torch venv (run scripts/setup, or set KB_TORCH)")
    return venvs


@pytest.fixture(scope="session")
def kb_module():
    if os.environ.get("KB_PYTHON_BUILT") == "false":
        pytest.skip("the Python module was not built (meson -Dpython=disabled, or no pybind11)")
    import kb  # noqa: PLC0415 (imported here so test_schema.py runs without the module)

    return kb


@pytest.fixture(scope="session")
def kb_cli():
    """Runs the kb binary; returns the CompletedProcess (text)."""
    if not KB.is_file():
        pytest.skip(f"no kb binary at {KB}")

    def run(*args, check=True):
        r = subprocess.run([str(KB), *map(str, args)], capture_output=True, text=True, check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"kb {' '.join(map(str, args))} exited {r.returncode}:\n{r.stderr}")
        return r

    return run


def copy_kernel(src, dst):
    """Copies an example kernel without its build outputs; returns the copy's path."""
    import shutil  # noqa: PLC0415

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("build", "__pycache__", ".pytest_cache"))
    return dst
