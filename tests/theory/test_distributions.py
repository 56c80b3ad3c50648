from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tests.strategies import distributions, truncated_normals
from verifier.errors import SpecError
from verifier.theory.distributions import (
    TRUNCATION_STD_FACTOR,
    Distribution,
    Normal,
    TruncatedNormal,
    Uniform,
)

FIXED = [
    Uniform(-0.0625, 0.0625),
    Uniform(2.0, 7.5),
    Normal(0.0, 0.0442),
    Normal(-3.0, 2.0),
    TruncatedNormal(0.0, 1.0, -2.0, 2.0),
    TruncatedNormal(1.0, 2.0, 4.0, 9.0),  # both bounds in the upper tail
    TruncatedNormal(0.0, 1.0, -9.0, -6.0),  # both bounds in the lower tail
    TruncatedNormal(0.5, 0.1, 0.3, 5.0),
]


def _grid(d: Distribution) -> np.ndarray:
    lo, hi = d.to_scipy().ppf([1e-12, 1 - 1e-12])
    span = hi - lo
    inner = np.linspace(lo - 0.1 * span, hi + 0.1 * span, 201)
    return np.concatenate([inner, np.array(d.support, dtype=float)[np.isfinite(d.support)], [-np.inf, np.inf]])


@pytest.mark.parametrize("d", FIXED, ids=str)
def test_functions_match_scipy(d: Distribution) -> None:
    ref = d.to_scipy()
    x = _grid(d)
    for ours, theirs in ((d.cdf, ref.cdf), (d.sf, ref.sf), (d.pdf, ref.pdf)):
        np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-9, atol=1e-300)
    q = np.concatenate([np.linspace(0, 1, 101), [1e-15, 1e-9, 1 - 1e-9]])
    np.testing.assert_allclose(d.ppf(q), ref.ppf(q), rtol=1e-9, atol=1e-12 * max(1.0, ref.std()))
    assert np.isnan(d.ppf(np.array([-0.1, 1.1]))).all()


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("d", FIXED, ids=str)
def test_moments_match_scipy(d: Distribution) -> None:
    ref = d.to_scipy()
    m, v = ref.stats("mv")
    assert d.mean == pytest.approx(float(m), rel=1e-12, abs=1e-12 * ref.std())
    assert d.variance == pytest.approx(float(v), rel=1e-10)
    assert d.std == pytest.approx(math.sqrt(float(v)), rel=1e-10)
    for k in range(2, 9):
        central = ref.expect(lambda x, k=k: (x - d.mean) ** k, epsrel=1e-12, epsabs=0)
        assert d.central_moment(k) == pytest.approx(central, rel=1e-7, abs=1e-9 * float(v) ** (k / 2))
    assert d.mu4 == d.central_moment(4)


