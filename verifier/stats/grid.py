"""The grid of a 16-bit float dtype, and a distribution rounded to it.

float16 and bfloat16 have 65,536 bit patterns, so a tensor of either dtype is summarised
exactly by a histogram over its bit patterns. Values produced by computing in higher
precision and rounding to nearest lie on that grid; the right null distribution is then
the continuous one *rounded to the grid*: each representable value ``v_k`` carries the
probability of its rounding interval ``(m_{k-1}, m_k]`` between the midpoints to its
neighbours,

.. math:: P(v_k) = F(m_k) - F(m_{k-1}).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..theory.distributions import Distribution

__all__ = ["GRID_DTYPES", "grid_values", "to_bits", "RoundedNull", "rounded_null", "round_to_dtype", "grid_bits",
           "grids_holding", "detect_grid", "neighbour"]

GRID_DTYPES = ("float16", "bfloat16")


@lru_cache(maxsize=None)
def grid_values(dtype: str) -> np.ndarray:
    """The value (float64; NaN/±inf included) of each of the 65,536 bit patterns of ``dtype``."""
    bits = np.arange(65536, dtype=np.uint32)
    with np.errstate(invalid="ignore"):
        return _decode(bits, dtype)


def _decode(bits: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "bfloat16":
        values = (bits << 16).astype(np.uint32).view(np.float32).astype(np.float64)
    elif dtype == "float16":
        values = bits.astype(np.uint16).view(np.float16).astype(np.float64)
    else:
        raise ValueError(f"no 16-bit grid for dtype {dtype!r}")
    values.setflags(write=False)
    return values


def to_bits(block: np.ndarray) -> np.ndarray:
    """View a float16 or bfloat16 (ml_dtypes) numpy array as its uint16 bit patterns."""
    if block.dtype.itemsize != 2:
        raise ValueError(f"expected a 16-bit float array, got {block.dtype}")
    return block.view(np.uint16)


@dataclass(frozen=True)
class RoundedNull:
    """A continuous distribution rounded to a dtype's grid, aligned with a bit histogram.

    ``values`` are the distinct finite representable values in increasing order (``-0``
    merged into ``0``); ``counts`` the observed counts of each; ``upper`` the null CDF at
    the upper rounding boundary of each (the rounded null's CDF at ``values``);
    ``prob`` the null probability of each value.
    """

    values: np.ndarray
    counts: np.ndarray
    upper: np.ndarray
    prob: np.ndarray

    @property
    def mean(self) -> float:
        return float(np.sum(self.prob * self.values))

    def central_moment(self, k: int) -> float:
        """Exact ``k``-th central moment of the rounded null (over values of positive mass)."""
        return _central_moment(self.values, self.prob, k)


def _central_moment(values: np.ndarray, prob: np.ndarray, k: int) -> float:
    keep = prob > 0
    p = prob[keep]
    d = values[keep] - float(np.sum(p * values[keep]))
    # deviations below 1e-30 of the largest contribute < 1e-60 relatively; zeroing them keeps
    # the powers out of subnormal arithmetic (100x slower)
    d = np.where(np.abs(d) < 1e-30 * float(np.max(np.abs(d), initial=0.0)), 0.0, d)
    out = np.ones_like(d)
    for _ in range(k):
        out *= d
    return float(np.dot(p, out))


def rounded_null(bit_counts: np.ndarray, dtype: str, dist: Distribution) -> RoundedNull:
    """Align a 65,536-bin bit histogram of ``dtype`` values with ``dist`` rounded to the grid."""
    finite, order, start, uniq, upper, prob = _rounded_law(dtype, dist)
    cnts = bit_counts[finite][order]
    counts = np.add.reduceat(cnts, start)
    return RoundedNull(uniq, counts.astype(np.int64), upper, prob)


@lru_cache(maxsize=64)
def _rounded_law(dtype: str, dist: Distribution) -> tuple[np.ndarray, ...]:
    """The part of :func:`rounded_null` that does not depend on the data (cached)."""
    grid = grid_values(dtype)
    finite = np.isfinite(grid)
    vals = grid[finite]
    order = np.argsort(vals, kind="stable")
    vals = vals[order]
    uniq, start = np.unique(vals, return_index=True)  # merges -0 and +0
    mid = (uniq[1:] + uniq[:-1]) / 2.0
    upper = np.empty_like(uniq)
    upper[:-1] = dist.cdf(mid)
    upper[-1] = 1.0
    prob = np.diff(np.concatenate(([0.0], upper)))
    prob = np.maximum(prob, 0.0)
    for a in (uniq, upper, prob):
        a.setflags(write=False)
    return finite, order, start, uniq, upper, prob


def round_to_dtype(x: float, dtype: str) -> float:
    """Round ``x`` to the nearest value of ``dtype`` (float64 result)."""
    if dtype == "float64":
        return float(x)
    if dtype == "float32":
        return float(np.float32(x))
    grid = grid_values(dtype)
    finite = grid[np.isfinite(grid)]
    return float(finite[np.argmin(np.abs(finite - x))])


_LOW_BITS = {"float16": (1 << 42) - 1, "bfloat16": (1 << 45) - 1}
"""The float64 fraction bits every ``dtype`` value leaves clear: its values are ``k·2^e`` with
``|k| < 2^11`` (float16) or ``2^8`` (bfloat16), subnormals included, so in float64 (52 fraction bits,
every such value a normal float64) all but the top 10 (7) fraction bits are 0."""


def _surely_off(head: np.ndarray, dtype: str) -> bool:
    """Whether a finite value of ``head`` is surely not on the ``dtype`` grid: one of the float64
    fraction bits every ``dtype`` value leaves clear (:data:`_LOW_BITS`) is set. False proves
    nothing. Off the float16 grid this way means off the bfloat16 one too (its bits are a subset).

    The first value is tried alone, on Python integers (continuous data: almost surely off, in under
    a microsecond), then all of them in four numpy calls."""
    h = np.asarray(head, dtype=np.float64).reshape(-1)
    u = h.view(np.uint64)
    low = _LOW_BITS[dtype]
    if u.size and int(u[0]) & low and math.isfinite(h[0]):
        return True
    return bool(np.any(((u & np.uint64(low)) != 0) & np.isfinite(h)))


def grid_bits(values: np.ndarray, dtype: str) -> np.ndarray | None:
    """The ``dtype`` (float16/bfloat16) bit patterns of float ``values`` if every one of them
    is exactly representable in ``dtype``, else ``None``. The first 64 values are tried first
    (:func:`_surely_off`): continuous data leaves the grid at once, without a pass over all of them."""
    v = np.asarray(values)
    if v.size > 64 and _surely_off(v.reshape(-1)[:64], dtype):
        return None
    v = np.asarray(v, dtype=np.float64)
    if dtype == "bfloat16":
        f = v.astype(np.float32)
        if not np.array_equal(f.astype(np.float64), v, equal_nan=True):
            return None
        b = f.view(np.uint32)
        if np.any(b & 0xFFFF):
            return None
        return (b >> 16).astype(np.uint16)
    if dtype == "float16":
        with np.errstate(over="ignore"):
            h = v.astype(np.float16)
        if not np.array_equal(h.astype(np.float64), v, equal_nan=True):
            return None
        return h.view(np.uint16)
    raise ValueError(f"no 16-bit grid for dtype {dtype!r}")


def grids_holding(values: np.ndarray) -> tuple[str, ...]:
    """The 16-bit grids (``'bfloat16'``, ``'float16'``, coarsest first) that hold every value.

    One quick reject for both (:func:`_surely_off` with float16's bits, a subset of bfloat16's):
    continuous data costs one look at its first value.
    """
    v = np.asarray(values)
    if v.size == 0 or _surely_off(v.reshape(-1)[:64], "float16"):
        return ()
    return tuple(g for g in GRID_DTYPES[::-1] if grid_bits(v, g) is not None)


def detect_grid(values: np.ndarray) -> str | None:
    """The coarsest 16-bit grid (``'bfloat16'`` then ``'float16'``) holding every value, or ``None``.

    A float32/float64 tensor whose values all lie on the bfloat16 grid (a bf16-trained
    checkpoint saved in float32) is a draw from the law rounded to that grid, not from the
    continuous one: a continuous float32 value is bf16-representable with probability
    2⁻¹⁶, so all n of them only by design (or, for n = 1, with probability 1.5e-5, when
    testing against the rounded law is still valid).
    """
    grids = grids_holding(values)
    return grids[0] if grids else None


def neighbour(x: float, dtype: str, direction: int) -> float:
    """The representable ``dtype`` value next to ``x`` (itself representable) towards
    ``direction`` (+1 or -1); works for float16/bfloat16/float32/float64."""
    if dtype in ("float32", "float64"):
        t = np.float64 if dtype == "float64" else np.float32
        return float(np.nextafter(t(x), t(np.inf if direction > 0 else -np.inf)))
    grid = grid_values(dtype)
    finite = np.unique(grid[np.isfinite(grid)])
    i = int(np.searchsorted(finite, x))
    j = min(max(i + (1 if direction > 0 else -1), 0), finite.size - 1)
    if direction > 0 and i < finite.size and finite[i] != x:
        j = i
    return float(finite[j])


_BINADES = {"float32": (-126, 128, 23, -149), "float64": (-1022, 1024, 52, -1074)}


def max_cell_mass(dist: Distribution, dtype: str) -> float:
    r"""Upper bound on the largest null probability of one representable value of ``dtype``.

    For float32/float64 a value ``x`` in the binade ``[2^e, 2^{e+1})`` stands for a rounding
    cell of width ``ulp_e = 2^{e-p}``, so its mass is at most
    :math:`\min(f_{max}\,ulp_e,\ P(|X| \ge 2^e - ulp_e))`; the maximum over binades (and the
    subnormal range) bounds every cell. ``f_max`` is the density at the mode (the mean, the
    parent mean of a truncated normal, or a support bound). For 16-bit dtypes the exact
    rounded masses are used instead (:func:`rounded_null`).
    """
    lo_e, hi_e, p, sub = _BINADES["float64" if dtype == "float64" else "float32"]
    cands = [dist.mean, *[b for b in dist.support if np.isfinite(b)]]
    parent = getattr(dist, "parent", None)
    if parent is not None:
        lo, hi = dist.support
        cands.append(min(max(parent.mean, lo), hi))
    f_max = float(np.max(dist.pdf(np.asarray(cands, dtype=np.float64))))
    e = np.arange(lo_e, hi_e, dtype=np.float64)
    start = np.exp2(e)
    ulp = np.exp2(e - p)
    tail = np.asarray(dist.cdf(-(start - ulp))) + np.asarray(dist.sf(start - ulp))
    masses = np.minimum(f_max * ulp, np.minimum(tail, 1.0))
    return float(max(masses.max(), min(f_max * 2.0**sub, 1.0)))
