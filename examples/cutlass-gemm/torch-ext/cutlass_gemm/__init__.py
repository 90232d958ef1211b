"""A matrix multiply as a Torch op: CUTLASS 3.8 GEMMs on CUDA, a plain loop on CPU.

The op is registered under the bundle's unique namespace (``torch.ops.<id>``); this package
only uses relative imports, so it works wherever the loader imports it from.
"""

from typing import Optional

import torch

from ._ops import add_op_namespace_prefix, ops

__all__ = ["gemm", "add_op_namespace_prefix", "ops"]


def gemm(a: torch.Tensor, b: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Return ``a @ b`` for 2-D float32 or float16 tensors (written into ``out`` when given).

    On CUDA, float16 runs on the tensor cores and needs ``k`` and ``n`` to be multiples of 8;
    float32 takes any shape.
    """
    if out is None:
        out = torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype, device=a.device)
    ops.gemm(out, a, b)
    return out
