"""kb for Python: read build.toml, find toolchains, compute the variant matrix and the build plan.

Every function returns plain data (dicts, lists, strings, numbers, None) with the shapes of
kb's JSON outputs (docs/schema/), and raises KbError when kb reports errors. The work is
done by the C++ library kb is built from (the extension kb._kb); docs/embedding.md has the
details.

    >>> import kb
    >>> [v["name"] for v in kb.matrix("examples/relu")["variants"]]
    ['torch211-cxx11-cpu-x86_64-linux', 'torch211-cxx11-cu130-x86_64-linux', ...]
"""

import os

from . import _kb
from ._kb import KbError

__all__ = [
    "KbError", "parse_config", "check_config", "discover_toolchains", "matrix", "plan", "__version__",
]
__version__ = _kb.__version__


def _paths(value):
    """None, one path, or an iterable of paths -> a list of str."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, os.PathLike)):
        value = [value]
    return [os.fsdecode(os.fspath(v)) for v in value]


def _path(value):
    return os.fsdecode(os.fspath(value))


def parse_config(path="."):
    """Returns the parsed build.toml as a dict.

    `path` is a kernel directory (then it is checked as `kb check-config DIR` checks it,
    including that every file named in a src list exists) or a build.toml file (then it is
    only parsed). Raises KbError with every problem found, each with file, line and col.
    """
    return _kb.parse_config(_path(path))


def check_config(path="."):
    """Returns what `kb check-config DIR --json` prints, as a dict; never raises for an
    invalid file: "valid" is False and "errors" lists every problem as
    {file, line, col, message, hint}. `path` as for parse_config.
    """
    return _kb.check_config(_path(path))


def discover_toolchains(torch=None, cuda=None, rocm=None, cache=True):
    """Returns what `kb toolchains --json` prints, as a dict.

    torch: Pythons (or venv directories) with Torch; default $KB_TORCH, else python3.
    cuda, rocm: toolkit roots to consider besides the usual places.
    cache: use (and update) kb's toolchain cache, as `kb` does without --no-cache.
    Raises KbError when a path given explicitly does not exist.
    """
    return _kb.discover_toolchains(_paths(torch), _paths(cuda), _paths(rocm), bool(cache))


def matrix(dir=".", torch=None, cuda=None, rocm=None, all=False, cache=True):
    """Returns what `kb matrix DIR --json` prints, as a dict: {"variants": [...]} and, with
    all=True, "rejected": [{"name", "reason"}, ...].

    Toolchain arguments as for discover_toolchains. Config warnings are issued as
    UserWarning. Raises KbError for an invalid build.toml or a missing explicit toolchain.
    """
    return _kb.matrix(_path(dir), _paths(torch), _paths(cuda), _paths(rocm), bool(all), bool(cache))


def plan(dir=".", variants=None, torch=None, cuda=None, rocm=None, cache=True, out=None,
         unique_id=None, jobs=None, memory_budget=None, kb=None):
    """Returns the build plan of `kb build DIR` without building anything, as a dict:
    kernel_dir, build_dir, unique_id, jobs, nvcc_pool_depth, and for each variant its
    compiles (argv of every compiler run), link, bundle copies, generated files and
    metadata.

    variants: names to plan (default: every buildable one). out: the build directory
    (default DIR/build). unique_id: the op namespace suffix (default: from git, as kb build).
    jobs: default the number of cores. memory_budget: bytes nvcc may use (default: MemAvailable, as for kb build).
    kb: the kb binary the plan's ninja edges call (default: kb on PATH).
    Raises KbError for an unknown variant (with the closest name), an invalid build.toml,
    or no buildable variant.
    """
    if isinstance(variants, str):
        variants = [variants]
    return _kb.plan(_path(dir), [str(v) for v in (variants or [])], _paths(torch), _paths(cuda),
                    _paths(rocm), bool(cache), None if out is None else _path(out),
                    unique_id, jobs, memory_budget, None if kb is None else _path(kb))
