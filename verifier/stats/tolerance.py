r"""Practical tolerance: statistical significance is not practical significance.

With 1e9 values a 0.01 % std error is detectable, though no training run would notice it.
A :class:`Tolerance` states the effect sizes that do not matter, and a rejected check is
compared with it by a **two-one-sided test (TOST)** at the verdict's level α, on the
``(1 − 2α)`` confidence interval ``[L, U]`` of its effect:

* ``std`` (relative std error): the variance check's std ratio ``r`` (interval from the
  check's own law: χ², exact lattice or Pearson III) against ``[1 − std, 1 + std]``; the
  mean check's ``(mean − μ)/σ`` (interval ``± z_{1−α}·max(1, ŝ/σ)/√n``, ŝ the sample's std)
  against ``[−std, std]``.
* the range check (bounded families): the support's scale against ``1 − std``
  (:func:`range_within`).
* ``ks``: for the shape checks (ks, ad, cvm and their omnibus ``shape``) the effect is not
  the KS distance, which is blind to the tails that AD weighs, but the **weighted CDF
  distance** :math:`d_w` of the law from the location–scale laws the ``std`` tolerance allows
  (every quantile within a ±``std`` scale and ±``std``·σ shift), weighted by
  :math:`1/(4F(1-F))` (relative in the tails), read at every quantile level the sample resolves, plus the two
  extremes (:mod:`verifier.stats.equivalence`), against ``[0, ks]``. A tail-only defect
  (a Student-t at the right variance, outliers, a truncation missing) moves the tail
  quantiles far beyond a ±``std`` scale and is not "within tolerance" (``ks`` allows a tail
  mass off by a factor ``1 ± 4·ks`` at most; ``ks ≥ 0.25`` would let a tail vanish).

"within tolerance" only when ``[L, U]`` lies inside the tolerated range; "deviation beyond
tolerance" only when it lies entirely outside; "inconclusive" otherwise. Error rates, each
≤ α (simulated in ``tests/stats/test_tolerance.py`` and ``tests/stats/test_equivalence.py``):
a true effect outside the range is called within with probability ≤ α (the two one-sided
tests at α each; for the shape checks an intersection–union test over the levels); a true
effect inside is called beyond with probability ≤ α (the interval misses it; Bonferroni over
the levels). An inconclusive comparison does not pass: equivalence must be shown.
``ks = std/2`` is the default for a bare float.

**The rule**: a tolerance excuses a rejected check only when the equivalence test on an
effect that sees what that check saw lies inside the tolerance — the variance check by its
std ratio (and, since the second moment lives in the tails, the quantiles too), the mean check
by (mean − μ)/σ, the range check by the support's scale, the shape checks by :math:`d_w`
(never by the KS distance alone).

Only *rejected* checks are examined: a check that passes needs no tolerance. Deterministic
checks (finite, degenerate, support) ignore tolerance: a NaN or a constant tensor is never
"close enough".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from scipy import stats as _st

from .checks import CheckResult, NullModel, _variance_tail
from .equivalence import shape_equivalence
from .summary import Summary

__all__ = ["Tolerance", "as_tolerance", "apply_tolerance", "effect_within", "DETERMINISTIC", "SHAPE"]

DETERMINISTIC = ("finite", "degenerate", "support")


@dataclass(frozen=True)
class Tolerance:
    """Effect sizes small enough to accept even when detected.

    Parameters
    ----------
    std : float
        Relative std error tolerated (0.01 = 1 %); also bounds ``|mean|/std``.
    ks : float
        CDF deviation tolerated for the shape checks (ks, ad, cvm) beyond the ±``std``
        location–scale laws: ``ks`` at the median, ``4·ks·F(1−F)`` elsewhere (relative in
        the tails; the weighted distance :math:`d_w` of :mod:`verifier.stats.equivalence`).

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
        return f"std ±{self.std:.3g}, weighted CDF distance ≤ {self.ks:.3g}"


def as_tolerance(tol: Tolerance | float | None) -> Tolerance | None:
    """``None``, a :class:`Tolerance`, or a float (relative std error; ``ks = std/2``)."""
    if tol is None or isinstance(tol, Tolerance):
        return tol
    from ..errors import SpecError

    if isinstance(tol, bool) or not isinstance(tol, (int, float)):
        raise SpecError(f"tolerance must be a float (relative std error) or verifier.Tolerance, got {tol!r}")
    return Tolerance(std=float(tol), ks=float(tol) / 2)


