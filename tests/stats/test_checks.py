"""Each check in isolation: statistic, p-value, effect, and deterministic failures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sst

from verifier.sources.sample import Sample
from verifier.stats import checks
from verifier.stats.summary import summarize
from verifier.theory.distributions import Normal, TruncatedNormal, Uniform


def _run(x: np.ndarray, dist, dtype: str = "float64"):
    s = summarize(Sample((x,), x.shape, dtype, 1, "t", "values", None, "cpu"), dist)
    return s, checks.null_model(dist, s)


def test_variance_normal_is_the_exact_chi2_test() -> None:
    x = np.random.default_rng(0).normal(0, 1.02, size=300)
    s, null = _run(x, Normal(0, 1))
    c = checks.check_variance(s, null)
    t = np.sum(x**2)
    assert c.pvalue == pytest.approx(2 * min(sst.chi2.cdf(t, 300), sst.chi2.sf(t, 300)))
    assert c.effect.estimate == pytest.approx(math.sqrt(t / 300))
    lo, hi = c.effect.low, c.effect.high
    assert lo < c.effect.estimate < hi


@pytest.mark.parametrize("dist", [Uniform(-1, 1), TruncatedNormal(0, 1, -2, 2)])
def test_variance_non_normal_small_n_is_calibrated_in_the_tail(dist) -> None:
    # n = 20: the Pearson III law must hold at the 1 % level in each tail.
    rng = np.random.default_rng(5)
    n, reps = 20, 20000
    x = dist.ppf(rng.uniform(size=(reps, n)))
    ps = []
    for row in x[:4000]:
        s, null = _run(row, dist)
        ps.append(checks.check_variance(s, null).pvalue)
    ps = np.array(ps)
    assert np.mean(ps <= 0.01) <= 0.01 + 3 * math.sqrt(0.01 * 0.99 / ps.size)
    assert np.mean(ps <= 0.05) == pytest.approx(0.05, abs=3 * math.sqrt(0.05 * 0.95 / ps.size))


def test_mean_check_is_a_z_test() -> None:
    x = np.random.default_rng(1).normal(0.05, 1, size=400)
    s, null = _run(x, Normal(0, 1))
    c = checks.check_mean(s, null)
    assert c.statistic == pytest.approx(x.mean() * 20)
    assert c.pvalue == pytest.approx(2 * sst.norm.sf(abs(x.mean() * 20)))


def test_finite_counts_each_kind() -> None:
    x = np.array([0.1, np.nan, np.nan, np.inf, -0.3, 0.2])
    s, null = _run(x, Normal(0, 1))
    c = checks.check_finite(s, null)
    assert (c.statistic, c.pvalue) == (3.0, 0.0) and "NaN 2" in c.detail and "+inf 1" in c.detail


def test_degenerate_names_symmetry() -> None:
    s, null = _run(np.full(50, 0.25), Normal(0, 1))
    c = checks.check_degenerate(s, null)
    assert c.pvalue == 0 and "symmetry" in c.detail
    names = [r.name for r in checks.run_checks(s, null)]
    # the statistical checks still run (their laws hold at any n); the constant fails them too
    assert names[:2] == ["finite", "degenerate"] and "variance" in names


def test_support_allows_one_ulp_and_no_more() -> None:
    b = 0.1
    inside = np.array([-b, b, 0.0, np.nextafter(np.float32(b), np.float32(1))], dtype=np.float32)
    s, null = _run(inside, Uniform(-b, b), dtype="float32")
    assert checks.check_support(s, null).pvalue == 1.0
    outside = np.array([-b, 0.0, 0.1001], dtype=np.float32)
    s, null = _run(outside, Uniform(-b, b), dtype="float32")
    c = checks.check_support(s, null)
    assert c.pvalue == 0.0 and c.statistic == 1
    assert checks.check_support(*_run(np.zeros(3) + 0.5, Normal(0, 1))) is None


def test_bfloat16_null_is_the_rounded_distribution() -> None:
    torch = pytest.importorskip("torch")
    t = (torch.randn(200000, generator=torch.Generator().manual_seed(2)) * 0.02).to(torch.bfloat16)
    s = summarize(Sample((t,), (200000,), "bfloat16", 1, "t", "values", None, "cpu"), None)
    null = checks.null_model(Normal(0, 0.02), s)
    assert null.rounded is not None and null.rounded.prob.sum() == pytest.approx(1.0)
    # The rounded null's variance differs from the continuous one by the rounding noise only.
    assert null.variance == pytest.approx(0.02**2, rel=1e-4)
    assert checks.check_ks(s, null).pvalue > 1e-3


def test_pearson3_in_special_functions_is_scipys() -> None:
    """The variance and mean tests' Pearson III (incomplete gamma calls) equals ``scipy.stats.pearson3``
    to 1e-14 for skews of either sign, tiny ones on both sides of the normal switch, and x across
    both tails and outside the support."""
    from scipy import stats as sst

    from verifier.stats.checks import _pearson3_cdf_sf

    for skew in (-3.0, -1.0, -0.3, -0.01, -1e-4, -1.7e-5, -1.5e-5, 0.0, 1e-6, 1.5e-5, 1.7e-5, 1e-4, 0.01, 0.3, 1.0, 3.0):
        law = sst.pearson3(skew)
        for x in np.linspace(-8.0, 8.0, 161).tolist():
            ours = _pearson3_cdf_sf(x, skew)
            assert ours == pytest.approx((float(law.cdf(x)), float(law.sf(x))), rel=1e-14, abs=1e-300), (skew, x)


@given(st.floats(0.01, 400.0), st.floats(0.0, 2000.0), st.integers(2, 100_000), st.floats(0.0, 1.0))
def test_scalar_special_functions_are_the_ufuncs(a: float, x: float, n: int, c: float) -> None:
    """The checks and laws call scipy.special's functions for Python floats through
    ``scipy.special.cython_special`` (0.1–0.3 µs a call against the ufuncs' 0.5–0.9): the same C
    functions, so the same values, bit for bit."""
    from scipy import special
    from scipy.special import cython_special

    for name, args in (("gammainc", (a, x)), ("gammaincc", (a, x)), ("chdtr", (float(n), x)),
                       ("chdtrc", (float(n), x)), ("betainc", (n - 1.0, 2.0, c)), ("kv", (0.25, x / 10)),
                       ("kv", (0.75, x / 10))):
        ufunc, scalar = float(getattr(special, name)(*args)), getattr(cython_special, name)(*args)
        assert ufunc == scalar or (math.isnan(ufunc) and math.isnan(scalar)), (name, args)


def test_check_result_init_takes_every_field_in_order() -> None:
    """CheckResult's hand-written ``__init__`` (one dict update, not nine frozen setattrs) takes
    exactly the dataclass fields, in order, with their defaults: a field added without it fails here."""
    import dataclasses
    import inspect

    params = list(inspect.signature(checks.CheckResult.__init__).parameters.values())[1:]
    fields = dataclasses.fields(checks.CheckResult)
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [f.default if f.default is not dataclasses.MISSING else inspect.Parameter.empty
                                           for f in fields]
    values = ("ks", 0.1, 0.5, "detail", None, True, 1e-3, False, "figures")
    r = checks.CheckResult(*values)
    assert dataclasses.astuple(r) == values and r == checks.CheckResult(**dict(zip([f.name for f in fields], values)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.passed = False  # type: ignore[misc]
