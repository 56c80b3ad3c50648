r"""Equivalence for the shape checks: is a KS/AD/CvM rejection explained by a tolerated law?

A shape test that rejects has seen the empirical CDF :math:`F_n` depart from the null
:math:`F` somewhere — in the body (KS, CvM) or in the tails (AD weighs
:math:`1/(F(1-F))`). Its rejection may only be excused by ``tolerance=`` when an equivalence
test on an effect that sees the *same* departures shows it inside the tolerance. The KS
distance does not: it is blind to the tails, where a Student-t(5) at the right variance, a
truncation that is missing, or a few gross outliers live.

**The tolerated laws.** For a tolerance ``(std = τ, ks = κ)`` and a null of mean μ and std σ,
the location–scale laws :math:`T_{s,m}(x) = F(\mu + (x - \mu - m\sigma)/s)` with
:math:`|s - 1| \le \tau`, :math:`|m| \le \tau` span, at each x, a CDF range
:math:`[L(x), H(x)]` (reached at the four corners of the box, F being monotone); the
tolerated set is every law G with

.. math:: L(x) - \kappa\,w(x) \;\le\; G(x) \;\le\; H(x) + \kappa\,w(x),\qquad w(x) = 4F(x)\,(1-F(x))

— the std tolerance as a band on *every quantile* (a 5 % scale error moves each quantile by
5 %, in the body and in the far tails alike), widened by a CDF allowance κ at the median that
shrinks like :math:`F(1-F)` towards the tails: there it is *relative* (a tail mass may be off
by a factor :math:`1 \pm 4κ`, no more), so no allowance lets a tail vanish or grow
unboundedly (a weight :math:`\sqrt{F(1-F)}`, the ECDF's noise, would: with κ = 0.025 it
tolerates a normal whose tails beyond 3σ are missing). The effect is the **weighted distance** of G from the
location–scale band,

.. math:: d_w(G) = \sup_x \frac{\operatorname{dist}\big(G(x), [L(x), H(x)]\big)}{w(x)},

tolerated when :math:`d_w \le \kappa`.

**The test.** G is read at the probability levels :math:`t_j = F(x_j)` of the ladder
:math:`\tfrac12 10^{-j/4}` and their mirrors :math:`1 - t_j` that the sample *resolves at this
tolerance* — those where, were G = F, the one-sided ``(1 − α)`` Clopper–Pearson bounds of
:math:`G(x_j)` would use at most half of the tolerated room on either side (a choice that
depends on n, α, the null and the tolerance, never on the data). The count of values
:math:`\le x_j` is exact for sorted values and for 16-bit grids (x_j a rounding-cell edge),
and bracketed for the streamed PIT histogram (its certified u error widens the counts).

* **within**: at every level, the ``(1 − 2α)`` interval of :math:`G(x_j)` (two one-sided
  Clopper–Pearson bounds at α) lies inside the tolerated band, *and* neither extreme value is
  beyond the tolerated laws' reach (below). An intersection–union test: each level's TOST has
  size α, so a law outside the band at a resolved level is called within with probability
  ≤ α (no multiplicity correction is needed for an intersection).
* **beyond**: some level's interval, at the Bonferroni level α/(2K + 2) per side, lies
  entirely outside the band, or an extreme is beyond reach at α/(2K + 2): a tolerated law is
  called beyond with probability ≤ α.
* **inconclusive** otherwise (not a pass), in particular when no level is resolved.

**The extremes.** Any tolerated G has :math:`P_G(X \ge x) \le 1 - L(x) + \kappa w(x) =: \bar u(x)`,
so the largest of n values reaches ``max`` with probability at most
:math:`1 - (1 - \bar u)^n`; likewise the smallest. A tail defect beyond the resolved levels
(outliers, a heavy tail) is seen there. The claim "within" is about the resolved levels
(quantiles between the smallest resolved :math:`t` and :math:`1 - t`) and extremes that the
tolerated laws can reach; a defect carried by fewer values than the smallest resolved level
and within reach of a tolerated law is not resolvable by any test at this n.
Error rates simulated in ``tests/stats/test_equivalence.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    from ..theory.distributions import Distribution
    from .checks import NullModel
    from .summary import Summary

__all__ = ["ShapeEquivalence", "shape_equivalence", "tolerated_band", "LADDER_STEP"]

LADDER_STEP = 0.25
"""Levels ``t_j = ½·10^(−j·LADDER_STEP)``: four per decade."""


@dataclass(frozen=True)
class ShapeEquivalence:
    """The outcome of the shape equivalence test (see the module docstring).

    ``within`` True / False / None (inconclusive); ``low``/``high`` bound the weighted
    distance :math:`d_w` over the resolved levels (``high`` from the ``(1 − 2α)`` intervals,
    ``low`` from the Bonferroni ones); ``levels`` the number of levels resolved, ``t_min`` the
    smallest; ``extremes`` the smaller p-value of the two extremes under the tolerated laws.
    """

    within: bool | None
    low: float
    high: float
    levels: int
    t_min: float
    extremes: float
    worst_level: float

    def __str__(self) -> str:
        if self.levels == 0:
            return "no quantile level resolved at this n and tolerance"
        text = (f"weighted CDF distance to the tolerated scales in [{self.low:.3g}, {self.high:.3g}] at "
                f"{self.levels} levels t ∈ [{self.t_min:.2g}, {1 - self.t_min:.6g}] (worst t = {self.worst_level:.3g})")
        if self.extremes < 1.0:
            text += f"; extremes p = {self.extremes:.3g} under the tolerated laws"
        return text


def _ladder(n: int) -> np.ndarray:
    """Levels ``t ≤ ½`` down to ``1/n``, ascending, with their mirrors."""
    j_max = int(math.floor(math.log10(max(n, 2) / 2.0) / LADDER_STEP)) if n >= 2 else 0
    t = 0.5 * 10.0 ** (-LADDER_STEP * np.arange(j_max + 1))
    return np.unique(np.concatenate([t, 1.0 - t]))


def tolerated_band(dist: Distribution, x: np.ndarray, t: np.ndarray, std: float,
                   ks: float) -> tuple[np.ndarray, np.ndarray]:
    r"""``(L − κw, H + κw)`` at the points ``x`` of null probability ``t = F(x)``: the CDF range of
    the tolerated laws (module docstring), clipped to [0, 1]."""
    mu, sigma = float(dist.mean), float(dist.std)
    corners = []
    for m in (-std, std):
        for s in (max(1.0 - std, 1e-12), 1.0 + std):
            corners.append(np.asarray(dist.cdf(mu + (x - mu - m * sigma) / s), dtype=np.float64))
    c = np.stack(corners)
    w = 4.0 * np.clip(t * (1.0 - t), 0.0, None)
    return np.clip(c.min(axis=0) - ks * w, 0.0, 1.0), np.clip(c.max(axis=0) + ks * w, 0.0, 1.0)


def _cp_low(k: np.ndarray, n: int, a: float) -> np.ndarray:
    """One-sided ``(1 − a)`` Clopper–Pearson lower bound of a proportion from ``k`` of ``n``."""
    k = np.asarray(k, dtype=np.float64)
    return np.where(k > 0, special.betaincinv(np.maximum(k, 1e-300), n - k + 1, a), 0.0)


def _cp_high(k: np.ndarray, n: int, a: float) -> np.ndarray:
    """One-sided ``(1 − a)`` Clopper–Pearson upper bound."""
    k = np.asarray(k, dtype=np.float64)
    return np.where(k < n, special.betaincinv(k + 1, np.maximum(n - k, 1e-300), 1.0 - a), 1.0)


def _observed(s: Summary, null: NullModel, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(t_eff, k_low, k_high)``: levels moved to where the summary reads counts exactly, and
    the bracket of the count of values with ``F(x) ≤ t_eff``."""
    if null.rounded is not None:  # 16-bit grid: the count up to a value = draws below its upper cell edge
        upper = null.rounded.upper
        cum = np.cumsum(null.rounded.counts)
        j = np.clip(np.searchsorted(upper, t), 0, max(upper.size - 2, 0))
        j = np.unique(j)
        te = upper[j]
        keep = (te > 0) & (te < 1)
        return te[keep], cum[j][keep], cum[j][keep]
    if s.mode == "exact" and s.sorted_values is not None:
        x = np.asarray(null.distribution.ppf(t), dtype=np.float64)
        k = np.searchsorted(s.sorted_values, x, side="right")
        return t, k, k
    assert s.counts is not None
    b = int(s.counts.size)
    from .gof import _shift

    m = _shift(s.pit_error, b)
    j = np.unique(np.clip(np.rint(t * b).astype(np.int64), 1, b - 1))
    cum = np.concatenate(([0], np.cumsum(s.counts, dtype=np.int64)))
    return j / b, cum[np.clip(j - m, 0, b)], cum[np.clip(j + m, 0, b)]


