"""The ECDF-difference panel: the band is the KS critical value at the stated level, the plotted
curve's largest excursion is the KS statistic of the check, and the check rejects exactly when
the curve leaves the band at α/m."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import verifier
from verifier.report.plots import (
    ecdf_difference,
    ks_band,
    ks_level,
    plot_data,
    render_png,
)
from verifier.stats.gof import ks_pvalue


@pytest.mark.parametrize("n", [1, 2, 5, 10, 100, 4096, 1_000_000])
@pytest.mark.parametrize("alpha", [0.05, 1e-3, 1e-4 / 7])
def test_band_is_ks_critical_value(n, alpha):
    """Against scipy's quantile of the KS law: kstwo.ppf(1 - α, n)."""
    assert ks_band(n, alpha) == pytest.approx(stats.kstwo.ppf(1 - alpha, n), rel=1e-6)


@given(n=st.integers(1, 10_000), alpha=st.floats(1e-10, 0.5))
def test_band_has_the_stated_level(n, alpha):
    """P(D_n >= band) = alpha under the law the KS check takes its p-values from (exactly, where
    scipy's kstwo.ppf/isf are off by up to ~2 % in alpha below 1e-6; above n = 10,000 the band is
    kstwo.isf, checked against kstwo.ppf above)."""
    band = ks_band(n, alpha)
    assert 0.0 < band <= 1.0
    assert ks_pvalue(band, n) == pytest.approx(alpha, rel=1e-6)
    assert band == pytest.approx(stats.kstwo.isf(alpha, n), rel=1e-2)


def test_band_rejects_bad_arguments():
    with pytest.raises(ValueError):
        ks_band(0, 0.05)
    with pytest.raises(ValueError):
        ks_band(10, 1.5)


def test_level_is_holm_first_step(results):
    for r in results:
        if getattr(r, "summary", None) is not None:
            assert ks_level(r) == pytest.approx(r.alpha / len(r.checks))


@pytest.mark.parametrize("mode", ["exact", "pit", "grid"])
def test_curve_maximum_is_the_ks_statistic(results, mode):
    for r in (r for r in results if getattr(r, "summary", None) is not None and r.summary.mode == mode):
        e = ecdf_difference(r)
        assert e is not None and e.n == r.summary.n
        d = r.check("ks").statistic
        assert e.statistic == pytest.approx(d, rel=1e-9, abs=1e-12)
        # the thinned envelope keeps the largest excursion
        assert max(np.max(np.abs(e.low)), np.max(np.abs(e.high))) == pytest.approx(d, rel=1e-9, abs=1e-12)
        assert e.x.size <= 801 and np.all(np.diff(e.x) >= 0)


def test_band_decides_like_the_check():
    """Leaving the α/m band means the KS check is rejected; a conforming sample stays inside."""
    rng = np.random.default_rng(1)
    for shift, inside in ((0.0, True), (0.004, False)):
        x = (rng.normal(0, 0.05, size=(512, 512)) + shift).astype(np.float32)
        v = verifier.check(x, "normal(0, 0.05)")
        e = ecdf_difference(v)
        assert (e.statistic <= e.band) == inside
        assert v.check("ks").passed is inside


def test_shows_a_small_mean_bias(results):
    """A +2 % (of σ) mean shift in float16 (n = 1e6): the curve leaves the band, below zero only."""
    r = results[-1]
    e = ecdf_difference(r)
    assert not r.passed and e.statistic > e.band
    assert np.min(e.low) < -e.band and np.max(e.high) < e.band  # values too large: F_n below F


def test_no_plot_for_exact_results(results):
    assert ecdf_difference(results[3]) is None and plot_data(results[3]) is None


def test_png_is_readable_size(results):
    pytest.importorskip("matplotlib")
    png = render_png(results[1])
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (960, 310)  # 9.6 × 3.1 in at 100 dpi: 8 pt ticks are 11 px at 100 % zoom
    assert len(png) < 80_000
