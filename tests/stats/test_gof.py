"""Goodness-of-fit statistics and p-values against scipy, brute force and Imhof's inversion."""

from __future__ import annotations

import math
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate
from scipy import stats as sst

from tests.stats.fakes import FullDisk
from verifier.stats import gof


@given(st.integers(2, 400), st.integers(0, 2**32 - 1))
def test_ks_exact_matches_scipy(n: int, seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=n)
    ours = gof.ks_exact(np.sort(sst.norm.cdf(x)))
    ref = sst.kstest(x, "norm")
    assert ours.value == pytest.approx(ref.statistic, abs=1e-12)
    assert gof.ks_pvalue(ours.value, n) == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-12)


def test_ks_exact_with_ties() -> None:
    u = np.sort(np.array([0.1, 0.1, 0.1, 0.5, 0.9]))
    grid = np.linspace(0, 1, 100001)
    ecdf = np.searchsorted(u, grid, side="right") / u.size
    ecdf_left = np.searchsorted(u, grid, side="left") / u.size
    brute = max(np.max(np.abs(ecdf - grid)), np.max(np.abs(ecdf_left - grid)))
    assert gof.ks_exact(u).value == pytest.approx(brute, abs=1e-5)


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=400))
def test_exact_statistics_compiled_equal_numpy(values: list[float]) -> None:
    """The compiled block loop of :func:`gof.exact_statistics` gives numpy's statistics: KS and CvM
    to rounding, A² within the rounding of its sum (``n²`` terms' worth, which cancel to ``A²``);
    ties, values at 0 and 1 (clipped in the logarithms) included."""
    from verifier.stats import fused

    pytest.importorskip("numba")
    assert fused.available()  # numba installed: the kernels must compile
    u = np.sort(np.asarray(values))
    compiled = gof.exact_statistics(u)
    try:
        fused._DISABLED = True
        reference = gof.exact_statistics(u)
    finally:
        fused._DISABLED = False
    n = u.size
    assert compiled[0].value == pytest.approx(reference[0].value, rel=1e-14)
    assert compiled[1].value == pytest.approx(reference[1].value, rel=1e-12, abs=1e-13 * n * 28)
    assert compiled[2].value == pytest.approx(reference[2].value, rel=1e-12)
    assert all(c.low == c.value == c.high for c in compiled)


def test_exact_statistics_of_a_nan_u_are_nan() -> None:
    """A NaN ``u`` gives NaN statistics (p = 0) with and without the compiled loop."""
    from verifier.stats import fused

    u = np.array([0.1, 0.5, np.nan])
    for disabled in (False, True):
        try:
            fused._DISABLED = disabled
            assert all(math.isnan(s.value) for s in gof.exact_statistics(u))
        finally:
            fused._DISABLED = False


def _ad_brute(u: np.ndarray) -> float:
    """n ∫ (F_n(t) - t)² / (t(1-t)) dt, integrated piecewise between order statistics."""
    n = u.size
    edges = np.concatenate(([0.0], np.sort(u), [1.0]))
    total = 0.0
    for i in range(n + 1):
        a, b = edges[i], edges[i + 1]
        if b > a:
            val, _ = integrate.quad(lambda t, i=i: (i / n - t) ** 2 / (t * (1 - t)), a, b, limit=200)
            total += val
    return n * total


@pytest.mark.parametrize("seed", range(5))
def test_ad_exact_equals_integral_definition(seed: int) -> None:
    u = np.sort(np.random.default_rng(seed).uniform(size=12))
    assert gof.ad_exact(u).value == pytest.approx(_ad_brute(u), rel=1e-6)


def _imhof_sf(x: float) -> float:
    lam = 1.0 / (np.arange(1, 4001) * np.arange(2, 4002, dtype=float))

    def f(u: float) -> float:
        th = 0.5 * np.sum(np.arctan(lam * u)) - x * u / 2
        rho = np.exp(0.25 * np.sum(np.log1p((lam * u) ** 2)))
        return np.sin(th) / (u * rho)

    val, _ = integrate.quad(f, 0, np.inf, limit=2000, epsabs=1e-15)
    return 0.5 + val / np.pi


@pytest.mark.parametrize("z", [1.0, 2.492, 3.857, 6.0, 8.0, 10.0, 12.0])
def test_ad_pvalue_matches_imhof_asymptotic(z: float) -> None:
    # Large n: the finite-n correction vanishes; compare with the exact asymptotic law.
    assert gof.ad_pvalue(z, 10**9) == pytest.approx(_imhof_sf(z), rel=0.01)


