"""The null model a summary is tested against: the law, rounded to the dtype's grid where the
values live on one (16-bit floats, or float32/float64 values found on a 16-bit grid)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from ..theory.distributions import Distribution, Normal
from .grid import RoundedNull, grid_bits, rounded_null
from .summary import Summary

__all__ = ["NullModel", "null_model", "on_detected_grid"]


@dataclass(frozen=True)
class NullModel:
    """The null distribution as the checks see it.

    For float16/bfloat16 the moments are those of the distribution rounded to the grid
    (``rounded``); otherwise those of the continuous ``distribution``. ``exact_normal``
    means the exact χ² law of the variance test applies.
    """

    distribution: Distribution
    dtype: str
    mean: float
    variance: float
    mu4: float
    mu6: float
    exact_normal: bool
    rounded: RoundedNull | None = None
    grid_note: str | None = None  # set when float32/float64 values were found on a 16-bit grid
    mu3: float = 0.0

    @property
    def std(self) -> float:
        return math.sqrt(self.variance)


def null_model(dist: Distribution, summary: Summary, grid_note: str | None = None) -> NullModel:
    """The null model for ``dist`` and the dtype/representation of ``summary``."""
    if summary.mode == "grid":
        assert summary.counts is not None
        r = rounded_null(summary.counts, summary.dtype, dist)
        mean, m2, m3, m4, m6 = _rounded_moments(summary.dtype, dist)
        return NullModel(dist, summary.dtype, mean, m2, m4, m6, False, r, grid_note, m3)
    mean, variance, mu4, mu6, mu3 = _law_moments(dist)
    return NullModel(dist, summary.dtype, mean, variance, mu4, mu6, isinstance(dist, Normal), mu3=mu3)


@lru_cache(maxsize=256)
def _law_moments(dist: Distribution) -> tuple[float, float, float, float, float]:
    """``(mean, variance, μ4, μ6, μ3)`` of a law (cached: laws are frozen)."""
    return dist.mean, dist.variance, dist.central_moment(4), dist.central_moment(6), dist.central_moment(3)


@lru_cache(maxsize=64)
def _rounded_moments(dtype: str, dist: Distribution) -> tuple[float, float, float, float, float]:
    """Mean and central moments 2, 3, 4, 6 of ``dist`` rounded to the ``dtype`` grid (cached)."""
    r = rounded_null(np.zeros(65536, dtype=np.int64), dtype, dist)
    return r.mean, r.central_moment(2), r.central_moment(3), r.central_moment(4), r.central_moment(6)


def on_detected_grid(s: Summary) -> tuple[Summary, str | None]:
    """A float32/float64 exact summary whose values all lie on the bfloat16 (or float16) grid,
    re-expressed as a grid summary of that dtype, with a note saying so; else ``(s, None)``.

    Such values (a bf16-trained checkpoint saved in float32) are draws from the law rounded
    to the grid: against the continuous law KS and AD would see the grid's steps as a
    deviation. A streamed sample was already summarised on its grid
    (:func:`verifier.stats.summary.streamed_grid`, ``stored_as`` set): only the note is added.
    """
    if s.mode == "grid" and s.stored_as is not None:
        return s, (f"all {s.n_total:,} {s.stored_as} values lie on the {s.dtype} grid: "
                   "tested against the law rounded to it")
    if s.mode != "exact" or s.dtype not in ("float32", "float64") or s.sorted_values is None or s.n < 2:
        return s, None
    if not s.value_grids:
        return s, None
    g = s.value_grids[0]
    bits = grid_bits(s.sorted_values, g)
    assert bits is not None
    counts = np.bincount(bits, minlength=65536).astype(np.int64)
    note = f"all {s.n:,} {s.dtype} values lie on the {g} grid: tested against the law rounded to it"
    return replace(s, dtype=g, mode="grid", sorted_values=None, counts=counts), note
