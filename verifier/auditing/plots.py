"""Per-layer plot of observed/expected std with confidence intervals (matplotlib, optional)."""

from __future__ import annotations

import base64
import io
from typing import Any

__all__ = ["std_plot_png"]


def std_plot_png(report: Any) -> str | None:
    """A base64 PNG of observed/expected std per checked tensor, or ``None`` without matplotlib
    or without any tensor that has a variance check."""
    rows = [r for r in report.checked if r.std_ratio is not None]
    if not rows:
        return None
    try:
        from matplotlib.figure import Figure  # the Figure API renders with Agg; no pyplot, no backend switch
    except ImportError:
        return None
    n = len(rows)
    fig = Figure(figsize=(max(6.0, 0.35 * n + 2), 4.0), dpi=100)
    ax = fig.add_subplot()
    xs = list(range(n))
    est = [r.std_ratio[0] for r in rows]
    lo = [r.std_ratio[0] - r.std_ratio[1] for r in rows]
    hi = [r.std_ratio[2] - r.std_ratio[0] for r in rows]
    colors = ["#c0392b" if r.status == "fail" else "#2e7d32" for r in rows]
    ax.axhline(1.0, color="#555", lw=1, ls="--")
    for x, y, l, h, c in zip(xs, est, lo, hi, colors):
        ax.errorbar([x], [y], yerr=[[l], [h]], fmt="o", color=c, capsize=3, ms=4)
    ax.set_xticks(xs)
    ax.set_xticklabels([r.name for r in rows], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("observed / expected std")
    ax.set_title(f"{report.correction_text}")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")