def test_ad_pvalue_small_n_by_simulation() -> None:
    rng = np.random.default_rng(1)
    n, reps = 10, 40000
    u = np.sort(rng.uniform(size=(reps, n)), axis=1)
    i = np.arange(1, n + 1)
    a2 = -n - np.sum((2 * i - 1) * (np.log(u) + np.log1p(-u[:, ::-1])), axis=1) / n
    for q in (1.0, 2.0, 3.0):
        empirical = np.mean(a2 >= q)
        assert gof.ad_pvalue(q, n) == pytest.approx(empirical, abs=4 * np.sqrt(empirical / reps) + 1e-3)


def test_ks_grouped_bounds_contain_exact() -> None:
    rng = np.random.default_rng(3)
    u = rng.uniform(size=5000) ** 1.05
    bins = 500
    counts = np.bincount(np.minimum((u * bins).astype(int), bins - 1), minlength=bins)
    st_ = gof.ks_grouped(counts, np.arange(1, bins + 1) / bins, within_group=True)
    exact = gof.ks_exact(np.sort(u)).value
    assert st_.low <= exact + 1e-12 <= st_.high + 2e-12
    assert st_.high - st_.low <= 1 / bins + 1e-12


def test_grouped_on_a_grid_is_the_discrete_statistic() -> None:
    # Discrete null on 3 points, data exactly on them: KS = max |C_k/n - G_k|.
    counts = np.array([2, 5, 3])
    upper = np.array([0.25, 0.75, 1.0])
    assert gof.ks_grouped(counts, upper).value == pytest.approx(max(abs(0.2 - 0.25), abs(0.7 - 0.75)))


def _ks_plane() -> list[tuple[int, float]]:
    """(n, d) across every branch of scipy's ``kstwo.sf``: closed forms, Durbin's matrix, Pomeranz,
    Miller/Birnbaum-Tingey, Pelz-Good (n up to 2e5, d from below 1/(2n) to 1)."""
    ns = list(range(1, 150, 3)) + [140, 141] + np.unique(np.geomspace(150, 2e5, 14).astype(int)).tolist()
    return [(n, d) for n in ns for d in np.geomspace(0.3 / n, 0.999, 40).tolist()]


def test_ks_pvalue_is_scipys_kstwo() -> None:
    """Below the tail approximation, ``ks_pvalue`` is ``scipy.stats.kstwo.sf`` (its own algorithms,
    compiled or vectorised: equal to 1e-10 relative, and in [0, 1])."""
    from scipy import stats as st

    from verifier.stats.gof_laws import KS_TAIL_N, ks_pvalue

    for n, d in _ks_plane():
        if n > KS_TAIL_N and n * d * d >= 2.2:
            continue  # the Smirnov approximation: test_ks_tail_approximation_is_conservative_and_close
        with np.errstate(over="ignore"):  # scipy's own matrix powers overflow on the way at large n
            ref = min(1.0, float(st.kstwo.sf(d, n)))
        assert ks_pvalue(d, n) == pytest.approx(ref, rel=1e-10, abs=1e-300), (n, d)


def test_ks_pvalue_without_the_compiled_kernels_is_scipys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numba the Durbin and Pomeranz branches are scipy's own calls (exactly)."""
    from scipy import stats as st

    from verifier.stats import fused
    from verifier.stats.gof_laws import ks_pvalue

    monkeypatch.setattr(fused, "_kernels", lambda: None)
    for n, d in ((32, 0.1), (100, 0.15), (140, 0.12), (2000, 0.005)):  # Durbin, Pomeranz ×2, Durbin
        assert ks_pvalue(d, n) == min(1.0, float(st.kstwo.sf(d, n))), (n, d)


def test_smirnov_sum_is_scipys() -> None:
    """The vectorised Birnbaum-Tingey sum equals ``scipy.special.smirnov`` to 1e-11 relative, from
    the centre of the tail to p = 1e-300."""
    from scipy import special

    from verifier.stats.gof_laws import _smirnov_sf

    for n in (2, 5, 10, 30, 100, 140, 141, 300, 1000, 5000):
        for q in np.linspace(2.2, 200.0, 60).tolist():
            d = math.sqrt(q / n)
            if d < 1.0:
                ref = float(special.smirnov(n, d))
                assert _smirnov_sf(d, n) == pytest.approx(ref, rel=1e-11, abs=1e-300), (n, q)


