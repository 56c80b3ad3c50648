"""Regression tests for the p-value defects of issue 15, each with the input that showed it,
and the small-n laws that fix them (AD/CvM tables, exact lattice laws, degenerate p-value,
detected grids, ±1 ulp support on 16-bit grids)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sst

import verifier
from verifier.sources.sample import Sample
from verifier.stats import checks, exactsum, gof, smalln
from verifier.stats.grid import neighbour, round_to_dtype
from verifier.stats.summary import summarize
from verifier.theory.distributions import Normal, TruncatedNormal, Uniform


def _summary(x, dist, dtype="float64"):
    sample = Sample((x,), x.shape, dtype, 1, "test", "values", None, "cpu")
    return summarize(sample, dist)


def _simulate(n: int, reps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A² and W² of ``reps`` sorted uniform samples of size n (a seed independent of the table's)."""
    u = np.sort(np.random.default_rng(seed).random((reps, n)), axis=1)
    i = np.arange(1, n + 1)
    a2 = -n - (np.log(u) @ (2 * i - 1) + np.log1p(-u) @ (2 * (n - i) + 1)) / n
    w2 = 1 / (12 * n) + np.sum((u - (2 * i - 1) / (2 * n)) ** 2, axis=1)
    return a2, w2


# ---- Cramér-von Mises at n = 5 ---------------------------------------------------------------

def test_cvm_pvalue_at_n5_is_never_zero_beyond_1221() -> None:
    # scipy's private _cdf_cvm exceeds 1 there: p was exactly 0 for W² >= 1.221 (true tail ~9e-5)
    ps = [gof.cvm_pvalue(w, 5) for w in (1.221, 1.25, 1.3, 1.4, 1.5, 1.6, 5 / 3)]
    assert all(p > 0 for p in ps)
    assert gof.cvm_pvalue(1.221, 5) >= 9e-5


def test_cvm_pvalue_at_n5_is_monotone() -> None:
    # it jumped back to 1.3e-5 at W² = 2
    xs = np.linspace(0.0, 2.5, 2001)
    ps = np.array([gof.cvm_pvalue(x, 5) for x in xs])
    assert np.all(np.diff(ps) <= 0)
    assert ps[-1] > 0


def test_correct_normal_draw_of_5_values_with_large_w2_does_not_fail_at_any_alpha() -> None:
    x = Normal(0, 1).ppf(np.array([0.95, 0.96, 0.97, 0.98, 0.99]))
    w2 = gof.cvm_exact(np.sort(Normal(0, 1).cdf(x))).value
    assert w2 > 1.221
    assert gof.cvm_pvalue(w2, 5) > 1e-6


@pytest.mark.parametrize("stat", ["ad", "cvm"])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 10, 30])
def test_small_n_tail_is_conservative_against_independent_simulation(stat: str, n: int) -> None:
    # The AD tail had no finite-n correction (1.8x too small at n = 2, 1.36x at n = 5); the
    # CvM tail was 7.3x too small at n = 5, 2.25x at n = 10 at the Holm threshold.
    a2, w2 = _simulate(n, 400_000, seed=7 + n)
    v = np.sort(a2 if stat == "ad" else w2)
    pv = gof.ad_pvalue if stat == "ad" else gof.cvm_pvalue
    for k in (40_000, 4_000, 400, 40, 10):  # exceedance counts: p ~ 0.1 .. 2.5e-5
        x = v[-k]
        lower = sst.beta.ppf(1e-4, k, v.size - k + 1)  # a lower confidence bound on P(T >= x)
        assert pv(x, n) >= lower, (stat, n, k, pv(x, n), lower)


@pytest.mark.parametrize("n", [31, 60, 100])
def test_large_n_formulas_agree_with_simulation(n: int) -> None:
    a2, w2 = _simulate(n, 200_000, seed=100 + n)
    for v, pv in ((np.sort(a2), gof.ad_pvalue), (np.sort(w2), gof.cvm_pvalue)):
        for k in (20_000, 2_000, 200):
            x = v[-k]
            assert sst.beta.ppf(1e-4, k, v.size - k + 1) <= pv(x, n) <= sst.beta.ppf(1 - 1e-4, k + 1, v.size - k)


