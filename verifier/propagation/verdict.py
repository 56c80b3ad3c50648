"""The verdict over depth: variance ratios with confidence intervals over independent seeds.

For each seed ``s`` (an independent batch of inputs, output gradient and, for a factory, weights)
the forward ratio is ``R_s = Var(last layer's output) / Var(first layer's output)`` and the
backward ratio ``B_s = Var(∂L/∂ first layer's output) / Var(∂L/∂ last layer's output)``, both
along the chain of layers with weights, in the order they run. Such ratios are products of
per-layer factors, so they are summarised on the log scale: with ``ℓ_s = log R_s``, ``S`` seeds,

    interval for log R = mean(ℓ) ± t_{(1+c)/2, S−1} · sd(ℓ)/√S            (Student t)

and the interval for ``R`` is its exponential; the per-layer growth factor is ``R^{1/(L−1)}`` over
``L`` chain layers, with the interval transformed the same way. The t-interval assumes the log
ratios are roughly normal across seeds (a product of many independent per-layer factors); the
estimate is the geometric mean of the ratios.

Decision, for a tolerance ``k > 1`` (default :data:`DEFAULT_K`): a direction is **kept** when the
whole interval lies in ``[1/k, k]``, **vanishing** when it lies below ``1/k``, **exploding** when above
``k``, and **undecided** when it straddles a bound (more seeds narrow it). The model passes only if
both directions are kept: an undecided interval is not a pass.

Why ``k = 2`` by default: a factor 2 in variance is what one wrong gain does to one ReLU layer
(Xavier instead of He, a missing √2), the bug this check exists to catch; a scheme wrong by a
constant factor per layer leaves ``[1/2, 2]`` after a handful of layers. A correct scheme keeps the
variance *in expectation*, and one network of finite width scatters around it: for ReLU nets the
log of the depth ratio has variance about ``5·Σ_l 1/n_l`` (Hanin 2018, "Which neural net
architectures give rise to exploding and vanishing gradients?"), e.g. 0.2 for 10 layers of 256 or
32 layers of 1024, which ``[1/2, 2]`` (±0.69 on the log scale) tolerates; for deeper or narrower
nets a single draw really does lose or gain a factor 2 by chance, and the verdict says undecided
unless more seeds narrow the interval, or a larger ``k`` is chosen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_K",
    "Interval",
    "classify",
    "log_t_interval",
    "validate_confidence",
    "validate_k",
]

DEFAULT_K = 2.0
DEFAULT_CONFIDENCE = 0.95


def validate_k(k: float) -> float:
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not math.isfinite(k) or k <= 1:
        raise SpecError(f"k must be a number > 1 (variance kept within [1/k, k]), got {k!r}; e.g. k=2")
    return float(k)


def validate_confidence(c: float) -> float:
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0.5 <= c < 1:
        raise SpecError(f"confidence must be in [0.5, 1), got {c!r}; e.g. 0.95")
    return float(c)


@dataclass(frozen=True)
class Interval:
    """A positive quantity estimated over seeds: geometric mean and t-interval on the log scale.

    ``values`` are the per-seed values; ``low``/``high`` the ``confidence`` interval (``nan`` with
    fewer than two finite values)."""

    estimate: float
    low: float
    high: float
    confidence: float
    values: tuple[float, ...]

    def power(self, p: float) -> Interval:
        """The interval of ``x**p`` (``p > 0``): e.g. the per-layer factor from a depth ratio."""
        f = (lambda x: x ** p if x >= 0 else math.nan)
        return Interval(f(self.estimate), f(self.low), f(self.high), self.confidence,
                        tuple(f(v) for v in self.values))

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high

    def within(self, lo: float, hi: float) -> bool:
        return lo <= self.low and self.high <= hi

    def to_dict(self) -> dict[str, object]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "confidence": self.confidence,
                "values": list(self.values)}


def log_t_interval(values: Sequence[float], confidence: float = DEFAULT_CONFIDENCE) -> Interval:
    """Geometric mean of positive ``values`` and the Student-t interval of their mean log.

    Zeros give an estimate and interval of 0 (the signal died), infinities or NaN give ``inf``
    (it overflowed); both are decided without an interval.
    """
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    vals = tuple(float(x) for x in v)
    if v.size == 0:
        return Interval(math.nan, math.nan, math.nan, confidence, vals)
    if np.any(~np.isfinite(v)) or np.any(v < 0):
        return Interval(math.inf, math.inf, math.inf, confidence, vals)
    if np.any(v == 0):
        if np.all(v == 0):
            return Interval(0.0, 0.0, 0.0, confidence, vals)
        v = np.where(v == 0, np.finfo(np.float64).tiny, v)
    logs = np.log(v)
    m = float(logs.mean())
    if v.size < 2:
        return Interval(math.exp(m), math.nan, math.nan, confidence, vals)
    se = float(logs.std(ddof=1)) / math.sqrt(v.size)
    t = float(stats.t.ppf(0.5 + confidence / 2, v.size - 1))
    return Interval(math.exp(m), math.exp(m - t * se), math.exp(m + t * se), confidence, vals)


def classify(iv: Interval, k: float) -> str:
    """``'kept'``, ``'vanishing'``, ``'exploding'`` or ``'undecided'`` (see the module docstring)."""
    lo, hi = 1.0 / k, k
    if iv.estimate == 0.0 or (math.isfinite(iv.high) and iv.high < lo):
        return "vanishing"
    if math.isinf(iv.estimate) or (math.isfinite(iv.low) and iv.low > hi):
        return "exploding"
    if math.isfinite(iv.low) and math.isfinite(iv.high) and iv.within(lo, hi):
        return "kept"
    return "undecided"
