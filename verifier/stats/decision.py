"""Decisions: the default level, multiple-testing corrections, and power.

Default family-wise level ``DEFAULT_ALPHA = 1e-4``: with Holm's correction over the
checks of one tensor, a correct initializer fails a verdict with probability at most
1e-4 (fewer than one run in ten thousand), while a 1 % std error is still caught at
n ≈ 1e6 (see :func:`detectable_std_error`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

__all__ = ["DEFAULT_ALPHA", "POWER", "holm", "benjamini_hochberg", "detectable_std_error", "validate_alpha"]

DEFAULT_ALPHA = 1e-4
"""Default family-wise error rate of one verdict."""

POWER = 0.99
"""Power at which the detectable error is stated."""


def validate_alpha(alpha: float | None) -> float:
    """``alpha`` or the default; must lie in (0, 0.5]."""
    from ..errors import SpecError

    if alpha is None:
        return DEFAULT_ALPHA
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 0.5:
        raise SpecError(f"alpha must be a number in (0, 0.5], got {alpha!r}; the default is {DEFAULT_ALPHA}")
    return float(alpha)


def holm(pvalues: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise ``alpha``.

    Sort p ascending; reject ``p_(i) <= alpha/(m-i+1)`` while it holds, stop at the first
    that does not. Controls the family-wise error rate under any dependence.
    """
    m = len(pvalues)
    order = np.argsort(pvalues, kind="stable")
    rejected = [False] * m
    for rank, idx in enumerate(order):
        if pvalues[idx] <= alpha / (m - rank):
            rejected[idx] = True
        else:
            break
    return rejected


def benjamini_hochberg(pvalues: Sequence[float], alpha: float) -> list[bool]:
    """Benjamini–Hochberg step-up: controls the false discovery rate at ``alpha``
    (independent or positively dependent tests)."""
    m = len(pvalues)
    order = np.argsort(pvalues, kind="stable")
    k = 0
    for rank, idx in enumerate(order, start=1):
        if pvalues[idx] <= alpha * rank / m:
            k = rank
    rejected = [False] * m
    for idx in order[:k]:
        rejected[idx] = True
    return rejected


def detectable_std_error(n: int, kurtosis: float, alpha: float, m: int = 1, power: float = POWER) -> tuple[float, float]:
    r"""Smallest relative std errors (down, up) detected with probability ``power``.

    The variance test's ratio :math:`q = m_2/\sigma^2` is approximately
    :math:`N(s^2, s^4\tau^2)` under a true scale ``s``, :math:`\tau^2 = (\kappa-1)/n`
    (κ the kurtosis). At per-test level α/m (Holm's smallest threshold) it rejects with
    probability ``power`` once
    :math:`s^2 \ge (1+z_a\tau)/(1-z_p\tau)` or :math:`s^2 \le (1-z_a\tau)/(1+z_p\tau)`.
    Returns ``(1 - s_low, s_high - 1)``; ``inf`` when no error is detectable.
    """
    if n < 2:
        return math.inf, math.inf
    tau = math.sqrt(max(kurtosis - 1.0, 0.0) / n)
    za = -special.ndtri(alpha / m / 2)  # scipy.special: no frozen-distribution overhead
    zp = special.ndtri(power)
    up = (1 + za * tau) / (1 - zp * tau) if zp * tau < 1 else math.inf
    down = (1 - za * tau) / (1 + zp * tau) if za * tau < 1 else 0.0
    return 1.0 - math.sqrt(max(down, 0.0)), math.sqrt(up) - 1.0
