"""axpby (``out = a * x + b * y``) built against the Torch stable ABI, for CPU and CUDA.

``arch_probe`` (CUDA builds) says which compiled code a GPU runs: that of ``gpu/launch.cu``,
which two ``[kernel.*]`` sections share, and that of the section picked for the GPU.
Relative imports only: the loader imports this package under the bundle's unique id.
"""

from typing import NamedTuple, Optional

import torch

from ._ops import add_op_namespace_prefix, ops

__all__ = ["axpby", "arch_probe", "ArchProbe", "ops", "add_op_namespace_prefix"]


def axpby(
    x: torch.Tensor, y: torch.Tensor, a: float, b: float, out: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``a * x + b * y`` for x and y of one shape and dtype (float32 or float64)."""
    if out is None:
        out = torch.empty_like(x)
    ops.axpby(out, x, y, float(a), float(b))
    return out


class ArchProbe(NamedTuple):
    shared_arch: int  # __CUDA_ARCH__ of the code run from gpu/launch.cu (e.g. 900)
    shared_sm90a: bool  # whether that code was built with the sm_90a features
    section_arch: int  # the same for the section TU that axpby runs on this GPU
    section_sm90a: bool


def arch_probe(device: Optional[torch.device] = None) -> ArchProbe:
    """Which code runs on ``device`` (default: the current CUDA device)."""
    out = torch.full((4,), -1, dtype=torch.int32, device=device or "cuda")
    ops.arch_probe(out)
    shared_arch, shared_sm90a, section_arch, section_sm90a = out.tolist()
    return ArchProbe(shared_arch, bool(shared_sm90a), section_arch, bool(section_sm90a))