SHAPE = ("ks", "ad", "cvm", "shape")
"""Checks judged by the shape equivalence test (:mod:`verifier.stats.equivalence`)."""


def _fourth_about(summary: Summary, c: float) -> float:
    r""":math:`\frac1n\sum (x_i - c)^4` from the central sums (δ = x̄ − c):
    :math:`M_4 + 4δM_3 + 6δ^2M_2 + nδ^4`."""
    m = summary.moments
    d = m.mean - c
    return (m.m4 + 4 * d * m.m3 + 6 * d * d * m.m2 + m.n * d**4) / m.n


def tost_interval(check: CheckResult, checks: tuple[CheckResult, ...], n: int, null: NullModel | None,
                  alpha: float, summary: Summary | None = None) -> tuple[float, float, str] | None:
    r"""``(L, U, label)``: the ``(1 − 2α)`` interval of the effect of the variance or mean check;
    ``None`` for any other check (the shape checks: :func:`effect_within`).

    The std ratio's interval must cover the true ratio under the *true* law, not only under
    the null: a heavy tail (outliers, a Student-t) makes :math:`q` far more variable than the
    null's law says. Given the ``summary``, the interval is the union of the null-law one and
    the asymptotic :math:`q \pm z_{1-α}\sqrt{(\hat m_4/σ^4 - q^2)/n}` with the sample's fourth
    moment about μ (never narrower than before). Under a law with heavy tails (infinite eighth
    moment, e.g. a Student-t(5)) that interval still undercovers (a true std ratio of 1.05 was
    called within 5 % in 8.5 % of draws at α = 0.05, n = 10⁴; 24 % with the null's interval
    alone), so :func:`effect_within` calls the std ratio within only when the quantiles are shown
    within the tolerated scales too (:mod:`verifier.stats.equivalence`; an intersection–union
    test)."""
    if check.name == "variance" and check.effect is not None and null is not None:
        q = check.effect.estimate ** 2
        _, low, high = _variance_tail(q, n, null, confidence=1 - 2 * alpha)
        if summary is not None and summary.n == n and n > 1:
            var_q = max(_fourth_about(summary, null.mean) / null.variance**2 - q * q, 0.0) / n
            half = float(_st.norm.isf(alpha)) * math.sqrt(var_q)
            low = min(low, math.sqrt(max(q - half, 0.0)))
            high = max(high, math.sqrt(q + half))
        return low, high, "std ratio"
    if check.name == "mean" and check.effect is not None:
        spread = 1.0  # the mean's sd under the true law: its own std, when wider than the null's
        if summary is not None and summary.n == n and n > 1 and null is not None:
            spread = max(1.0, math.sqrt(summary.moments.m2 / n / null.variance))
        half = float(_st.norm.isf(alpha)) * spread / math.sqrt(n)
        est = check.effect.estimate
        return est - half, est + half, "(mean − μ)/σ"
    return None


