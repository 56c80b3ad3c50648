"""The values of the weights, read once for identification: sorted values (or the bit-pattern
histogram of float16/bfloat16), the moments, and the KS distance to any law."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from verifier.stats import gof
from verifier.stats.checks import CONFIDENCE
from verifier.stats.grid import GRID_DTYPES, grid_values
from verifier.stats.summary import Moments, iter_blocks, summarize
from verifier.theory.distributions import Distribution

__all__ = ["IDENTIFY_MAX"]


IDENTIFY_MAX = 1 << 22
"""Values kept (sorted) for identification; larger samples are read in full for the moments and
subsampled with a fixed stride for the KS distances."""

_Z = float(np.sqrt(2.0) * special.erfinv(CONFIDENCE))  # two-sided normal quantile of the CI level
_Z_CONSISTENT = float(np.sqrt(2.0) * special.erfinv(1.0 - 1e-4))
_KS_CRIT = 1.63  # c(0.01): families closer than 1.63/√n to the best one are not told apart


# ---- the data, read once -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Data:
    values: np.ndarray  # sorted distinct-or-not values (float64)
    weights: np.ndarray | None  # counts per value (grid dtypes), else None
    moments: Moments
    n: int

    def ks(self, dist: Distribution) -> float:
        u = dist.cdf(self.values)
        if self.weights is None:
            return gof.ks_exact(u).value
        c = np.cumsum(self.weights)
        n = float(c[-1])
        mid = (c - 0.5 * self.weights) / n  # the value sits in the middle of its rounding interval
        return float(np.max(np.abs(u - mid)))


def _read(sample: Any) -> _Data:
    if sample.dtype in GRID_DTYPES:
        s = summarize(sample)
        assert s.counts is not None
        grid = grid_values(sample.dtype)
        keep = np.isfinite(grid) & (s.counts > 0)
        order = np.argsort(grid[keep], kind="stable")
        return _Data(grid[keep][order].astype(np.float64), s.counts[keep][order].astype(np.float64), s.moments,
                     s.n)
    if sample.n <= IDENTIFY_MAX:
        s = summarize(sample, exact_max=IDENTIFY_MAX)
        assert s.sorted_values is not None
        return _Data(s.sorted_values, None, s.moments, s.n)
    stride = math.ceil(sample.n / IDENTIFY_MAX)
    moments, parts, offset = Moments(), [], 0
    for block in iter_blocks(sample):
        x = block.astype(np.float64)
        x = x[np.isfinite(x)]
        moments = moments.merge(Moments.of(x))
        parts.append(x[(-offset) % stride::stride])
        offset += x.size
    values = np.sort(np.concatenate(parts))
    return _Data(values, None, moments, moments.n)


def _ratio(moments: Moments, kurt: float, dist: Distribution) -> tuple[float, tuple[float, float], bool]:
    """Std ratio, its CI, and whether 1 lies within ``_Z_CONSISTENT`` standard errors."""
    n = moments.n
    q = moments.sum_sq_about(dist.mean) / n / dist.variance
    se = q * math.sqrt(max(kurt - 1.0, 1e-12) / n)
    ci = (math.sqrt(max(q - _Z * se, 0.0)), math.sqrt(q + _Z * se))
    return math.sqrt(q), ci, abs(q - 1.0) <= _Z_CONSISTENT * se
