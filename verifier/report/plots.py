"""Plots of one case — histogram with the expected density, Q–Q plot, empirical vs expected CDF —
computed from ``verdict.summary`` only (never from raw values):

- ``exact``: the sorted values;
- ``grid``: counts over the 65,536 float16/bfloat16 bit patterns → distinct values and counts;
  the histogram is compared with the expected distribution *rounded to the grid* (the null the
  checks use), so the discreteness of the dtype does not show up as a misfit;
- ``pit``: counts of ``u = F(x)`` in equal bins → bin edges mapped back through ``distribution.ppf``.

matplotlib is optional (``pip install verifier[plots]``); :func:`plot_data` needs only numpy.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PlotData", "plot_data", "have_matplotlib", "render_png", "PLOTS_HINT"]

PLOTS_HINT = "pip install verifier[plots]"
_HIST_BINS = 50
_QQ_POINTS = 200
_CDF_POINTS = 400


@dataclass(frozen=True)
class PlotData:
    """What is drawn: histogram (edges, observed density, expected density), Q–Q and CDF curves."""

    edges: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    expected_label: str
    qq_theoretical: np.ndarray
    qq_observed: np.ndarray
    cdf_x: np.ndarray
    cdf_observed: np.ndarray
    cdf_expected: np.ndarray
    mode: str


def _ecdf(summary: Any, dist: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Points (x, F_n(x)) of the empirical CDF, and the distinct values' counts (grid only)."""
    if summary.mode == "exact":
        x = np.asarray(summary.sorted_values, dtype=np.float64)
        return x, np.arange(1, x.size + 1) / max(x.size, 1), None
    if summary.mode == "grid":
        from ..stats.grid import grid_values

        grid = grid_values(summary.dtype)
        finite = np.isfinite(grid) & (summary.counts > 0)
        vals, cnt = grid[finite], summary.counts[finite]
        uniq, inverse = np.unique(vals, return_inverse=True)  # merges -0 and +0, sorts
        c = np.bincount(inverse, weights=cnt).astype(np.float64)
        return uniq, np.cumsum(c) / max(c.sum(), 1.0), c
    # pit
    counts = summary.counts.astype(np.float64)
    b = counts.size
    u = np.arange(1, b + 1) / b
    x = np.asarray(dist.ppf(np.clip(u, 0.0, 1.0 - 1e-12)), dtype=np.float64)
    x[-1] = max(summary.max, x[-2] if b > 1 else summary.max)
    return x, np.cumsum(counts) / max(counts.sum(), 1.0), None


def _thin(n: int, m: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, min(n, m)).round().astype(np.int64))


def plot_data(result: Any) -> PlotData | None:
    """The curves of one case, or None when it has no summary or distribution (exact checks)."""
    summary = getattr(result, "summary", None)
    dist = getattr(result, "distribution", None)
    if summary is None or dist is None or summary.n == 0:
        return None
    x, F, grid_counts = _ecdf(summary, dist)
    if x.size == 0:
        return None
    lo, hi = float(summary.min), float(summary.max)
    s_lo, s_hi = dist.support
    q = np.asarray(dist.ppf([1e-4, 1 - 1e-4]), dtype=np.float64)
    lo, hi = min(lo, max(s_lo, q[0])), max(hi, min(s_hi, q[1]))
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, _HIST_BINS + 1)
    width = np.diff(edges)
    n = float(summary.n)
    if summary.mode == "exact":
        observed = np.histogram(x, bins=edges)[0] / (n * width)
    elif summary.mode == "grid":
        assert grid_counts is not None
        observed = np.histogram(x, bins=edges, weights=grid_counts)[0] / (n * width)
    else:
        # F at the edges (interpolated in the ECDF), differenced: fraction per bin
        Fe = np.interp(edges, x, F, left=0.0, right=1.0)
        observed = np.diff(Fe) / width
    if summary.mode == "grid":
        from ..stats.grid import rounded_null

        rn = rounded_null(summary.counts, summary.dtype, dist)
        expected = np.histogram(rn.values, bins=edges, weights=rn.prob)[0] / width
        label = f"expected (rounded to {summary.dtype})"
    else:
        expected = np.diff(dist.cdf(edges)) / width
        label = "expected"
    p = (np.arange(_QQ_POINTS) + 0.5) / _QQ_POINTS
    idx = np.minimum(np.searchsorted(F, p, side="left"), x.size - 1)
    qq_obs = x[idx]
    qq_theo = np.asarray(dist.ppf(p), dtype=np.float64)
    keep = _thin(x.size, _CDF_POINTS)
    cx, cF = x[keep], F[keep]
    return PlotData(edges, observed, expected, label, qq_theo, qq_obs, cx, cF,
                    np.asarray(dist.cdf(cx), dtype=np.float64), summary.mode)


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


