"""The terminal report: a compact table, failures first, and one summary line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from .cases import FAIL, KNOWN, PASS, failures_first, fmt_p, fmt_ratio, ks, shape_text, status, summary_line, target

__all__ = ["render_text", "colorize"]

_COLORS = {PASS: "\033[32m", FAIL: "\033[1;31m", KNOWN: "\033[33m"}
_RESET = "\033[0m"


def colorize(word: str, color: bool) -> str:
    """``word`` in its status colour (ANSI), or unchanged when ``color`` is false."""
    code = _COLORS.get(word)
    return f"{code}{word}{_RESET}" if color and code else word


def render_text(results: Sequence[Any], *, color: bool = False, summary: bool = True) -> str:
    """One row per case (failures first): verdict, target, shape, dtype, expected, std ratio, KS p.

    Known deviations are listed after the table with their explanation.
    """
    rows = []
    for r in failures_first(results):
        k = ks(r)
        rows.append((
            colorize(status(r), color), target(r), shape_text(r), r.sample.dtype, r.expected,
            fmt_ratio(r), fmt_p(k[1]) if k else "—",
        ))
    table = tabulate(rows, headers=("verdict", "target", "shape", "dtype", "expected", "std ratio (99% CI)", "KS p"),
                     disable_numparse=True)
    lines = [table]
    known = [r for r in failures_first(results) if status(r) == KNOWN]
    if known:
        lines.append("")
        lines.append("known deviations (the library deviates; the check still fails):")
        seen: set[str] = set()
        for r in known:
            if r.known_deviation not in seen:
                seen.add(r.known_deviation)
                lines.append(f"  - {target(r)} [{r.sample.dtype}]: {r.known_deviation}")
    if summary:
        lines.append("")
        lines.append(summary_line(results))
    return "\n".join(lines)
