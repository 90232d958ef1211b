"""Fused transformer ops built against the Torch stable ABI.

``silu_and_mul`` and ``gelu_tanh_and_mul`` gate the first half of the last dimension with
the second; ``rms_norm`` normalises the last dimension. ``layers`` wraps them as modules.
Relative imports only: the loader imports this package under the bundle's unique id.
"""

from typing import Optional

import torch

from . import layers
from ._ops import add_op_namespace_prefix, ops

__all__ = ["silu_and_mul", "gelu_tanh_and_mul", "rms_norm", "layers", "ops", "add_op_namespace_prefix"]


def _gated_out(x: torch.Tensor, out: Optional[torch.Tensor]) -> torch.Tensor:
    if out is None:
        out = torch.empty(x.shape[:-1] + (x.shape[-1] // 2,), dtype=x.dtype, device=x.device)
    return out


def silu_and_mul(x: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``silu(x[..., :d]) * x[..., d:]`` for ``x`` of last dimension ``2 * d``."""
    out = _gated_out(x, out)
    ops.silu_and_mul(out, x)
    return out


def gelu_tanh_and_mul(x: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``gelu(x[..., :d], approximate="tanh") * x[..., d:]``."""
    out = _gated_out(x, out)
    ops.gelu_tanh_and_mul(out, x)
    return out


def rms_norm(
    x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6, out: Optional[torch.Tensor] = None
) -> torch.Tensor:
    """``x / sqrt(mean(x**2, -1) + eps) * weight``."""
    if out is None:
        out = torch.empty_like(x)
    ops.rms_norm(out, x, weight, float(eps))
    return out
