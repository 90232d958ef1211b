"""The elementwise Huber loss as a Torch op (CPU and CUDA builds).

``huber(x, y, delta)`` equals ``torch.nn.functional.huber_loss(x, y, reduction="none",
delta=delta)``, with x and y broadcast together. The op is registered under the bundle's
unique namespace (``torch.ops.<id>``); relative imports only, so the package works
wherever the loader imports it from.
"""

import torch

from ._ops import add_op_namespace_prefix, ops

__all__ = ["huber", "add_op_namespace_prefix", "ops"]


def huber(x: torch.Tensor, y: torch.Tensor, delta: float = 1.0) -> torch.Tensor:
    """``0.5 * (x - y)**2`` where ``|x - y| < delta``, else ``delta * (|x - y| - delta / 2)``."""
    return ops.huber(x, y, float(delta))