def effect_within(check: CheckResult, checks: tuple[CheckResult, ...], tol: Tolerance, n: int = 0,
                  null: NullModel | None = None, alpha: float = 1e-4,
                  summary: Summary | None = None) -> tuple[bool | None, str] | None:
    """TOST of a check's effect against ``tol``: ``(True, figures)`` within, ``(False, …)``
    beyond, ``(None, …)`` inconclusive; ``None`` if not applicable. A shape check (ks, ad, cvm,
    shape) needs the ``summary`` tested: without it, it cannot be excused (inconclusive)."""
    if check.name in DETERMINISTIC or n < 1:
        return None
    if check.name in SHAPE:
        if summary is None or null is None:
            return None, "shape: no summary to test equivalence on: inconclusive"
        eq = shape_equivalence(summary, null, tol.std, tol.ks, alpha)
        figures = f"{eq} vs tolerance {tol.ks:.3g} (scales ±{tol.std:.3g})"
        return eq.within, figures + ("" if eq.within is not None else ": inconclusive")
    if check.name == "range":
        if summary is None or null is None:
            return None, "range: no summary to test equivalence on: inconclusive"
        return range_within(summary, null, tol.std, alpha)
    iv = tost_interval(check, checks, n, null, alpha, summary)
    if iv is None:
        return None
    low, high, label = iv
    if label == "std ratio":
        lo_t, hi_t = 1.0 - tol.std, 1.0 + tol.std
    else:
        lo_t, hi_t = -tol.std, tol.std
    level = 1 - 2 * alpha
    figures = f"{label} in [{low:.5g}, {high:.5g}] ({level:.4g} interval) vs tolerance ±{tol.std:.3g}"
    if lo_t <= low and high <= hi_t:
        if label == "std ratio" and summary is not None and null is not None and summary.mode != "moments":
            # the second moment is carried by the tails, where the moment interval is only
            # asymptotic: "within" also needs every resolved quantile within the tolerated scales
            eq = shape_equivalence(summary, null, tol.std, tol.ks, alpha)
            if eq.within is not True:
                return None, f"{figures}, but the quantiles are not shown within the tolerated scales ({eq}): inconclusive"
        return True, figures
    if high < lo_t or low > hi_t:
        return False, figures
    return None, figures + ": inconclusive"


def range_within(summary: Summary, null: NullModel, std: float, alpha: float) -> tuple[bool | None, str]:
    r"""TOST of the range check's effect, the scale ρ of the support (true width over the null's
    ``b − a``), against the narrowest tolerated support ``ρ ≥ 1 − std`` (a wider one puts values
    outside the null's support: the support check's, which ignores tolerance).

    The support holds every value, so :math:`ρ \ge r/(b-a)` surely, with ``r`` the sample range
    (each end moved one grid step inwards): **within** when :math:`r \ge (1 - std)(b - a)`
    (no error). **Beyond**: under a law of the null's location–scale family with scale
    :math:`s \ge 1 - std`, the range is stochastically at least that at :math:`s = 1 - std`, and
    :math:`\{r \le x\}` implies a coverage :math:`C \le M(x)`, the largest mass of a window of
    width :math:`x/s` (centred, for a symmetric unimodal null), with :math:`C \sim` Beta(n−1, 2);
    so :math:`p = I_{M}(n-1, 2) \le α` shows ρ < 1 − std with error ≤ α. Otherwise inconclusive.
    """
    from .grid import neighbour

    dist = null.distribution
    a, b = dist.support
    grid = summary.dtype if summary.dtype in ("float16", "bfloat16", "float32", "float64") else "float64"
    r = max(neighbour(summary.max, grid, -1) - neighbour(summary.min, grid, +1), 0.0)
    width = b - a
    s_lo = max(1.0 - std, 1e-12)
    figures = f"support scale ≥ {r / width:.5g} (sample range) vs narrowest tolerated {s_lo:.5g}"
    if r >= s_lo * width:
        return True, figures
    mid = (a + b) / 2
    if abs(float(dist.mean) - mid) <= 1e-12 * width:  # symmetric: the densest window is centred
        half = r / (2 * s_lo)
        mass = float(dist.cdf(mid + half) - dist.cdf(mid - half))
        p = float(_st.beta.cdf(mass, summary.n - 1, 2)) if summary.n > 1 else 1.0
        figures += f"; p = {p:.3g} that a support ×{s_lo:.4g} gives a range this narrow"
        if p <= alpha:
            return False, figures
    return None, figures + ": inconclusive"


def apply_tolerance(checks: tuple[CheckResult, ...], tol: Tolerance | None, n: int = 0,
                    null: NullModel | None = None, alpha: float = 1e-4,
                    summary: Summary | None = None) -> tuple[CheckResult, ...]:
    """Mark rejected checks by the TOST of their effect against ``tol``:
    ``within_tolerance`` True (within), False (beyond) or None with an "inconclusive"
    ``tolerance_detail``. ``summary``: the summary the checks were computed on (the shape
    checks' equivalence test reads it)."""
    if tol is None:
        return checks
    out = []
    for c in checks:
        if c.passed is False:
            res = effect_within(c, checks, tol, n, null, alpha, summary)
            if res is not None:
                ok, figures = res
                c = replace(c, within_tolerance=ok, tolerance_detail=figures)
        out.append(c)
    return tuple(out)