@settings(max_examples=80, deadline=None)
@given(distributions)
def test_random_parameters_match_scipy(d: Distribution) -> None:
    ref = d.to_scipy()
    q = np.linspace(0.0, 1.0, 41)
    x = ref.ppf(np.clip(q, 1e-10, 1 - 1e-10))
    # scipy itself loses ~1e-15 absolute near the bounds of narrow truncations (see test_tails_vs_mpmath)
    np.testing.assert_allclose(d.cdf(x), ref.cdf(x), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(d.sf(x), ref.sf(x), rtol=1e-8, atol=1e-14)
    np.testing.assert_allclose(d.pdf(x), ref.pdf(x), rtol=1e-8, atol=1e-15)
    np.testing.assert_allclose(d.ppf(q), ref.ppf(q), rtol=1e-8, atol=1e-9 * ref.std())
    m, v, s, k = ref.stats("mvsk")
    assert d.mean == pytest.approx(float(m), rel=1e-9, abs=1e-9 * ref.std())
    assert d.variance == pytest.approx(float(v), rel=1e-7)
    assert d.central_moment(3) == pytest.approx(float(s) * float(v) ** 1.5, rel=1e-4, abs=1e-6 * float(v) ** 1.5)
    assert d.mu4 == pytest.approx((float(k) + 3) * float(v) ** 2, rel=1e-4)


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@settings(max_examples=40, deadline=None)
@given(truncated_normals())
def test_truncated_central_moments_by_quadrature(d: TruncatedNormal) -> None:
    ref = d.to_scipy()
    mean = d.mean
    for k in (2, 4, 6, 8):
        expected = ref.expect(lambda x, k=k: (x - mean) ** k, epsrel=1e-12, epsabs=0)
        assert d.central_moment(k) == pytest.approx(expected, rel=1e-6)


def test_closed_forms() -> None:
    u = Uniform(-3.0, 3.0)
    assert [u.central_moment(k) for k in range(2, 9)] == [3.0, 0.0, 81 / 5, 0.0, 729 / 7, 0.0, 6561 / 9]
    n = Normal(1.0, 2.0)
    assert [n.central_moment(k) for k in range(2, 9)] == [4.0, 0.0, 48.0, 0.0, 960.0, 0.0, 105 * 256.0]
    assert u.support == (-3.0, 3.0) and u.bounded
    assert n.support == (-math.inf, math.inf) and not n.bounded


@pytest.mark.parametrize("c", [1.0, 2.0, 3.0])
def test_theory_truncation_formulas(c: float) -> None:
    sigma = 0.37
    d = TruncatedNormal(0.0, sigma, -c * sigma, c * sigma)
    phi = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(c / math.sqrt(2))
    assert d.variance == pytest.approx(sigma**2 * (1 - 2 * c * phi / mass), rel=1e-13)
    assert d.mu4 == pytest.approx(sigma**4 * (3 - (2 * c**3 + 6 * c) * phi / mass), rel=1e-12)


def test_truncation_factor() -> None:
    assert TruncatedNormal(0.0, 1.0, -2.0, 2.0).std == pytest.approx(0.87962566103423978, rel=1e-15)
    assert TRUNCATION_STD_FACTOR == 0.87962566103423978


def test_far_tail_accuracy() -> None:
    d = TruncatedNormal(0.0, 1.0, 10.0, 12.0)
    ref = stats.truncnorm(10.0, 12.0)
    x = np.array([10.0, 10.001, 10.1, 11.0, 11.999, 12.0])
    np.testing.assert_allclose(d.cdf(x), ref.cdf(x), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(d.sf(x), ref.sf(x), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(d.ppf([0.1, 0.5, 0.9]), ref.ppf([0.1, 0.5, 0.9]), rtol=1e-12)
    assert Normal(0.0, 1.0).sf(30.0) == pytest.approx(stats.norm.sf(30.0), rel=1e-12)
    assert Normal(0.0, 1.0).cdf(-30.0) == pytest.approx(stats.norm.cdf(-30.0), rel=1e-12)


@pytest.mark.parametrize("d", FIXED, ids=str)
def test_dtypes_and_shapes(d: Distribution) -> None:
    x32 = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    for f in (d.cdf, d.sf, d.pdf):
        out = f(x32)
        assert out.dtype == np.float64 and out.shape == (3, 4)
        np.testing.assert_array_equal(out, f(x32.astype(np.float64)))
    assert np.ndim(d.cdf(0.5)) == 0 and np.asarray(d.cdf(0.5)).dtype == np.float64
    assert d.ppf(np.float16(0.5)).dtype == np.float64


def test_str() -> None:
    assert str(Uniform(-0.0625, 0.0625)) == "U(-0.0625, 0.0625)"
    assert str(Normal(0.0, 0.0442)) == "N(0, 0.0442²)"
    assert str(TruncatedNormal(0.0, 0.0503, -0.101, 0.101)) == "TN(0, 0.0503², [-0.101, 0.101])"
    assert str(Normal(0.0, 0.044194173824159216)) == "N(0, 0.04419²)"


@pytest.mark.parametrize("d", FIXED, ids=str)
def test_scaled(d: Distribution) -> None:
    s = d.scaled(2.5)
    assert type(s) is type(d)
    assert s.mean == pytest.approx(d.mean, rel=1e-12, abs=1e-12)
    assert s.std == pytest.approx(2.5 * d.std, rel=1e-9)
    if d.bounded:
        lo, hi = d.support
        assert s.support == pytest.approx((d.mean + 2.5 * (lo - d.mean), d.mean + 2.5 * (hi - d.mean)))
    with pytest.raises(SpecError):
        d.scaled(0.0)


def test_scaled_examples() -> None:
    assert Uniform(-1.0, 1.0).scaled(2.0) == Uniform(-2.0, 2.0)
    assert Normal(1.0, 2.0).scaled(3.0) == Normal(1.0, 6.0)
    assert TruncatedNormal(0.0, 1.0, -2.0, 2.0).scaled(0.5) == TruncatedNormal(0.0, 0.5, -1.0, 1.0)


def test_validation() -> None:
    with pytest.raises(SpecError, match="low < high"):
        Uniform(1.0, 1.0)
    with pytest.raises(SpecError, match="finite"):
        Uniform(0.0, math.inf)
    with pytest.raises(SpecError, match="std > 0"):
        Normal(0.0, 0.0)
    with pytest.raises(SpecError, match="real number"):
        Normal("0", 1.0)  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="low < high"):
        TruncatedNormal(0.0, 1.0, 2.0, -2.0)
    with pytest.raises(SpecError, match="< 1e-300"):
        TruncatedNormal(0.0, 1.0, 40.0, 41.0)
    with pytest.raises(SpecError, match="std > 0"):
        TruncatedNormal(0.0, -1.0, -2.0, 2.0)


def test_equality_and_repr() -> None:
    assert Uniform(0, 1) == Uniform(0.0, 1.0)
    assert TruncatedNormal(mean=0, std=1, low=-2, high=2) == TruncatedNormal(0.0, 1.0, -2.0, 2.0)
    assert repr(Normal(0.0, 2.0)) == "Normal(mean=0.0, std=2.0)"
    assert hash(Normal(0.0, 2.0)) == hash(Normal(0, 2))


def test_sample() -> None:
    d = TruncatedNormal(0.0, 1.0, -1.0, 3.0)
    x = d.sample(200_000, rng=0)
    assert x.min() >= -1.0 and x.max() <= 3.0
    assert stats.kstest(x, d.cdf).pvalue > 1e-4
    assert abs(x.mean() - d.mean) < 5 * d.std / math.sqrt(x.size)


@pytest.mark.parametrize(("low", "high"), [(0.5, 0.71875), (-0.1, 0.1), (3.0, 5.0), (-2.0, 2.0)])
def test_tails_vs_mpmath(low: float, high: float) -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    d = TruncatedNormal(0.0, 1.0, low, high)
    z = mp.ncdf(high) - mp.ncdf(low)
    for frac in (1e-12, 1e-9, 1e-5, 0.5, 1 - 1e-5, 1 - 1e-9):
        x = low + frac * (high - low)
        cdf = (mp.ncdf(mp.mpf(x)) - mp.ncdf(low)) / z
        sf = (mp.ncdf(high) - mp.ncdf(mp.mpf(x))) / z
        assert float(d.cdf(x)) == pytest.approx(float(cdf), rel=1e-12)
        assert float(d.sf(x)) == pytest.approx(float(sf), rel=1e-12)


@given(st.floats(-1e3, 1e3) | st.just(0.0) | st.just(-0.0), st.floats(1e-3, 1e3),
       st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50))
def test_normal_cdf_is_ndtr_of_the_standardised_values(loc: float, scale: float, values: list[float]) -> None:
    """``Normal.cdf``/``sf`` (computed in place, without the subtraction when the mean is 0) are
    ``ndtr(±(x − loc)/scale)`` bit for bit, for arrays, 0-d arrays and scalars, and leave ``x`` as it was."""
    from scipy import special

    d = Normal(loc, scale)
    x = np.asarray(values)
    before = x.copy()
    with np.errstate(over="ignore", invalid="ignore"):  # huge values over a small scale: ±inf
        for v in (x, x[0], x[0:1].reshape(())):
            z = (np.asarray(v, dtype=np.float64) - loc) / scale
            assert np.array_equal(d.cdf(v), special.ndtr(z), equal_nan=True)
            assert np.array_equal(d.sf(v), special.ndtr(-z), equal_nan=True)
    assert np.array_equal(x, before, equal_nan=True)


@given(st.floats(-1e3, 1e3), st.floats(1e-3, 1e3),
       st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=50))
def test_uniform_cdf_is_the_clipped_ratio(low: float, width: float, values: list[float]) -> None:
    """``Uniform.cdf`` (divided and clipped in place) is ``clip((x − low)/width, 0, 1)`` bit for bit,
    signs of zero included, for arrays, 0-d arrays and scalars, and leaves ``x`` as it was."""
    d = Uniform(low, low + width)
    x = np.asarray(values)
    before = x.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for v in (x, x[0], x[0:1].reshape(())):
            want = np.clip((np.asarray(v, dtype=np.float64) - d.low) / d.width, 0.0, 1.0)
            got = d.cdf(v)
            assert np.array_equal(got, want, equal_nan=True) and np.array_equal(np.signbit(got), np.signbit(want))
    assert np.array_equal(x, before, equal_nan=True)