@given(st.sampled_from(["ad", "cvm"]), st.integers(1, 30), st.floats(0, 40), st.floats(0, 40))
@settings(max_examples=300, deadline=None)
def test_table_pvalues_are_monotone_and_positive(stat: str, n: int, x: float, y: float) -> None:
    lo, hi = min(x, y), max(x, y)
    assert smalln.pvalue(stat, hi, n) <= smalln.pvalue(stat, lo, n)
    assert smalln.pvalue(stat, hi, n) > 0


def test_cvm_no_longer_uses_scipy_private_helper() -> None:
    import inspect

    assert "_hypotests" not in inspect.getsource(gof)


# ---- a value exactly on a support bound ------------------------------------------------------

def test_value_on_support_bound_at_n2_gives_finite_ad() -> None:
    # A value exactly on the bound made u = 0, clipped at 1e-12: A² = 13 and a FAIL at n = 2
    dist = Uniform(-0.1, 0.1)
    x = np.array([-0.1, 0.02], dtype=np.float32)
    s = _summary(x, dist, "float32")
    null = checks.null_model(dist, s)
    ad = checks.check_ad(s, null)
    assert ad.statistic < 9.0  # u at half the float32 cell at the bound, not 1e-12
    # the p-value is at least the probability of a value at the bound under float32 rounding
    assert ad.pvalue >= 2 * 2.0**-24


# ---- degenerate on a discrete grid ----------------------------------------------------------

def test_two_equal_bfloat16_values_do_not_fail() -> None:
    torch = pytest.importorskip("torch")
    spec = verifier.as_spec("he_normal")
    sigma = spec.distribution((1, 2)).std
    x = torch.full((1, 2), sigma * 0.5, dtype=torch.bfloat16)
    v = verifier.check(x, spec, fan_in=2, fan_out=1)
    deg = v.check("degenerate")
    assert deg.statistic == 1.0 and deg.pvalue > 1e-4 and deg.passed


def test_degenerate_probability_is_sum_of_squared_masses_on_bf16() -> None:
    torch = pytest.importorskip("torch")
    dist = Normal(0, 1)
    x = torch.zeros(2, dtype=torch.bfloat16)
    s = summarize(Sample((x,), (2,), "bfloat16", 1, "t", "values", None, "cpu"), dist)
    null = checks.null_model(dist, s)
    p = null.rounded.prob
    assert checks.degenerate_probability(2, null) == pytest.approx(float(np.sum(p * p)), rel=1e-9)
    # simulated: two bf16-rounded N(0,1) draws coincide at that rate
    rng = np.random.default_rng(3)
    y = torch.from_numpy(rng.normal(size=(400_000, 2)).astype(np.float32)).bfloat16().float().numpy()
    rate = float(np.mean(y[:, 0] == y[:, 1]))
    assert rate == pytest.approx(checks.degenerate_probability(2, null), rel=0.15)


def test_constant_float32_tensor_still_fails() -> None:
    v = verifier.check(np.full((16, 16), 0.01, dtype=np.float32), "he_normal")
    assert not v.passed and not v.check("degenerate").passed


# ---- float32 values on a bf16 grid ----------------------------------------------------------

@pytest.mark.parametrize("spec_text", ["he_uniform", "he_normal(truncated=True)", "he_normal"])
def test_float32_values_on_bf16_grid_are_tested_against_the_rounded_law(spec_text: str) -> None:
    torch = pytest.importorskip("torch")
    spec = verifier.as_spec(spec_text)
    shape = (1024, 1024)
    dist = spec.distribution(shape)
    x = torch.from_numpy(dist.sample(shape, rng=5).astype(np.float32)).bfloat16().float()
    v = verifier.check(x, spec)
    assert v.passed, str(v)
    assert "bfloat16 grid" in v.check("ks").detail
    if spec_text == "he_uniform":
        # against the continuous law the same values fail support (rounded past the bound) and AD
        s = summarize(Sample((x.numpy(),), shape, "float32", 1, "t", "values", None, "cpu"), dist, detect_grid=False)
        null = checks.null_model(dist, s)
        assert checks.check_support(s, null).pvalue == 0.0
        assert checks.check_ad(s, null).pvalue < 1e-4


def test_continuous_float32_values_are_not_put_on_a_grid() -> None:
    x = Normal(0, 0.05).sample(1000, rng=1).astype(np.float32)
    s = _summary(x, Normal(0, 0.05), "float32")
    assert checks.on_detected_grid(s) == (s, None)


# ---- 16-bit support allowance ----------------------------------------------------------------