_FIG: Any = None
_ART: dict[str, Any] = {}


def _figure() -> tuple[Any, dict[str, Any]]:
    """One Agg figure with three axes and its artists, created once and updated per case
    (creating figures, axes and artists is the slow part of plotting many cases)."""
    global _FIG
    if _FIG is None:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator

        fig = Figure(figsize=(9.0, 2.5), dpi=70)
        ax1, ax2, ax3 = fig.subplots(1, 3)
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.12, top=0.88, wspace=0.22)
        z = np.zeros(1)
        e = np.array([0.0, 1.0])
        _ART["obs"] = ax1.stairs(z, e, fill=True, alpha=0.45, color="tab:blue", label="observed")
        _ART["exp"] = ax1.stairs(z, e, color="tab:red", linewidth=1.3, label="expected")
        _ART["legend1"] = ax1.legend(fontsize=6, loc="upper right")
        ax1.set_title("histogram", fontsize=8)
        (_ART["qq"],) = ax2.plot([0], [0], ".", markersize=2, color="tab:blue")
        (_ART["diag"],) = ax2.plot([0, 1], [0, 1], "-", color="tab:red", linewidth=1)
        ax2.set_title("Q–Q (observed vs expected quantiles)", fontsize=8)
        (_ART["ecdf"],) = ax3.step([0], [0], where="post", color="tab:blue", linewidth=1, label="empirical")
        (_ART["cdf"],) = ax3.plot([0], [0], color="tab:red", linewidth=1, linestyle="--", label="expected")
        ax3.legend(fontsize=6, loc="lower right")
        ax3.set_title("CDF", fontsize=8)
        for ax in (ax1, ax2, ax3):
            ax.tick_params(labelsize=6)
            ax.xaxis.set_major_locator(MaxNLocator(5))
        _ART["title"] = fig.suptitle("", fontsize=8)
        _FIG = fig
    return _FIG, _ART


def _pad(lo: float, hi: float, frac: float = 0.03) -> tuple[float, float]:
    if not np.isfinite(lo) or not np.isfinite(hi):
        return 0.0, 1.0
    if hi <= lo:
        return lo - 0.5, hi + 0.5
    d = (hi - lo) * frac
    return lo - d, hi + d


def render_png(result: Any, *, title: str | None = None) -> bytes | None:
    """The three plots of one case as PNG bytes (None without data or without matplotlib)."""
    data = plot_data(result)
    if data is None or not have_matplotlib():
        return None
    fig, art = _figure()
    ax1, ax2, ax3 = fig.axes
    art["obs"].set_data(data.observed, data.edges)
    art["exp"].set_data(data.expected, data.edges)
    art["legend1"].get_texts()[1].set_text(data.expected_label)
    ax1.set_xlim(data.edges[0], data.edges[-1])
    top = float(np.nanmax([np.nanmax(data.observed), np.nanmax(data.expected)]))
    ax1.set_ylim(0.0, top * 1.12 if np.isfinite(top) and top > 0 else 1.0)
    art["qq"].set_data(data.qq_theoretical, data.qq_observed)
    lo = float(np.nanmin([data.qq_theoretical.min(), data.qq_observed.min()]))
    hi = float(np.nanmax([data.qq_theoretical.max(), data.qq_observed.max()]))
    art["diag"].set_data([lo, hi], [lo, hi])
    ax2.set_xlim(*_pad(float(data.qq_theoretical.min()), float(data.qq_theoretical.max())))
    ax2.set_ylim(*_pad(lo, hi))
    art["ecdf"].set_data(data.cdf_x, data.cdf_observed)
    art["cdf"].set_data(data.cdf_x, data.cdf_expected)
    ax3.set_xlim(*_pad(float(data.cdf_x[0]), float(data.cdf_x[-1])))
    ax3.set_ylim(-0.03, 1.03)
    art["title"].set_text(title or "")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=70)
    return buf.getvalue()
