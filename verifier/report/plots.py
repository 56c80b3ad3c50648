"""Plots of one case, computed from ``verdict.summary`` only (never from raw values):

- the **ECDF difference** ``F_n(x) − F(x)`` with the Kolmogorov–Smirnov acceptance band
  ``±c`` where ``c`` is the KS critical value at the level the KS check is decided at
  (:func:`ks_band`). This is the view in which a 0.2 % mean bias or a missing grid value
  is visible: the KS statistic *is* the largest excursion of this curve, and the check
  rejects exactly when the curve leaves the band;
- the **histogram** against the expected density (rounded to the dtype's grid for
  float16/bfloat16: the null the checks use, so discreteness is not drawn as a misfit).

Per summary mode:

- ``exact``: the sorted values ``x_(i)`` with ``u_i = F(x_(i))``; ``F_n − F`` jumps from
  ``(i−1)/n − u_i`` to ``i/n − u_i`` at ``x_(i)`` (both ends are drawn, so the plotted maximum
  is the KS statistic);
- ``grid``: the distinct representable values ``v_k`` with cumulative counts ``C_k`` and the
  rounded null's CDF ``G_k``: ``C_k/n − G_k`` (the grouped KS statistic of the check);
- ``pit``: counts of ``u = F(x)`` in ``B`` equal bins: ``C_k/n − k/B`` at ``x = F⁻¹(k/B)``.

Long curves are thinned to an envelope (the minimum and maximum of each stretch), which keeps
every excursion. matplotlib is optional (``pip install verifier[plots]``); :func:`plot_data`
and :func:`ks_band` need only numpy and scipy.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as _st
from scipy.optimize import brentq as _brentq

__all__ = [
    "PLOTS_HINT",
    "EcdfDifference",
    "PlotData",
    "ecdf_difference",
    "have_matplotlib",
    "ks_band",
    "ks_level",
    "plot_data",
    "render_png",
]

PLOTS_HINT = "pip install verifier[plots]"
_HIST_BINS = 60
_ENVELOPE_POINTS = 800


_EXACT_BAND_N = 10_000
"""Up to this n the band is solved on ``kstwo.sf`` (fast there); above, ``kstwo.isf`` is used
(accurate to ~1e-8 in alpha there, and ``kstwo.sf`` takes seconds per call near n = 1e6)."""


def ks_band(n: int, alpha: float) -> float:
    """The two-sided KS critical value ``c`` with ``P(D_n ≥ c) = alpha`` under a continuous null:
    scipy's ``kstwo.isf(alpha, n)``, the inverse of the law :func:`verifier.stats.gof.ks_pvalue`
    takes p-values from, so the KS check at level ``alpha`` rejects iff ``sup |F_n − F| ≥ c``.
    For ``n ≤ 10,000``, where ``kstwo.isf`` is off by up to ~2 % in ``alpha`` at tiny levels,
    ``c`` is refined by root-finding on ``kstwo.sf`` itself."""
    if n < 1 or not 0.0 < alpha < 1.0:
        raise ValueError(f"ks_band needs n >= 1 and 0 < alpha < 1 (got n={n}, alpha={alpha})")
    c = float(_st.kstwo.isf(alpha, n))
    if n > _EXACT_BAND_N:
        return c
    from ..stats.gof import ks_pvalue

    lo = 0.5 / n  # D_n >= 1/(2n) always: p = 1 there
    if ks_pvalue(lo, n) <= alpha:
        return lo
    return float(_brentq(lambda x: ks_pvalue(x, n) - alpha, lo, 1.0, xtol=1e-15, rtol=1e-14))


def ks_level(result: Any) -> float:
    """The level at which the band is drawn: ``α/m`` for a verdict of ``m`` checks under Holm.

    Holm's first step rejects a check whose p-value is ≤ ``α/m``, so a curve that leaves the
    ``α/m`` band means the KS check is rejected whatever the other checks say (a curve inside
    the ``α`` band is never rejected; between the two, the other checks' p-values decide).
    """
    m = max(len(getattr(result, "checks", ())), 1)
    return float(result.alpha) / m


@dataclass(frozen=True)
class EcdfDifference:
    """``F_n − F`` as an envelope over ``x`` (``low ≤ F_n − F ≤ high`` around each ``x``) with the
    KS band ``±band`` at level ``level``; ``statistic`` is the largest ``|F_n − F|`` (the KS D)."""

    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    band: float
    level: float
    statistic: float
    n: int


@dataclass(frozen=True)
class PlotData:
    """What is drawn: the ECDF difference, and the histogram (edges, observed and expected density)."""

    ecdf: EcdfDifference
    edges: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    expected_label: str
    mode: str


def _envelope(x: np.ndarray, low: np.ndarray, high: np.ndarray, points: int) -> tuple[np.ndarray, ...]:
    """At most ``points`` stretches of equal width in ``x``, each reduced to the min of ``low`` and
    the max of ``high`` over its points (drawn as a step from the stretch's first ``x``)."""
    if x.size <= points or not x[-1] > x[0]:
        return x, low, high
    starts = np.unique(np.searchsorted(x, np.linspace(x[0], x[-1], points + 1)[:-1], side="left"))
    return x[starts], np.minimum.reduceat(low, starts), np.maximum.reduceat(high, starts)


def ecdf_difference(result: Any, *, points: int = _ENVELOPE_POINTS) -> EcdfDifference | None:
    """``F_n − F`` of one case from its summary, or None without a summary or distribution."""
    summary = getattr(result, "summary", None)
    dist = getattr(result, "distribution", None)
    if summary is None or dist is None or summary.n == 0:
        return None
    if summary.mode == "exact":
        x = np.asarray(summary.sorted_values, dtype=np.float64)
        n = x.size
        u = np.asarray(dist.cdf(x), dtype=np.float64)
        i = np.arange(1, n + 1, dtype=np.float64)
        low, high = (i - 1) / n - u, i / n - u
    elif summary.mode == "grid":
        from ..stats.grid import rounded_null

        rn = rounded_null(summary.counts, summary.dtype, dist)
        n = int(rn.counts.sum())
        diff = np.cumsum(rn.counts) / max(n, 1) - rn.upper
        # keep the stretch where data or null mass lies (the grid spans ±65504 / ±3e38)
        live = np.flatnonzero((rn.counts > 0) | (rn.prob > 1e-12))
        sl = slice(live[0], live[-1] + 1) if live.size else slice(0, 0)
        x, low, high = rn.values[sl], diff[sl], diff[sl]
    else:  # pit
        counts = summary.counts.astype(np.float64)
        b = counts.size
        n = int(counts.sum())
        g = np.arange(1, b) / b  # inner bin edges in u
        diff = np.cumsum(counts)[:-1] / max(n, 1) - g
        x = np.asarray(dist.ppf(g), dtype=np.float64)
        low = high = diff
    if x.size == 0 or n == 0:
        return None
    d = float(max(np.max(np.abs(low)), np.max(np.abs(high))))
    x, low, high = _envelope(np.asarray(x, dtype=np.float64), low, high, points)
    level = ks_level(result)
    return EcdfDifference(x, low, high, ks_band(n, level), level, d, n)


def _histogram(summary: Any, dist: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Bin edges, observed density and expected density (rounded to the grid for 16-bit floats)."""
    lo, hi = float(summary.min), float(summary.max)
    s_lo, s_hi = dist.support
    q = np.asarray(dist.ppf([1e-4, 1 - 1e-4]), dtype=np.float64)
    lo, hi = min(lo, max(s_lo, q[0])), max(hi, min(s_hi, q[1]))
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, _HIST_BINS + 1)
    width = np.diff(edges)
    n = float(summary.n)
    label = "expected density"
    if summary.mode == "exact":
        observed = np.histogram(summary.sorted_values, bins=edges)[0] / (n * width)
        expected = np.diff(dist.cdf(edges)) / width
    elif summary.mode == "grid":
        from ..stats.grid import rounded_null

        rn = rounded_null(summary.counts, summary.dtype, dist)
        observed = np.histogram(rn.values, bins=edges, weights=rn.counts)[0] / (n * width)
        expected = np.histogram(rn.values, bins=edges, weights=rn.prob)[0] / width
        label = f"expected, rounded to {summary.dtype}"
    else:
        counts = summary.counts.astype(np.float64)
        b = counts.size
        u = np.arange(1, b) / b
        x = np.asarray(dist.ppf(u), dtype=np.float64)
        F = np.cumsum(counts)[:-1] / max(counts.sum(), 1.0)
        Fe = np.interp(edges, x, F, left=0.0, right=1.0)  # F_n at the edges, interpolated between bin edges
        observed = np.diff(Fe) / width
        expected = np.diff(dist.cdf(edges)) / width
    return edges, observed, np.asarray(expected, dtype=np.float64), label


def plot_data(result: Any) -> PlotData | None:
    """The curves of one case, or None when it has no summary or distribution (exact checks)."""
    diff = ecdf_difference(result)
    if diff is None:
        return None
    edges, observed, expected, label = _histogram(result.summary, result.distribution)
    return PlotData(diff, edges, observed, expected, label, result.summary.mode)


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


# Sizes: at dpi 100 one point is 100/72 px, so 8 pt ticks are 11 px at 100 % zoom (>= 10 px).
_DPI = 100
_TICK_PT, _LABEL_PT, _TITLE_PT = 8, 8.5, 9.5
_BLUE, _RED, _GREY = "#1f5fa8", "#c0392b", "#8a8a8a"


def _fmt_level(level: float) -> str:
    return f"{level:.2g}"


def render_png(result: Any) -> bytes | None:
    """Two panels of one case as PNG bytes: ``F_n − F`` with the KS band, and the histogram
    against the expected density (None without data or without matplotlib)."""
    data = plot_data(result)
    if data is None or not have_matplotlib():
        return None
    from matplotlib.figure import (
        Figure,  # the Figure API renders with Agg; no pyplot, no global state
    )
    from matplotlib.ticker import MaxNLocator

    e = data.ecdf
    fig = Figure(figsize=(9.6, 3.1), dpi=_DPI)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1.0]})
    fig.subplots_adjust(left=0.075, right=0.99, bottom=0.24, top=0.9, wspace=0.2)
    ax1.axhspan(-e.band, e.band, color="#2e7d32", alpha=0.10, lw=0)
    ax1.axhline(e.band, color="#2e7d32", lw=0.9, ls="--")
    ax1.axhline(-e.band, color="#2e7d32", lw=0.9, ls="--", label=f"KS band ±{e.band:.3g} (level α/m = {_fmt_level(e.level)})")
    ax1.axhline(0.0, color=_GREY, lw=0.6)
    ax1.fill_between(e.x, e.low, e.high, step="post", color=_BLUE, lw=0.8,
                     alpha=0.9, edgecolor=_BLUE, label=f"Fₙ − F (max |·| = D = {e.statistic:.3g})")
    top = max(e.band, e.statistic) * 1.35
    ax1.set_ylim(-top, top)
    if e.x.size > 1 and e.x[-1] > e.x[0]:
        ax1.set_xlim(e.x[0], e.x[-1])
    ax1.set_title(f"ECDF difference Fₙ − F  (n = {e.n:,})", fontsize=_TITLE_PT)
    ax1.legend(fontsize=_LABEL_PT, loc="upper center", bbox_to_anchor=(0.5, -0.11), frameon=False, ncol=2,
               handlelength=1.5)
    ax2.stairs(data.observed, data.edges, fill=True, alpha=0.45, color=_BLUE, label="observed")
    ax2.stairs(data.expected, data.edges, color=_RED, linewidth=1.3, label=data.expected_label)
    peak = float(np.nanmax(np.concatenate([data.observed, data.expected])))
    ax2.set_ylim(0.0, peak * 1.3 if np.isfinite(peak) and peak > 0 else 1.0)
    ax2.set_xlim(data.edges[0], data.edges[-1])
    ax2.set_title("histogram and expected density", fontsize=_TITLE_PT)
    ax2.legend(fontsize=_LABEL_PT, loc="upper center", bbox_to_anchor=(0.5, -0.11), frameon=False, ncol=2,
               handlelength=1.5)
    for ax in (ax1, ax2):
        ax.tick_params(labelsize=_TICK_PT)
        ax.xaxis.set_major_locator(MaxNLocator(6))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.get_offset_text().set_fontsize(_TICK_PT)
        ax.xaxis.get_offset_text().set_fontsize(_TICK_PT)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, pil_kwargs={"optimize": True})
    return _palette(buf.getvalue())


def _palette(png: bytes) -> bytes:
    """The PNG with an adaptive 64-colour palette (line plots have a few colours plus their
    anti-aliasing): about 3× smaller, so a report of many failures stays small."""
    try:
        from PIL import Image  # matplotlib's own dependency
    except ImportError:  # pragma: no cover
        return png
    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as im:
        im.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, format="PNG", optimize=True)
    return out.getvalue() if out.tell() < len(png) else png
