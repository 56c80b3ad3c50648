"""Decisions: the default level, multiple-testing corrections, and power.

Default family-wise level ``DEFAULT_ALPHA = 1e-4``: with Holm's correction over the
checks of one tensor, a correct initializer fails a verdict with probability at most
1e-4 (fewer than one run in ten thousand), while a 1 % std error is still caught at
n ≈ 1e6 (see :func:`detectable_std_error`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import special

from ..errors import SpecError

__all__ = ["DEFAULT_ALPHA", "POWER", "ROLES", "register_check", "role_and_share", "role_of", "event_share", "holm", "holm_levels", "benjamini_hochberg",
           "detectable_std_error", "validate_alpha"]

DEFAULT_ALPHA = 1e-4
"""Default family-wise error rate of one verdict."""

POWER = 0.99
"""Power at which the detectable error is stated."""


ROLES: dict[str, tuple[str, float]] = {
    "finite": ("deterministic", 0.0),
    "support": ("deterministic", 0.0),
    "padding_row": ("deterministic", 0.0),
    "shards": ("deterministic", 0.0),  # a shard repeating another: impossible under a continuous null
    "gram": ("deterministic", 0.0),  # orthogonal: W·Wᵀ = g²·I within the dtype's rounding
    "exact": ("deterministic", 0.0),
    "dtype": ("deterministic", 0.0),  # an initializer's contracts (verifier.contracts)
    "returned shape": ("deterministic", 0.0),
    "same seed": ("deterministic", 0.0),
    "different seed": ("deterministic", 0.0),
    "degenerate": ("event", 0.01),
    # the structure checks (verifier.stats.structure): conservative bounds on rare events that a
    # correct marginal hides (repeated blocks, ties, atoms on a bound); each spends 1 % of α, so the
    # Holm family of the distribution checks keeps its size and its power
    "ties": ("event", 0.01),
    "blocks": ("event", 0.01),
    "bound atoms": ("event", 0.01),
}
"""How each check joins the verdict, by name: ``(role, share)``.

* ``'deterministic'``: the violation is impossible under the null (p = 0 when violated,
  1 otherwise); it fails the verdict by itself and spends none of α.
* ``'event'``: a rare event whose null probability is the p-value; it fails the verdict
  when ``p ≤ share·α`` and so spends at most ``share·α``.
* ``'statistical'`` (any name not registered): a p-value in the Holm family, which gets
  the α left by the events.

A new check plugs in by returning a :class:`~verifier.stats.checks.CheckResult` from a
function the caller adds to the checks, and, unless it is statistical, by
``register_check(name, role, share)``.
"""


def register_check(name: str, role: str, share: float = 0.0) -> None:
    """Declare how the check called ``name`` joins the verdict (see :data:`ROLES`)."""
    if role not in ("deterministic", "event", "statistical"):
        raise ValueError(f"role must be 'deterministic', 'event' or 'statistical', got {role!r}")
    if not 0.0 <= share < 0.5:
        raise ValueError(f"share must be in [0, 0.5), got {share!r}")
    ROLES[name] = (role, float(share) if role == "event" else 0.0)


def role_and_share(name: str) -> tuple[str, float]:
    """The role of the check ``name`` and the share of α it spends (``('statistical', 0)`` unless
    registered)."""
    return ROLES.get(name, _STATISTICAL)


_STATISTICAL = ("statistical", 0.0)


def role_of(name: str) -> str:
    """The role of the check ``name`` ('statistical' unless registered)."""
    return role_and_share(name)[0]


def event_share(names: Sequence[str]) -> float:
    """Total share of α spent by the event checks among ``names``."""
    return float(sum(ROLES[n][1] for n in names if n in ROLES and ROLES[n][0] == "event"))


def validate_alpha(alpha: float | None) -> float:
    """``alpha`` or the default; must lie in (0, 0.5]."""
    if alpha is None:
        return DEFAULT_ALPHA
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 0.5:
        raise SpecError(f"alpha must be a number in (0, 0.5], got {alpha!r}; the default is {DEFAULT_ALPHA}")
    return float(alpha)


def holm_levels(pvalues: Sequence[float], alpha: float) -> list[float | None]:
    """Holm's step-down procedure at family-wise ``alpha``: the level ``alpha/(m-i+1)`` each rejected
    hypothesis was rejected at, ``None`` for those kept.

    Sort p ascending; reject ``p_(i) <= alpha/(m-i+1)`` while it holds, stop at the first
    that does not. Controls the family-wise error rate under any dependence.
    """
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: (pvalues[i] != pvalues[i], pvalues[i]))  # stable, NaN last
    levels: list[float | None] = [None] * m
    for rank, idx in enumerate(order):
        level = alpha / (m - rank)
        if pvalues[idx] <= level:
            levels[idx] = level
        else:
            break
    return levels


def holm(pvalues: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise ``alpha``
    (:func:`holm_levels`)."""
    return [level is not None for level in holm_levels(pvalues, alpha)]


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


@lru_cache(maxsize=1024)
def detectable_std_error(n: int, kurtosis: float, alpha: float, m: int = 1, power: float = POWER,
                         normal: bool = False) -> tuple[float, float]:
    r"""Smallest relative std errors (down, up) detected with probability ``power``.

    ``normal``: the exact χ² law. Under a true scale ``s``, :math:`n q/s^2 \sim \chi^2_n`
    and the two-sided test at per-test level α/m rejects upwards when
    :math:`nq \ge \chi^2_{n,1-a}` (``a = α/(2m)``), so power ``P`` needs
    :math:`s^2 = \chi^2_{n,1-a}/\chi^2_{n,1-P}`, and downwards
    :math:`s^2 = \chi^2_{n,a}/\chi^2_{n,P}`.

    Otherwise the normal approximation: :math:`q = m_2/\sigma^2` is approximately
    :math:`N(s^2, s^4\tau^2)`, :math:`\tau^2 = (\kappa-1)/n` (κ the kurtosis), which
    rejects with probability ``power`` once
    :math:`s^2 \ge (1+z_a\tau)/(1-z_p\tau)` or :math:`s^2 \le (1-z_a\tau)/(1+z_p\tau)`.
    Returns ``(1 - s_low, s_high - 1)``; ``inf`` when no error is detectable.
    """
    if n < 2:
        return math.inf, math.inf
    if normal:
        a = alpha / m / 2
        # special.chdtri(n, q) is the upper-q quantile of χ²_n (chi2.isf(q, n))
        up = float(special.chdtri(n, a) / special.chdtri(n, power))
        down = float(special.chdtri(n, 1 - a) / special.chdtri(n, 1 - power))
        return 1.0 - math.sqrt(max(down, 0.0)), math.sqrt(up) - 1.0
    tau = math.sqrt(max(kurtosis - 1.0, 0.0) / n)
    za = -special.ndtri(alpha / m / 2)  # scipy.special: no frozen-distribution overhead
    zp = special.ndtri(power)
    up = (1 + za * tau) / (1 - zp * tau) if zp * tau < 1 else math.inf
    down = (1 - za * tau) / (1 + zp * tau) if za * tau < 1 else 0.0
    return 1.0 - math.sqrt(max(down, 0.0)), math.sqrt(up) - 1.0
