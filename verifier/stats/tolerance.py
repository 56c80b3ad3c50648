"""Practical tolerance: statistical significance is not practical significance.

With 1e9 values a 0.01 % std error is detectable, though no training run would notice it.
A :class:`Tolerance` states the effect sizes that do not matter:

* ``std``: relative std error. The variance check is tolerated when the observed/expected
  std ratio ``r`` has ``|r - 1| ≤ std``; the mean check when ``|mean - μ|/σ ≤ std``.
* ``ks``: Kolmogorov–Smirnov distance. The shape checks (ks, ad, cvm) are tolerated when
  the KS distance ``D`` (its certified upper bound, for a streamed summary) is ``≤ ks``.
  A pure std error ``ε`` moves a normal's CDF by at most ``ε·max|zφ(z)| ≈ 0.24·ε``, so
  ``ks = std/2`` (the default for a bare float) tolerates at least the shape change of
  any tolerated scale error.

Only *rejected* checks are examined: a check that passes needs no tolerance. Deterministic
checks (finite, degenerate, support) ignore tolerance: a NaN or a constant tensor is never
"close enough".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .checks import CheckResult

__all__ = ["Tolerance", "as_tolerance", "apply_tolerance", "DETERMINISTIC"]

DETERMINISTIC = ("finite", "degenerate", "support")


@dataclass(frozen=True)
class Tolerance:
    """Effect sizes small enough to accept even when detected.

    Parameters
    ----------
    std : float
        Relative std error tolerated (0.01 = 1 %); also bounds ``|mean|/std``.
    ks : float
        KS distance tolerated for the shape checks (ks, ad, cvm).

    Examples
    --------
    >>> Tolerance(std=0.01, ks=0.005)
    Tolerance(std=0.01, ks=0.005)
    """

    std: float = 0.01
    ks: float = 0.005

    def __post_init__(self) -> None:
        from ..errors import SpecError

        for name in ("std", "ks"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise SpecError(f"tolerance {name} must be a finite number >= 0, got {v!r}; e.g. Tolerance(std=0.01)")
            object.__setattr__(self, name, float(v))

    def __str__(self) -> str:
        return f"std ±{self.std:.3g}, KS D ≤ {self.ks:.3g}"


def as_tolerance(tol: Tolerance | float | None) -> Tolerance | None:
    """``None``, a :class:`Tolerance`, or a float (relative std error; ``ks = std/2``)."""
    from ..errors import SpecError

    if tol is None or isinstance(tol, Tolerance):
        return tol
    if isinstance(tol, bool) or not isinstance(tol, (int, float)):
        raise SpecError(f"tolerance must be a float (relative std error) or verifier.Tolerance, got {tol!r}")
    return Tolerance(std=float(tol), ks=float(tol) / 2)


def _ks_distance(checks: tuple[CheckResult, ...]) -> float | None:
    ks = next((c for c in checks if c.name == "ks"), None)
    if ks is None:
        return None
    return ks.statistic + (ks.bound or 0.0)  # certified upper bound when streamed


def effect_within(check: CheckResult, checks: tuple[CheckResult, ...], tol: Tolerance) -> tuple[bool, str] | None:
    """Whether a check's effect lies within ``tol``, with the figures; ``None`` if not applicable."""
    if check.name in DETERMINISTIC:
        return None
    if check.name == "variance" and check.effect is not None:
        dev = abs(check.effect.estimate - 1.0)
        return dev <= tol.std, f"std ratio {check.effect.estimate:.5g}: |r-1| = {dev:.3g} vs tolerance {tol.std:.3g}"
    if check.name == "mean" and check.effect is not None:
        dev = abs(check.effect.estimate)
        return dev <= tol.std, f"|mean|/std = {dev:.3g} vs tolerance {tol.std:.3g}"
    if check.name in ("ks", "ad", "cvm"):
        d = _ks_distance(checks)
        if d is None:
            return None
        return d <= tol.ks, f"KS D = {d:.3g} vs tolerance {tol.ks:.3g}"
    return None


def apply_tolerance(checks: tuple[CheckResult, ...], tol: Tolerance | None) -> tuple[CheckResult, ...]:
    """Mark rejected checks whose effect is within ``tol`` (``within_tolerance=True``)."""
    if tol is None:
        return checks
    out = []
    for c in checks:
        if c.passed is False:
            res = effect_within(c, checks, tol)
            if res is not None:
                ok, figures = res
                c = replace(c, within_tolerance=ok, tolerance_detail=figures)
        out.append(c)
    return tuple(out)
