"""relu and scaled_relu as Torch ops (CPU, CUDA and ROCm builds).

The ops are registered under the bundle's unique namespace (``torch.ops.<id>``); this
package only uses relative imports, so it works wherever the loader imports it from.
"""

from typing import Optional

import torch

from ._ops import add_op_namespace_prefix, ops

__all__ = ["relu", "scaled_relu", "add_op_namespace_prefix", "ops"]


def relu(x: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Return ``max(x, 0)``, written into ``out`` when given."""
    if out is None:
        out = torch.empty_like(x)
    ops.relu(out, x)
    return out


def scaled_relu(x: torch.Tensor, alpha: float, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Return ``alpha * max(x, 0)``, written into ``out`` when given."""
    if out is None:
        out = torch.empty_like(x)
    ops.scaled_relu(out, x, float(alpha))
    return out
