"""Lazy torch import and small tensor helpers shared by the propagation modules."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import SourceError

__all__ = ["BLOCK", "block_partials", "combine", "first_tensor", "one_thread", "require_torch", "tensor_sums"]

#: Block length of the float64 accumulation in :func:`tensor_sums`.
BLOCK = 4096


def require_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise SourceError("signal propagation needs torch; pip install 'verifier[torch]'") from None
    return torch


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the enclosed torch CPU ops on one intra-op thread.

    The statistics are a few memory-bound passes per tensor; as OpenMP parallel regions they wait at
    a barrier for a thread that another process may hold, which on a shared 2-core machine made each
    pass 20-35× slower (1 ms → 35 ms for a million values). One thread never waits; the model's own
    matrix products keep every thread. Switching costs about 10 µs.
    """
    import torch

    prev = torch.get_num_threads()
    if prev == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(prev)


def first_tensor(obj: Any) -> Any:
    """The first floating-point tensor in ``obj`` (a tensor, or a tuple/list/dict of them), or None."""
    import torch

    if isinstance(obj, torch.Tensor):
        return obj if obj.is_floating_point() else None
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (tuple, list)):
        for item in obj:
            t = first_tensor(item)
            if t is not None:
                return t
    return None


def block_partials(x: Any) -> tuple[int, Any, Any]:
    """``(n, p1, p2)``: per-block sums and Euclidean norms of the flattened tensor (no sync).

    Blocks of ``gcd(n, BLOCK)`` values are reduced in float32 (float64 input stays float64); the
    blocks are combined in float64 by :func:`combine`, so the rounding error does not grow with n
    and no float64 copy of the whole tensor is made (sizes with a block under 64 are converted to
    float64 first). Two tensor operations per call, which matters on a loaded machine.
    """
    import torch

    flat = x.detach().reshape(-1)
    if flat.dtype not in (torch.float32, torch.float64):
        flat = flat.float()
    n = flat.numel()
    b = math.gcd(n, BLOCK) if n else 1
    if b < 64:
        flat, b = flat.double(), max(n, 1)
    v = flat.view(-1, b)
    return n, v.sum(1), torch.linalg.vector_norm(v, dim=1)


def combine(p1: Any, p2: Any) -> tuple[float, float]:
    """``(Σx, Σx²)`` in float64 from :func:`block_partials`."""
    return float(p1.double().sum()), float(p2.double().square().sum())


def tensor_sums(x: Any) -> tuple[int, float, float]:
    """``(n, Σx, Σx²)`` of a tensor, accumulated in float64 across blocks."""
    n, p1, p2 = block_partials(x)
    s1, s2 = combine(p1, p2)
    return n, s1, s2
