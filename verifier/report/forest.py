"""A forest plot of every case's observed/expected std ratio with its confidence interval, on a
log axis (ratios ×2 and ×½ are equally far from 1), as inline SVG: no matplotlib, crisp text at
any zoom, one ``<a>`` per row that jumps to the case, a tooltip with the numbers.

Rows come in the order given; consecutive rows with the same ``group`` (an audit's module) get
one group heading. Intervals that leave the axis are clipped and drawn with an arrow head.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["ForestRow", "forest_svg", "log_ticks"]

_ROW = 16  # px per row
_LABEL_W = 450  # px for the labels
_DETAIL_X = 318  # px where the grey detail starts
_PLOT_W = 520  # px for the axis
_PAD = 14
_AXIS_H = 34
_FONT = 11  # px (>= 10 px at 100 % zoom)
_COLORS = {"PASS": "#2e7d32", "FAIL": "#c0392b", "KNOWN DEVIATION": "#b76e00"}
_MAX_LABEL = 48


@dataclass(frozen=True)
class ForestRow:
    """One case: its label, the ratio with its interval, its status and the anchor it links to."""

    label: str
    estimate: float
    low: float
    high: float
    status: str
    anchor: str
    group: str | None = None
    tip: str = ""
    detail: str = ""
    """Shown in grey after the label (e.g. shape and dtype)."""


def log_ticks(lo: float, hi: float) -> list[float]:
    """Readable tick values between ``lo`` and ``hi`` (> 0) for a log axis around 1."""
    candidates = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.67, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999,
                  1.0, 1.001, 1.002, 1.005, 1.01, 1.02, 1.05, 1.1, 1.25, 1.5, 2.0, 4.0, 5.0, 10.0, 20.0, 50.0, 100.0]
    inside = [t for t in candidates if lo <= t <= hi]
    # at most ~9 ticks, evenly spread in log space, always keeping 1
    if len(inside) > 9:
        span = math.log(hi / lo)
        kept: list[float] = []
        for t in sorted(inside, key=lambda t: (t != 1.0, abs(math.log(t)))):
            if all(abs(math.log(t / k)) > span / 10 for k in kept):
                kept.append(t)
        inside = sorted(kept)
    return inside


def _axis_range(rows: Sequence[ForestRow]) -> tuple[float, float]:
    """A range symmetric in log around 1 that holds every estimate and every finite interval
    end, widened to at least ±1 % and clipped to [0.01, 100]."""
    ends = [v for r in rows for v in (r.estimate, r.low, r.high) if math.isfinite(v) and v > 0]
    half = max((abs(math.log(v)) for v in ends), default=0.0)
    half = min(max(half * 1.08, math.log(1.01)), math.log(100.0))
    return math.exp(-half), math.exp(half)


def _fmt_tick(t: float) -> str:
    return f"{t:g}" if t >= 0.1 else f"{t:.2g}"


def forest_svg(rows: Sequence[ForestRow], *, title: str = "observed / expected std", confidence: float = 0.99) -> str:
    """The forest plot as two ``<svg>`` elements: the axis header (``class="forest axis"``, meant to
    stay in view: sticky in a scrolling box) and the rows (``class="forest"``); empty without rows."""
    if not rows:
        return ""
    lo, hi = _axis_range(rows)
    llo, lhi = math.log(lo), math.log(hi)
    x0 = _LABEL_W

    def px(v: float) -> float:
        v = min(max(v, lo), hi) if v > 0 else lo
        return x0 + (math.log(v) - llo) / (lhi - llo) * _PLOT_W

    body: list[str] = []
    y = 4
    group: str | None = None
    for r in rows:
        if r.group is not None and r.group != group:
            group = r.group
            y += 4
            body.append(f'<text class="fg" x="4" y="{y + _ROW - 4}">{escape(group)}</text>')
            y += _ROW
        color = _COLORS.get(r.status, "#555")
        cy = y + _ROW / 2
        label = r.label if len(r.label) <= _MAX_LABEL else r.label[: _MAX_LABEL - 1] + "…"
        detail = r.detail if len(r.detail) <= 20 else r.detail[:19] + "…"
        indent = 14 if r.group is not None else 4
        tip = escape(r.tip or f"{r.label}: {r.estimate:.4g} [{r.low:.4g}, {r.high:.4g}]")
        parts = [f'<a href="#{escape(r.anchor)}"><title>{tip}</title>',
                 f'<rect class="fr" x="0" y="{y}" width="{x0 + _PLOT_W + _PAD}" height="{_ROW}"/>',
                 (f'<text x="{indent}" y="{y + _ROW - 4}" fill="{color if r.status != "PASS" else "#222"}">'
                  f"{escape(label)}</text>"),
                 f'<text class="fd" x="{_DETAIL_X}" y="{y + _ROW - 4}">{escape(detail)}</text>' if detail else ""]
        if math.isfinite(r.estimate) and r.estimate > 0:
            a, b = px(r.low if math.isfinite(r.low) else 0.0), px(r.high if math.isfinite(r.high) else math.inf)
            parts.append(f'<line x1="{a:.1f}" x2="{b:.1f}" y1="{cy}" y2="{cy}" stroke="{color}" stroke-width="2"/>')
            for end, clipped, sign in ((a, not (math.isfinite(r.low) and r.low >= lo), -1),
                                       (b, not (math.isfinite(r.high) and r.high <= hi), 1)):
                if clipped:
                    parts.append(f'<path d="M{end:.1f},{cy} l{-6 * sign},-4 v8 z" fill="{color}"/>')
            parts.append(f'<circle cx="{px(r.estimate):.1f}" cy="{cy}" r="3.5" fill="{color}"/>')
        parts.append("</a>")
        body.append("".join(parts))
        y += _ROW
    height = y + 22
    width = x0 + _PLOT_W + _PAD
    head: list[str] = [f'<text class="ft" x="4" y="14">{escape(title)} ({confidence:.0%} CI), log axis</text>']
    grid: list[str] = []
    for t in log_ticks(lo, hi):
        x = px(t)
        dash = "" if t == 1.0 else ' stroke-dasharray="2,3"'
        head.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_AXIS_H - 6}" y2="{_AXIS_H}" stroke="#999"/>'
                    f'<text x="{x:.1f}" y="{_AXIS_H - 9}" text-anchor="middle">{_fmt_tick(t)}</text>')
        grid.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{y}" stroke="#999"{dash}/>'
                    f'<text x="{x:.1f}" y="{y + 14}" text-anchor="middle">{_fmt_tick(t)}</text>')
    style = (f"<style>.forest text{{font:{_FONT}px system-ui,sans-serif}}.forest .ft{{font-weight:600}}"
             ".forest .fg{font-weight:600;fill:#333}.forest .fd{fill:#666}.forest .fr{fill:transparent}"
             ".forest a:hover .fr{fill:#eef3fb}</style>")
    svg = '<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"'
    return (svg.format(cls="forest axis", w=width, h=_AXIS_H) + f' aria-hidden="true">{style}' + "".join(head)
            + "</svg>" + svg.format(cls="forest", w=width, h=height)
            + f' role="img" aria-label="{escape(title)}">' + "".join(grid) + "".join(body) + "</svg>")