def test_ks_tail_approximation_is_conservative_and_close() -> None:
    """Above KS_TAIL_N the tail ``n·d² ≥ 2.2`` uses ``2·exp(-(6nd+1)²/18n)``: never below the
    exact ``2·smirnov(n, d)`` (Birnbaum–Tingey), within 0.3 % of it where p ≥ 1e-15."""
    from scipy import special

    from verifier.stats.gof_laws import KS_TAIL_N, ks_pvalue

    for n in np.unique(np.geomspace(2000, 200_000, 12).astype(int)):
        for q in np.linspace(2.2, 120.0, 16):
            d = math.sqrt(q / n)
            exact = 2.0 * float(special.smirnov(int(n), d))
            approx = 2.0 * math.exp(-((6.0 * n * d + 1.0) ** 2) / (18.0 * n))
            assert approx >= exact, (n, q)
            if n > KS_TAIL_N and exact >= 1e-15 and n * d * d >= 2.2:
                assert approx <= exact * 1.025, (n, q, approx / exact)
                assert ks_pvalue(d, int(n)) == min(1.0, approx)


def _psi1_textbook(x: float) -> float:
    """Csörgő & Faraway's ψ₁ term as goftest's pCvM writes it: each Bessel function evaluated anew."""
    from scipy import special

    def ed2(y: float) -> float:
        z = y * y / 4
        return math.exp(-z) * (y / 2) ** 1.5 * float(special.kv(0.25, z) + special.kv(0.75, z)) / math.sqrt(math.pi)

    def ed3(y: float) -> float:
        z = y * y / 4
        kvs = float(2 * special.kv(0.25, z) + 3 * special.kv(0.75, z) - special.kv(1.25, z))
        return math.exp(-z) / math.sqrt(math.pi) * (y / 2) ** 2.5 * kvs

    sx, y1, y2, total = 2 * math.sqrt(x), x**0.75, x**1.25, 0.0
    for k in range(200):
        m, g1, g3 = 2 * k + 1, math.gamma(k + 0.5), math.gamma(k + 1.5)
        a = (m * g1 * ed2((4 * k + 3) / sx) / (9 * y1) + g1 * ed3((4 * k + 1) / sx) / (72 * y2)
             + 2 * (m + 2) * g3 * ed3((4 * k + 5) / sx) / (12 * y2)
             + 7 * m * g1 * ed2((4 * k + 1) / sx) / (144 * y1) + 7 * m * g1 * ed2((4 * k + 5) / sx) / (144 * y1))
        z = -a / (math.pi * math.gamma(k + 1))
        total += z
        if abs(z) < 1e-10:
            break
    return total


def test_cvm_psi1_with_the_bessel_recurrence_is_the_textbook_series() -> None:
    """K_{5/4} from the recurrence and the Bessel values shared between terms: the same ψ₁ to 1e-12
    (relative, or 1e-15 absolute where it crosses 0) over the whole range the law uses."""
    from verifier.stats.gof_laws import _cvm_psi1_mod

    for x in np.geomspace(1e-3, 1.99, 300).tolist():
        assert _cvm_psi1_mod(x) == pytest.approx(_psi1_textbook(x), rel=1e-12, abs=1e-15), x


@pytest.mark.parametrize("n", [1, 10, 140, 141, 1000, 10**5, 10**7])
def test_gof_pvalues_of_a_nan_statistic_are_zero(n: int) -> None:
    """A NaN statistic is rejected by all three laws at every n (scipy's own kstwo raised at some n)."""
    from verifier.stats.gof_laws import ad_pvalue, cvm_pvalue, ks_pvalue

    assert ks_pvalue(math.nan, n) == ad_pvalue(math.nan, n) == cvm_pvalue(math.nan, n) == 0.0


def test_ks_kernel_that_cannot_be_written_falls_back_to_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba failing to write the compiled KS kernel (OSError: a full disk) gives scipy's p-value
    and disables the compiled paths, as for the fused summary; never an exception."""
    from scipy import stats as st

    from verifier.stats import fused
    from verifier.stats.gof_laws import ks_pvalue

    monkeypatch.setattr(fused, "_DISABLED", False)
    monkeypatch.setattr(fused, "_kernels", lambda: FullDisk())
    assert ks_pvalue(0.15, 100) == min(1.0, float(st.kstwo.sf(0.15, 100)))  # Pomeranz's branch
    assert fused._DISABLED


def test_exact_statistics_kernel_that_cannot_be_written_gives_numpys(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba failing to write the exact statistics' kernel (OSError) gives numpy's statistics and
    disables the compiled paths; never an exception."""
    from verifier.stats import fused

    u = np.sort(np.random.default_rng(6).uniform(size=300))
    monkeypatch.setattr(fused, "_DISABLED", True)
    want = gof.exact_statistics(u)

    monkeypatch.setattr(fused, "_DISABLED", False)
    monkeypatch.setattr(fused, "_kernels", lambda: FullDisk())
    assert gof.exact_statistics(u) == want
    assert fused._DISABLED
