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

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..theory.distributions import Distribution

__all__ = ["GRID_DTYPES", "grid_values", "to_bits", "RoundedNull", "rounded_null", "round_to_dtype"]

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
        """Exact ``k``-th central moment of the rounded null."""
        return float(np.sum(self.prob * (self.values - self.mean) ** k))


def rounded_null(bit_counts: np.ndarray, dtype: str, dist: Distribution) -> RoundedNull:
    """Align a 65,536-bin bit histogram of ``dtype`` values with ``dist`` rounded to the grid."""
    grid = grid_values(dtype)
    finite = np.isfinite(grid)
    vals = grid[finite]
    cnts = bit_counts[finite]
    order = np.argsort(vals, kind="stable")
    vals, cnts = vals[order], cnts[order]
    uniq, start = np.unique(vals, return_index=True)  # merges -0 and +0
    counts = np.add.reduceat(cnts, start)
    mid = (uniq[1:] + uniq[:-1]) / 2.0
    upper = np.empty_like(uniq)
    upper[:-1] = dist.cdf(mid)
    upper[-1] = 1.0
    prob = np.diff(np.concatenate(([0.0], upper)))
    prob = np.maximum(prob, 0.0)
    return RoundedNull(uniq, counts.astype(np.int64), upper, prob)


def round_to_dtype(x: float, dtype: str) -> float:
    """Round ``x`` to the nearest value of ``dtype`` (float64 result)."""
    if dtype == "float64":
        return float(x)
    if dtype == "float32":
        return float(np.float32(x))
    grid = grid_values(dtype)
    finite = grid[np.isfinite(grid)]
    return float(finite[np.argmin(np.abs(finite - x))])