def test_float16_bound_one_ulp_above_is_allowed_two_are_not() -> None:
    # JAX computes the Glorot bound in float16: it lands one ulp above the exact bound
    b = math.sqrt(6 / (300 + 200))
    dist = Uniform(-b, b)
    top = round_to_dtype(b, "float16")
    rng = np.random.default_rng(0)
    base = rng.uniform(-b, b, size=1000).astype(np.float16)
    for ulps, ok in ((1, True), (2, False)):
        edge = top
        for _ in range(ulps):
            edge = neighbour(edge, "float16", +1)
        x = base.copy()
        x[0] = np.float16(edge)
        s = summarize(Sample((x,), x.shape, "float16", 1, "t", "values", None, "cpu"), dist)
        sup = checks.check_support(s, checks.null_model(dist, s))
        assert (sup.pvalue == 1.0) is ok, sup.detail


# ---- mean and variance under skewed / bounded nulls -------------------------------------------

def _rates(pvals: np.ndarray, alphas=(0.002, 0.01, 0.05)) -> list[tuple[float, float, float]]:
    out = []
    for a in alphas:
        r = float(np.mean(pvals <= a))
        out.append((a, r, sst.binom.isf(1e-4, pvals.size, a) / pvals.size))
    return out


def test_mean_test_is_not_liberal_for_skewed_truncated_normal_at_n30() -> None:
    # The z-test was 2.4x liberal in the upper tail here.
    dist = TruncatedNormal(0.0, 1.0, -0.5, 3.0)
    null = checks.NullModel(dist, "float64", dist.mean, dist.variance, dist.mu4, dist.central_moment(6), False,
                            mu3=dist.central_moment(3))
    x = dist.sample((20_000, 30), rng=11)
    p = np.array([checks.mean_pvalue(float(t), 30, null) for t in x.sum(axis=1)])
    for a, r, hi in _rates(p):
        assert r <= hi, (a, r, hi)
    # and not wildly conservative: the exact law gives a rate near alpha
    assert float(np.mean(p <= 0.05)) >= 0.04


@pytest.mark.parametrize("n", [2, 3])
def test_variance_test_is_not_liberal_for_uniform_at_tiny_n(n: int) -> None:
    # Pearson III gave p-values too small mid-range for a uniform at n = 2-3.
    dist = Uniform(-1.0, 1.0)
    null = checks.NullModel(dist, "float64", 0.0, dist.variance, dist.mu4, dist.central_moment(6), False)
    x = dist.sample((20_000, n), rng=n)
    p = np.array([checks._variance_tail(float(q), n, null)[0] for q in np.mean(x * x, axis=1) / dist.variance])
    for a, r, hi in _rates(p, (0.01, 0.05, 0.2, 0.5)):
        assert r <= hi, (a, r, hi)
    assert float(np.mean(p <= 0.2)) >= 0.15


def test_lattice_law_matches_irwin_hall() -> None:
    # the sum of 3 U(0,1): P(S >= 2.5) = 1/48
    key = ("dist", Uniform(0.0, 1.0), 0.5)
    law = exactsum.lattice_law(key, "mean", 3)
    assert 1 / 48 <= law.upper(2.5) <= 1 / 48 * 1.02
    assert 1 / 48 <= law.lower(0.5) <= 1 / 48 * 1.02
    assert law.upper(3.01) == 0.0


# ---- extreme-value (range) test for bounded families -----------------------------------------

def test_range_catches_uniform_scaled_down_by_one_percent() -> None:
    spec = verifier.as_spec("he_uniform")
    dist = spec.distribution((64, 64))
    x = (dist.sample((64, 64), rng=3) * 0.99).astype(np.float32)  # n = 4096: variance barely moves
    v = verifier.check(x, spec)
    assert not v.check("range").passed and not v.passed
    assert v.check("variance").pvalue > 1e-4  # the range sees it first


def test_range_pvalue_is_exact_beta_law() -> None:
    dist = Uniform(0.0, 1.0)
    u = np.random.default_rng(9).random((20_000, 10))
    cov = u.max(axis=1) - u.min(axis=1)
    p = sst.beta.cdf(cov, 9, 2)
    assert sst.kstest(p, "uniform").pvalue > 1e-3
    s = _summary(np.array([0.2, 0.5, 0.7]), dist)
    c = checks.check_range(s, checks.null_model(dist, s))
    assert c.pvalue == pytest.approx(3 * 0.5**2 - 2 * 0.5**3)