@lru_cache(maxsize=256)
def _resolved(key: tuple, n: int, alpha: float, std: float, ks: float, levels: tuple[float, ...]) -> tuple[bool, ...]:
    """Which levels the sample resolves (module docstring): data-independent, cached."""
    dist = key[0]
    t = np.asarray(levels)
    x = np.asarray(dist.ppf(t), dtype=np.float64)
    lo, hi = tolerated_band(dist, x, t, std, ks)
    k = np.rint(t * n)
    a, b = _cp_low(k, n, alpha), _cp_high(k, n, alpha)
    ok = (t - a <= (t - lo) / 2) & (b - t <= (hi - t) / 2) & np.isfinite(x)
    return tuple(bool(v) for v in ok)


def _extremes_p(s: Summary, null: NullModel, std: float, ks: float) -> float:
    """Smaller of the probabilities, under the most spread tolerated law, that the max (min) of
    n values reaches the observed max (min); the observed value is moved one grid step
    inwards (conservative for rounded values)."""
    from .grid import neighbour

    dist, n = null.distribution, s.n
    grid = s.dtype if s.dtype in ("float16", "bfloat16", "float32", "float64") else "float64"
    out = 1.0
    for v, side in ((s.max, +1), (s.min, -1)):
        if not math.isfinite(v):
            continue
        x = neighbour(v, grid, -side)
        t = float(dist.cdf(x))
        lo, hi = tolerated_band(dist, np.array([x]), np.array([t]), std, ks)
        reach = (1.0 - float(lo[0])) if side > 0 else float(hi[0])  # P_G(X ≥ x) or P_G(X ≤ x)
        if reach < 1.0:
            out = min(out, float(-np.expm1(n * np.log1p(-reach))))
    return out


