"""The compact plot of a passing case: ``F_n − F`` in units of its KS band, as a small inline SVG
(about 1.5 kB; no matplotlib). The band is ±1, so a glance says how close the case came to the
KS check's rejection: the curve's largest excursion is ``D / c``."""

from __future__ import annotations

from html import escape

import numpy as np

from .plots import EcdfDifference

__all__ = ["sparkline_svg"]

_W, _H = 440, 74  # px
_TOP, _BOTTOM, _LEFT = 18, 6, 4
_LIMIT = 1.25  # y range in band units (a passing case stays within ±1; beyond is clipped)


def sparkline_svg(e: EcdfDifference, *, points: int = 100) -> str:
    """``F_n − F`` divided by the band ``c`` over ``x``: a filled envelope between the dashed
    lines ±1 (the KS acceptance band at level ``α/m``)."""
    x, lo, hi = e.x, e.low / e.band, e.high / e.band
    if x.size > points:  # coarser envelope: min/max over equal stretches of the points
        starts = np.unique(np.linspace(0, x.size, points + 1).astype(np.int64)[:-1])
        x, lo, hi = x[starts], np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)
    span = float(x[-1] - x[0]) if x.size > 1 and x[-1] > x[0] else 1.0
    plot_h = _H - _TOP - _BOTTOM

    def px(v: np.ndarray) -> np.ndarray:
        return _LEFT + (v - x[0]) / span * (_W - 2 * _LEFT)

    def py(v: np.ndarray) -> np.ndarray:
        return _TOP + (1 - (np.clip(v, -_LIMIT, _LIMIT) + _LIMIT) / (2 * _LIMIT)) * plot_h

    xs = px(x)
    upper = " ".join(f"{a:.0f},{b:.0f}" for a, b in zip(xs, py(hi)))  # whole pixels: compact
    lower = " ".join(f"{a:.0f},{b:.0f}" for a, b in zip(xs[::-1], py(lo)[::-1]))
    y1, y0, ym = (float(py(np.array(v))) for v in (1.0, 0.0, -1.0))
    ratio = e.statistic / e.band
    label = (f"Fₙ − F in units of the KS band ±{e.band:.3g} (level {e.level:.2g}): "
             f"largest excursion {ratio:.2f}")
    return (f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
            f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(label)}">'
            f'<text x="{_LEFT}" y="12" font-size="11" fill="#444">{escape(label)}</text>'
            f'<rect x="{_LEFT}" y="{y1:.1f}" width="{_W - 2 * _LEFT}" height="{ym - y1:.1f}" fill="#2e7d32" '
            'fill-opacity="0.08"/>'
            + "".join(f'<line x1="{_LEFT}" x2="{_W - _LEFT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#2e7d32" '
                      'stroke-dasharray="4,3" stroke-width="1"/>' for y in (y1, ym))
            + f'<line x1="{_LEFT}" x2="{_W - _LEFT}" y1="{y0:.1f}" y2="{y0:.1f}" stroke="#999" stroke-width="0.6"/>'
            f'<polygon points="{upper} {lower}" fill="#1f5fa8" fill-opacity="0.85" stroke="#1f5fa8" '
            'stroke-width="0.8"/></svg>')
