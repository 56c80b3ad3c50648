"""The checks: each reads a :class:`~verifier.stats.summary.Summary` and the null model
and returns a frozen :class:`CheckResult` with a scipy-like ``statistic`` and ``pvalue``.

Null hypothesis of every check: the finite values are iid draws from the expected
distribution (rounded to the dtype's grid for float16/bfloat16). Deterministic checks
(finite, degenerate, support) have p = 0 when violated, 1 otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import special
from scipy import stats as _st

from . import gof
from .grid import RoundedNull, round_to_dtype, rounded_null
from .summary import Summary

from ..theory.distributions import Distribution, Normal

__all__ = [
    "Effect",
    "CheckResult",
    "NullModel",
    "null_model",
    "CONFIDENCE",
    "check_finite",
    "check_degenerate",
    "check_support",
    "check_mean",
    "check_variance",
    "check_ks",
    "check_ad",
    "check_cvm",
    "run_checks",
]

CONFIDENCE = 0.99
"""Level of the confidence intervals reported with effects."""


@dataclass(frozen=True)
class Effect:
    """An effect size with its confidence interval (level :data:`CONFIDENCE`)."""

    name: str
    estimate: float
    low: float
    high: float
    expected: float

    def __str__(self) -> str:
        return f"{self.name} {self.estimate:.4g} ({CONFIDENCE:.0%} CI {self.low:.4g}–{self.high:.4g}; expected {self.expected:.4g})"


@dataclass(frozen=True)
class CheckResult:
    """Result of one check.

    ``pvalue`` is the raw p-value; ``passed`` is the decision after the verdict's
    multiple-testing correction (set by the verdict; ``None`` until then).
    """

    name: str
    statistic: float
    pvalue: float
    detail: str
    effect: Effect | None = None
    passed: bool | None = None
    bound: float | None = None  # certified error of a streamed statistic
    within_tolerance: bool | None = None  # rejected but effect within the verdict's tolerance
    tolerance_detail: str | None = None  # the figures compared with the tolerance

    def decided(self, passed: bool) -> CheckResult:
        return replace(self, passed=passed)


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

    @property
    def std(self) -> float:
        return math.sqrt(self.variance)


def null_model(dist: Distribution, summary: Summary) -> NullModel:
    """The null model for ``dist`` and the dtype/representation of ``summary``."""
    if summary.mode == "grid":
        assert summary.counts is not None
        r = rounded_null(summary.counts, summary.dtype, dist)
        return NullModel(dist, summary.dtype, r.mean, r.central_moment(2), r.central_moment(4),
                         r.central_moment(6), False, r)
    return NullModel(dist, summary.dtype, dist.mean, dist.variance, dist.central_moment(4),
                     dist.central_moment(6), isinstance(dist, Normal))


def _decision_free(name: str, violated: int, detail: str) -> CheckResult:
    return CheckResult(name, float(violated), 0.0 if violated else 1.0, detail)


def check_finite(s: Summary, null: NullModel) -> CheckResult:
    """Fails if any value is NaN or ±inf (statistic: their count)."""
    bad = s.n_nonfinite
    if bad:
        parts = [f"{k} {v}" for k, v in (("NaN", s.n_nan), ("+inf", s.n_posinf), ("-inf", s.n_neginf)) if v]
        return _decision_free("finite", bad, f"{bad} non-finite of {s.n_total} ({', '.join(parts)})")
    return _decision_free("finite", 0, "no NaN or inf")


def check_degenerate(s: Summary, null: NullModel) -> CheckResult:
    """Fails if all finite values are equal: every unit computes the same thing."""
    if s.n < 2:
        return _decision_free("degenerate", 1, f"only {s.n} finite value(s): nothing to test")
    if s.min == s.max:
        return _decision_free("degenerate", 1, f"all values equal {s.min:.6g}: symmetry is never broken")
    return _decision_free("degenerate", 0, f"values range {s.min:.4g} to {s.max:.4g}")


def _allowed_bounds(dist: Distribution, dtype: str) -> tuple[float, float]:
    """Support bounds widened by one unit in the last place of ``dtype``.

    A value computed in higher precision inside ``[low, high]`` and rounded to the dtype
    can land on the rounded bound, and arithmetic in the dtype itself can add one more ulp.
    """
    low, high = dist.support
    ftype = np.float64 if dtype == "float64" else np.float32
    if math.isfinite(low):
        low = float(np.nextafter(ftype(low), ftype(-np.inf)))
    if math.isfinite(high):
        high = float(np.nextafter(ftype(high), ftype(np.inf)))
    return low, high


def check_support(s: Summary, null: NullModel) -> CheckResult | None:
    """For bounded distributions: fails if any value lies beyond the bounds (rounded to the dtype)."""
    dist = null.distribution
    if not dist.bounded:
        return None
    low, high = dist.support
    if null.rounded is not None:
        r = null.rounded
        alow, ahigh = round_to_dtype(low, s.dtype), round_to_dtype(high, s.dtype)
        outside = int(r.counts[(r.values < alow) | (r.values > ahigh)].sum())
    elif s.mode == "exact":
        assert s.sorted_values is not None
        alow, ahigh = _allowed_bounds(dist, s.dtype)
        v = s.sorted_values
        outside = int(np.searchsorted(v, alow, "left") + (v.size - np.searchsorted(v, ahigh, "right")))
    else:
        alow, ahigh = _allowed_bounds(dist, s.dtype)
        outside = s.n_below + s.n_above if (s.min < alow or s.max > ahigh) else 0
    detail = f"observed [{s.min:.6g}, {s.max:.6g}] within [{low:.6g}, {high:.6g}]"
    if outside:
        detail = f"{outside} value(s) outside [{low:.6g}, {high:.6g}]; observed [{s.min:.6g}, {s.max:.6g}]"
    return _decision_free("support", outside, detail)


def check_mean(s: Summary, null: NullModel) -> CheckResult:
    r"""z-test of the mean with the null's variance: :math:`z = (\bar x - \mu)/(\sigma/\sqrt n)`.

    Exact for normal data, CLT otherwise. Effect: the mean in units of the expected std.
    """
    n = s.n
    se = null.std / math.sqrt(n)
    z = (s.moments.mean - null.mean) / se
    p = float(2.0 * special.ndtr(-abs(z)))  # scipy.special: no frozen-distribution overhead
    zc = special.ndtri(0.5 + CONFIDENCE / 2)
    est = (s.moments.mean - null.mean) / null.std
    half = zc / math.sqrt(n)
    eff = Effect("mean/std", est, est - half, est + half, 0.0)
    return CheckResult("mean", float(z), p, f"mean {s.moments.mean:.4g} (expected {null.mean:.4g}), z = {z:.2f}", eff)


def _variance_tail(ratio: float, n: int, null: NullModel) -> tuple[float, float, float]:
    r"""Two-sided p-value and CI for ``q = m_2/σ²`` where :math:`m_2 = \frac1n\sum (x-\mu)^2`.

    Normal (continuous): :math:`n q \sim \chi^2_n` exactly. Otherwise Pearson type III
    (gamma matched to three moments) with :math:`E q = 1`, :math:`Var\,q = (\mu_4-\sigma^4)/(n\sigma^4)`
    and skewness :math:`(\mu_6 - 3\mu_4\sigma^2 + 2\sigma^6)/((\mu_4-\sigma^4)^{3/2}\sqrt n)`.
    Returns (p, ci_low, ci_high) for the std ratio :math:`\sqrt q`.
    """
    a = (1 - CONFIDENCE) / 2
    if null.exact_normal:
        cdf = special.chdtr(n, n * ratio)
        sf = special.chdtrc(n, n * ratio)
        lo = n * ratio / special.chdtri(n, a)  # chdtri(n, q): the upper-q quantile of χ²_n
        hi = n * ratio / special.chdtri(n, 1 - a)
    else:
        s2 = null.variance
        var_y = null.mu4 - s2 * s2
        tau = math.sqrt(var_y / n) / s2
        skew = (null.mu6 - 3 * null.mu4 * s2 + 2 * s2**3) / (var_y**1.5 * math.sqrt(n))
        law = _st.pearson3(skew, loc=1.0, scale=tau)
        cdf, sf = law.cdf(ratio), law.sf(ratio)
        z = special.ndtri(1 - a)
        lo = ratio / (1 + z * tau)
        hi = ratio / (1 - z * tau) if z * tau < 1 else math.inf
    p = float(min(1.0, 2.0 * min(cdf, sf)))
    return p, math.sqrt(lo), math.sqrt(hi)


def check_variance(s: Summary, null: NullModel) -> CheckResult:
    r"""Scale test on :math:`q = \frac{1}{n\sigma^2}\sum (x_i-\mu)^2` (known mean μ).

    Effect: observed/expected std :math:`\sqrt q` with its confidence interval.
    """
    n = s.n
    q = s.moments.sum_sq_about(null.mean) / n / null.variance
    p, lo, hi = _variance_tail(q, n, null)
    r = math.sqrt(q)
    eff = Effect("std ratio", r, lo, hi, 1.0)
    law = "χ²" if null.exact_normal else "4th/6th-moment"
    return CheckResult("variance", q, p,
                       f"std {math.sqrt(q * null.variance):.4g} = {r:.4f} × expected {null.std:.4g} ({law} test)", eff)


def _grouped(s: Summary, null: NullModel) -> tuple[np.ndarray, np.ndarray | None, bool]:
    if null.rounded is not None:
        return null.rounded.counts, null.rounded.upper, False
    assert s.counts is not None
    # upper=None: equal PIT bins, evaluated blockwise by gof.pit_statistics (O(block) memory)
    return s.counts, None, True


_GOF = {
    "ks": ("D", gof.ks_exact, gof.ks_grouped, gof.ks_pvalue),
    "ad": ("A²", gof.ad_exact, gof.ad_grouped, gof.ad_pvalue),
    "cvm": ("W²", gof.cvm_exact, gof.cvm_grouped, gof.cvm_pvalue),
}


def _gof_statistics(s: Summary, null: NullModel, names: tuple[str, ...] = tuple(_GOF)) -> dict[str, gof.GofStatistic]:
    """The named goodness-of-fit statistics, each input computed once: ``u = F(x)`` of the
    sorted values (exact mode), or one blockwise pass over equal PIT bins for all three."""
    if s.mode == "exact":
        assert s.sorted_values is not None
        u = null.distribution.cdf(s.sorted_values)
        return {name: _GOF[name][1](u) for name in names}
    counts, upper, within = _grouped(s, null)
    if upper is None:
        return dict(zip(_GOF, gof.pit_statistics(counts, s.pit_error)))
    return {name: _GOF[name][2](counts, upper, within_group=within, u_error=0.0) for name in names}


def _gof_check(name: str, s: Summary, st: gof.GofStatistic) -> CheckResult:
    """The check result of one goodness-of-fit statistic, with its certified interval when streamed."""
    symbol, _, _, pvalue = _GOF[name]
    detail = f"{symbol} = {st.value:.4g}"
    if s.mode == "grid":
        detail += f" against the distribution rounded to the {s.dtype} grid"
    elif s.mode == "pit":
        detail += f" (streamed, {s.bins} bins: true {symbol} in [{st.low:.4g}, {st.high:.4g}])"
    return CheckResult(name, st.value, pvalue(st.value, s.n), detail, bound=st.bound if s.mode == "pit" else None)


def check_ks(s: Summary, null: NullModel) -> CheckResult:
    """Kolmogorov-Smirnov against the null (rounded to the grid for 16-bit dtypes)."""
    return _gof_check("ks", s, _gof_statistics(s, null, ("ks",))["ks"])


def check_ad(s: Summary, null: NullModel) -> CheckResult:
    """Anderson-Darling (fully specified null) — weighs the tails."""
    return _gof_check("ad", s, _gof_statistics(s, null, ("ad",))["ad"])


def check_cvm(s: Summary, null: NullModel) -> CheckResult:
    """Cramér-von Mises (fully specified null): the integrated squared ECDF deviation."""
    return _gof_check("cvm", s, _gof_statistics(s, null, ("cvm",))["cvm"])


def check_shards(s: Summary, null: NullModel) -> CheckResult | None:
    """A distributed tensor: fails if a shard's values repeat another's (the same seed on
    every rank; probability 0 under a continuous null, see :mod:`verifier.distributed`)."""
    if s.shards is None:
        return None
    if s.repeated_shards:
        return _decision_free("shards", s.repeated_shards, f"{s.repeated_shards} of {s.shards} shards repeat "
                              "another shard's values (the same seed on every rank?)")
    return _decision_free("shards", 0, f"{s.shards} shards, none a copy of another")


def run_checks(s: Summary, null: NullModel) -> tuple[CheckResult, ...]:
    """All applicable checks, in report order. Statistical checks need ≥ 2 distinct finite values."""
    out: list[CheckResult] = [check_finite(s, null), check_degenerate(s, null)]
    shards = check_shards(s, null)
    if shards is not None:
        out.append(shards)
    support = check_support(s, null)
    if support is not None:
        out.append(support)
    if s.n >= 2 and s.min < s.max:
        out += [check_mean(s, null), check_variance(s, null)]
        out += [_gof_check(name, s, st) for name, st in _gof_statistics(s, null).items()]
    return tuple(out)
