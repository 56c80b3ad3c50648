"""Practical tolerance: statistical significance is not practical significance.

With 1e9 values a 0.01 % std error is detectable, though no training run would notice it.
A :class:`Tolerance` states the effect sizes that do not matter, and a rejected check is
compared with it by a **two-one-sided test (TOST)** at the verdict's level α, on the
``(1 − 2α)`` confidence interval ``[L, U]`` of its effect:

* ``std`` (relative std error): the variance check's std ratio ``r`` (interval from the
  check's own law: χ², exact lattice or Pearson III) against ``[1 − std, 1 + std]``; the
  mean check's ``(mean − μ)/σ`` (interval ``± z_{1−α}/√n``) against ``[−std, std]``.
* ``ks`` (KS distance): for the shape checks (ks, ad, cvm) the true distance
  ``d = sup|F_true − F|`` lies within ``D ± ε`` (plus the streamed bound), with
  ``ε = √(ln(2/α)/(2n))`` (Dvoretzky–Kiefer–Wolfowitz with Massart's constant), against
  ``[0, ks]``.

"within tolerance" only when ``[L, U]`` lies inside the tolerated range; "deviation beyond
tolerance" only when it lies entirely outside; "inconclusive" otherwise. Error rates, each
≤ α (simulated in ``tests/stats/test_tolerance.py``): a true effect outside the range is
called within with probability ≤ α (the two one-sided tests at α each); a true effect inside
is called beyond with probability ≤ α (the interval misses it). An inconclusive comparison
does not pass: equivalence must be shown. ``ks = std/2`` is the default for a bare float (a
std error ``ε`` moves a normal's CDF by ≤ 0.24·ε). Note that the KS distance measures the
body of the law: a tail-only defect rejected by AD with a small KS distance can be within a
``ks`` tolerance.

Only *rejected* checks are examined: a check that passes needs no tolerance. Deterministic
checks (finite, degenerate, support) ignore tolerance: a NaN or a constant tensor is never
"close enough".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from scipy import stats as _st

from .checks import CheckResult, NullModel, _variance_tail

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


def _ks_distance(checks: tuple[CheckResult, ...]) -> tuple[float, float] | None:
    ks = next((c for c in checks if c.name == "ks"), None)
    if ks is None:
        return None
    return ks.statistic, (ks.bound or 0.0)  # value and certified error when streamed


def tost_interval(check: CheckResult, checks: tuple[CheckResult, ...], n: int, null: NullModel | None,
                  alpha: float) -> tuple[float, float, float, float, str] | None:
    """``(L, U, lo, hi, label)``: the ``(1 − 2α)`` interval of the check's effect and the
    tolerated range; ``None`` when the check has no effect to compare."""
    if check.name == "variance" and check.effect is not None and null is not None:
        q = check.effect.estimate ** 2
        _, low, high = _variance_tail(q, n, null, confidence=1 - 2 * alpha)
        return low, high, None, None, "std ratio"  # type: ignore[return-value]
    if check.name == "mean" and check.effect is not None:
        half = float(_st.norm.isf(alpha)) / math.sqrt(n)
        est = check.effect.estimate
        return est - half, est + half, None, None, "(mean − μ)/σ"  # type: ignore[return-value]
    if check.name in ("ks", "ad", "cvm", "shape"):
        ks = _ks_distance(checks)
        if ks is None:
            return None
        d, bound = ks
        eps = math.sqrt(math.log(2 / alpha) / (2 * n))
        return max(d - eps - bound, 0.0), d + eps + bound, None, None, "KS distance"  # type: ignore[return-value]
    return None


def effect_within(check: CheckResult, checks: tuple[CheckResult, ...], tol: Tolerance, n: int = 0,
                  null: NullModel | None = None, alpha: float = 1e-4) -> tuple[bool | None, str] | None:
    """TOST of a check's effect against ``tol``: ``(True, figures)`` within, ``(False, …)``
    beyond, ``(None, …)`` inconclusive; ``None`` if not applicable."""
    if check.name in DETERMINISTIC or n < 1:
        return None
    iv = tost_interval(check, checks, n, null, alpha)
    if iv is None:
        return None
    low, high, _, _, label = iv
    if label == "std ratio":
        lo_t, hi_t = 1.0 - tol.std, 1.0 + tol.std
        tol_text = f"tolerance ±{tol.std:.3g}"
    elif label == "KS distance":
        lo_t, hi_t = 0.0, tol.ks
        tol_text = f"tolerance {tol.ks:.3g}"
    else:
        lo_t, hi_t = -tol.std, tol.std
        tol_text = f"tolerance ±{tol.std:.3g}"
    level = 1 - 2 * alpha
    figures = f"{label} in [{low:.5g}, {high:.5g}] ({level:.4g} interval) vs {tol_text}"
    if lo_t <= low and high <= hi_t:
        return True, figures
    if high < lo_t or low > hi_t:
        return False, figures
    return None, figures + ": inconclusive"


def apply_tolerance(checks: tuple[CheckResult, ...], tol: Tolerance | None, n: int = 0,
                    null: NullModel | None = None, alpha: float = 1e-4) -> tuple[CheckResult, ...]:
    """Mark rejected checks by the TOST of their effect against ``tol``:
    ``within_tolerance`` True (within), False (beyond) or None with an "inconclusive"
    ``tolerance_detail``."""
    if tol is None:
        return checks
    out = []
    for c in checks:
        if c.passed is False:
            res = effect_within(c, checks, tol, n, null, alpha)
            if res is not None:
                ok, figures = res
                c = replace(c, within_tolerance=ok, tolerance_detail=figures)
        out.append(c)
    return tuple(out)