def shape_equivalence(s: Summary, null: NullModel, std: float, ks: float, alpha: float) -> ShapeEquivalence:
    """The shape equivalence test of a summary against the tolerance ``(std, ks)`` at level α."""
    n = s.n
    dist = null.distribution
    if n < 2 or not (math.isfinite(dist.mean) and math.isfinite(dist.std) and dist.std > 0):
        return ShapeEquivalence(None, 0.0, math.inf, 0, 0.5, 1.0, 0.5)
    t_all, k_lo, k_hi = _observed(s, null, _ladder(n))
    ok = np.asarray(_resolved((dist,), n, alpha, std, ks, tuple(float(v) for v in t_all)), dtype=bool)
    t, k_lo, k_hi = t_all[ok], k_lo[ok], k_hi[ok]
    p_ext = _extremes_p(s, null, std, ks)
    if t.size == 0:
        return ShapeEquivalence(None, 0.0, math.inf, 0, 0.5, p_ext, 0.5)
    x = np.asarray(dist.ppf(t), dtype=np.float64)
    core_lo, core_hi = tolerated_band(dist, x, t, std, 0.0)
    w = 4.0 * t * (1.0 - t)
    a, b = _cp_low(k_lo, n, alpha), _cp_high(k_hi, n, alpha)
    upper_d = np.maximum(np.maximum(core_lo - a, b - core_hi), 0.0) / w
    share = alpha / (2 * t.size + 2)
    ab, bb = _cp_low(k_lo, n, share), _cp_high(k_hi, n, share)
    lower_d = np.maximum(np.maximum(core_lo - bb, ab - core_hi), 0.0) / w
    high, low = float(upper_d.max()), float(lower_d.max())
    worst = float(t[int(np.argmax(upper_d))])
    if low > ks or p_ext <= share:
        within: bool | None = False
    elif high <= ks and p_ext > alpha:
        within = True
    else:
        within = None
    return ShapeEquivalence(within, low, high, int(t.size), float(min(t.min(), 1 - t.max())), p_ext, worst)
