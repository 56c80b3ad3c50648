"""Reading a bounded number of a tensor's values: the structure checks' access to the data.

Whole tensors are never copied: values at chosen positions are gathered where the tensor lives
(an accelerator tensor is indexed on its device and only the picked values come to the host), as
float64, or as uint16 bit patterns for 16-bit floats decoded through their grid.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from .grid import grid_values

if TYPE_CHECKING:
    from ..sources.sample import Sample


_BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _host(chunk: Any) -> np.ndarray:
    """``chunk`` as a numpy array of its own shape, without a copy where possible: float32/
    float64 values, or uint16 bit patterns for float16/bfloat16 (decoded by :func:`_decode`).
    A tensor on an accelerator is copied to the host whole: callers use it for tensors of at
    most :data:`SLICES_CAP` values, and :func:`_gather` otherwise."""
    if isinstance(chunk, np.ndarray):
        return chunk.view(np.uint16) if chunk.dtype.itemsize == 2 else chunk
    import torch

    t = chunk.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.view(torch.int16).numpy().view(np.uint16)
    return t.numpy()


def _decode(a: np.ndarray, dtype: str) -> np.ndarray:
    """float64 values of a block read by :func:`_host`."""
    if a.dtype == np.uint16:
        return grid_values(dtype)[a]
    return np.asarray(a, dtype=np.float64)


def _gather(chunk: Any, idx: tuple[np.ndarray, ...], dtype: str) -> np.ndarray:
    """float64 values of ``chunk`` at the multi-index ``idx``; a tensor is indexed on its own
    device and only the picked values are copied to the host."""
    if isinstance(chunk, np.ndarray) or chunk.device.type == "cpu":
        return _decode(_host(chunk)[idx], dtype)
    import torch

    picked = chunk.detach()[tuple(torch.as_tensor(i, device=chunk.device) for i in idx)]
    return _decode(_host(picked), dtype)


def _flat_host(chunk: Any) -> np.ndarray | None:
    """A C-contiguous host array (or CPU tensor) as a flat view read by :func:`_host`; else None."""
    if not isinstance(chunk, np.ndarray):
        if chunk.device.type != "cpu" or not chunk.is_contiguous():
            return None
    elif not chunk.flags.c_contiguous:
        return None
    return _host(chunk).reshape(-1)


def _take(chunk: Any, flat: np.ndarray, dtype: str) -> np.ndarray:
    """Values at the (logical, C-order) flat positions ``flat`` of ``chunk``, as float64."""
    dense = _flat_host(chunk)
    if dense is not None:
        return _decode(dense[flat], dtype)
    return _gather(chunk, np.unravel_index(flat, tuple(int(d) for d in chunk.shape)), dtype)


def _subsample(sample: Sample, m: int, seed: int = 0) -> np.ndarray:
    """``m`` values at distinct positions of the sample (seeded): one uniformly chosen position in
    each of ``m`` equal strata of the positions, so they come sorted and distinct (no sort).

    Any set of positions chosen without looking at the values is an i.i.d. sample under the
    structure checks' null; strata also spread the positions over the whole tensor.
    """
    rng = np.random.default_rng(seed)
    per = math.prod(sample.shape)
    total = per * sample.draws
    m = min(m, total)
    edges = (np.arange(m + 1, dtype=np.int64) * total) // m
    picks = edges[:-1] + (rng.random(m) * np.diff(edges)).astype(np.int64)
    if len(sample.chunks) == 1:
        return _take(sample.chunks[0], picks, sample.dtype)
    return np.concatenate([_take(c, picks[(picks >= i * per) & (picks < (i + 1) * per)] - i * per, sample.dtype)
                           for i, c in enumerate(sample.chunks)])


def _binom_sf(k: int, m: int, p: float) -> float:
    """``P(Binomial(m, p) ≥ k)`` (``scipy.special.bdtrc``: the regularized incomplete beta)."""
    if k <= 0:
        return 1.0
    if k > m:
        return 0.0
    return float(special.bdtrc(k - 1, m, min(max(p, 0.0), 1.0)))
