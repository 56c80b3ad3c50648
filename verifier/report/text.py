"""Text: one verdict in full (:func:`render_verdict`, what ``str(verdict)`` prints) and the terminal
report of many (:func:`render_text`: a compact table, failures first, and one summary line)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from ..stats.checks import CONFIDENCE
from ..stats.decision import POWER
from .cases import FAIL, KNOWN, PASS, failures_first, fmt_p, fmt_ratio, ks, shape_text, status, summary_line, target

from .format import fmt_number, format_expected
from .format import fmt_p as _fmt_p_one

__all__ = ["render_text", "render_verdict", "colorize"]

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
            colorize(status(r), color), target(r), shape_text(r), r.sample.dtype, format_expected(r),
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


def render_verdict(v: Any) -> str:
    """A verdict as readable text: what was sampled and expected, the checks, the diagnosis, the power."""
    head = "PASS" if v.passed else "FAIL"
    fans = ""
    if v.sample.fans is not None:
        f = v.sample.fans
        fans = f"; fan_in {f.fan_in}, fan_out {f.fan_out}, {v.sample.layout} layout"
    lines = [
        f"{head}  {v.sample.source}",
        f"  sampled   {v.sample}",
        f"  expected  {format_expected(v)}" + (f" = {v.distribution}" if v.distribution is not None else "") + fans,
    ]
    var = v.check("variance")
    if var is not None and var.effect is not None:
        e = var.effect
        lines.append(f"  observed  std = {e.estimate:.4f} × expected ({CONFIDENCE:.0%} CI {e.low:.4f}–{e.high:.4f})")
    rows = [
        (c.name, "ok" if c.passed else ("tolerated" if c.within_tolerance else "REJECT"), fmt_number(c.statistic),
         _fmt_p_one(c.pvalue), c.detail)
        for c in v.checks
    ]
    table = tabulate(rows, headers=("check", "result", "statistic", "p-value", "detail"), disable_numparse=True)
    lines.append(f"  checks (Holm over the statistical checks, family-wise α = {v.alpha:g}):")
    lines += ["    " + line for line in table.splitlines()]
    if v.tolerance is not None:
        if v.status == "within tolerance":
            figs = "; ".join(dict.fromkeys(c.tolerance_detail or c.name for c in v.tolerated))
            lines.append(f"  status    deviation detected but within tolerance ({v.tolerance}): {figs}")
        elif v.status == "pass":
            lines.append(f"  status    no detectable deviation (tolerance {v.tolerance} not needed)")
        elif v.status == "inconclusive":
            figs = "; ".join(dict.fromkeys(c.tolerance_detail for c in v.failed if c.tolerance_detail))
            lines.append(f"  status    deviation detected; neither within nor beyond tolerance ({v.tolerance}): {figs}")
        else:
            beyond = "; ".join(dict.fromkeys(c.tolerance_detail for c in v.failed if c.tolerance_detail))
            lines.append(f"  status    deviation beyond tolerance ({v.tolerance})" + (f": {beyond}" if beyond else ""))
    if v.diagnosis is not None:
        lines.append(f"  diagnosis {v.diagnosis}")
    down, up = v.detectable
    if math.isfinite(up):
        lines.append(
            f"  power     this sample size detects a std error of -{down:.2%} / +{up:.2%} with {POWER:.0%} power"
        )
    else:
        lines.append("  power     too few values to detect any std error; use draws=k or a larger shape")
    return "\n".join(lines)
