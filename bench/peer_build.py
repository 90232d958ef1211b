"""Builds one variant of a kernel the way a torch.utils.cpp_extension user does.

Run by bench/run with the variant's own Python (the venv holding its Torch):

    PYTHON bench/peer_build.py SPEC.json

SPEC.json: {"name", "sources", "extra_cflags", "extra_cuda_cflags", "extra_include_paths",
"build_directory"}. TORCH_CUDA_ARCH_LIST and MAX_JOBS come from the environment, as they
would for a user. Prints one JSON line with the time spent importing Torch and in load().
"""

import json
import sys
import time


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    t0 = time.monotonic()
    import torch  # noqa: F401  (what every user's script does first)
    from torch.utils import cpp_extension

    t1 = time.monotonic()
    cpp_extension.load(
        name=spec["name"],
        sources=spec["sources"],
        extra_cflags=spec["extra_cflags"],
        extra_cuda_cflags=spec["extra_cuda_cflags"],
        extra_include_paths=spec["extra_include_paths"],
        build_directory=spec["build_directory"],
        verbose=False,
        is_python_module=True,
    )
    t2 = time.monotonic()
    print(json.dumps({"import_torch_s": round(t1 - t0, 3), "load_s": round(t2 - t1, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
