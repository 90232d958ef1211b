"""Attention forward of the heavy benchmark kernel (bench/heavy), as a Torch op."""

import math
from typing import Optional

import torch

from ._ops import ops

__all__ = ["attention"]


def attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = False, scale: Optional[float] = None
) -> torch.Tensor:
    """softmax(scale * q k^T) v for [batch, heads, seq, head_dim] CUDA tensors."""
    out = torch.empty_like(q)
    ops.attention(out, q, k, v, causal, 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale))
    return out
