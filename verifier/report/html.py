"""The HTML report: one self-contained file that a reader understands in two seconds.

From top to bottom: a banner with the overall status (PASS / FAIL / PASS WITH KNOWN DEVIATIONS),
the counts, the α and correction, and the environment; a filter bar (verdict buttons, text
search); one table row per case (verdict, rejected checks, observed/expected std with its
interval, diagnosis, smallest detectable error), sortable by column; a forest plot of every
case's std ratio on a log axis (grouped by module for audits); one ``<details>`` per case
(failures and deviations open, passes collapsed) with its plots (:mod:`.plots`, embedded as
base64 PNG) and the full verdict text.

The stylesheet and script are inline (:mod:`.assets`): no network, works from ``file://``.
Every string that comes from user code (targets, spec strings, details) is escaped.
Plots: ``plots='failures'`` (default) draws failures and known deviations only; ``'all'`` every
case; ``'none'`` none. Reports render; nothing here computes a statistic.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from ..stats.checks import CONFIDENCE
from .assets import CSS, JS
from .cases import (
    FAIL,
    KNOWN,
    PASS,
    banner_counts,
    default_correction,
    detectable_text,
    diagnosis_headline,
    failures_first,
    overall,
    rejected_checks,
    shape_text,
    status,
    std_ratio,
    target,
)
from .environment import environment
from .format import format_expected
from .forest import ForestRow, forest_svg
from .plots import PLOTS_HINT, ecdf_difference, have_matplotlib, render_png
from .sparkline import sparkline_svg

__all__ = ["PLOT_CHOICES", "plot_choice", "render_html"]

PLOT_CHOICES = ("failures", "all", "none")

_CLS = {PASS: "PASS", KNOWN: "KNOWN", FAIL: "FAIL"}


def plot_choice(plots: bool | str) -> str:
    """Normalise ``plots``: True → 'failures', False → 'none', else one of :data:`PLOT_CHOICES`."""
    if plots is True:
        return "failures"
    if plots is False or plots is None:
        return "none"
    if plots not in PLOT_CHOICES:
        raise ValueError(f"plots={plots!r}: choose one of {', '.join(PLOT_CHOICES)}")
    return str(plots)


def _cls(r: Any) -> str:
    return _CLS[status(r)]


def _ratio_cell(r: Any) -> tuple[str, str]:
    """(HTML, sort value) of the observed/expected std cell."""
    ratio = std_ratio(r)
    if ratio is None:
        return "—", ""
    est, lo, hi = ratio
    exp = float(r.distribution.std)
    html = (f"{est:.4f} <span class=sub>[{lo:.4f}, {hi:.4f}]</span><br>"
            f"<span class=sub>{est * exp:.4g} / {exp:.4g}</span>")
    return html, f"{est:.6g}"


def _detect_sort(r: Any) -> str:
    det = getattr(r, "detectable", None)
    if det is None:
        return ""
    return f"{det[1]:.6g}" if math.isfinite(det[1]) else "1e300"


def _breakable(text: str) -> str:
    """Escaped text with line-break opportunities after '(' and ',' (spec strings have no spaces)."""
    return re.sub(r"(?<! )\(", "(<wbr>", escape(text)).replace(",", ",<wbr>")


def _row(i: int, r: Any) -> str:
    e = escape
    st, cls = status(r), _cls(r)
    rejected = ", ".join(rejected_checks(r)) or "—"
    ratio_html, ratio_v = _ratio_cell(r)
    diag = diagnosis_headline(r)
    if not diag and status(r) == PASS and getattr(r, "distribution", None) is None:
        diag = "exact check"
    text = " ".join([st, target(r), shape_text(r), str(r.sample.dtype), format_expected(r), rejected, diag]).lower()
    return (f'<tr class="case-row {cls}" data-status="{cls}" data-case="case-{i}" data-text="{e(text)}">'
            f'<td class=num data-v="{i}">{i + 1}</td>'
            f'<td data-v="{["FAIL", "KNOWN", "PASS"].index(cls)}"><span class="badge {cls}">{e(st)}</span></td>'
            f'<td class=case><a href="#case-{i}">{_breakable(target(r))}</a><br>'
            f"<span class=sub>{e(shape_text(r))}, {e(str(r.sample.dtype))}</span></td>"
            f"<td class=spec>{_breakable(format_expected(r))}</td>"
            f"<td>{e(rejected)}</td>"
            f'<td class=num data-v="{ratio_v}">{ratio_html}</td>'
            f'<td class=diag title="{e(diag)}">{e(diag)}</td>'
            f'<td class=num data-v="{_detect_sort(r)}">{e(detectable_text(r))}</td></tr>')


_HEADERS = ("#", "verdict", "case", "expected", "rejected check(s)", f"observed / expected std ({CONFIDENCE:.0%} CI)",
            "diagnosis", "detectable std error")


def _case_section(i: int, r: Any, png: bytes | None, compact: str = "") -> str:
    e = escape
    st, cls = status(r), _cls(r)
    rejected = rejected_checks(r)
    head = f"rejected: {', '.join(rejected)}" if rejected else ""
    diag = diagnosis_headline(r)
    tail = " · ".join(x for x in (head, diag) if x)
    out = [f'<details class="case {cls}" id="case-{i}"{" open" if st != PASS else ""}>',
           (f'<summary><span class="badge {cls}">{e(st)}</span> <b>{e(target(r))}</b>'
            f"<span class=sub>{e(shape_text(r))}, {e(str(r.sample.dtype))} · {e(format_expected(r))}"
            f"{' · ' + e(tail) if tail else ''}</span></summary><div class=body>")]
    if st == KNOWN:
        out.append(f'<p class="note"><b>Known deviation of the library</b> (the check still fails): '
                   f"{e(str(r.known_deviation))}</p>")
    if png is not None:
        b64 = base64.b64encode(png).decode("ascii")
        out.append(f'<img alt="ECDF difference and histogram of {e(target(r))}" '
                   f'src="data:image/png;base64,{b64}">')
    elif compact:
        out.append(compact)
    out.append(f'<pre class="verdict">{e(str(r))}</pre></div></details>')
    return "".join(out)


def _forest(ordered: Sequence[Any], index: dict[int, int], groups: Sequence[str] | None,
            results: Sequence[Any]) -> str:
    """Forest rows in the input order (model order for audits), linking to the case sections."""
    rows = []
    for k, r in enumerate(results):
        ratio = std_ratio(r)
        if ratio is None:
            continue
        i = index[id(r)]
        diag = diagnosis_headline(r)
        tip = f"{target(r)} [{shape_text(r)}, {r.sample.dtype}]: std ratio {ratio[0]:.4f} [{ratio[1]:.4f}, " \
              f"{ratio[2]:.4f}], {status(r)}" + (f"; {diag}" if diag else "")
        rows.append(ForestRow(target(r), *ratio, status=status(r), anchor=f"case-{i}",
                              group=groups[k] if groups is not None else None, tip=tip,
                              detail=f"{shape_text(r)}, {r.sample.dtype}"))
    return forest_svg(rows, confidence=CONFIDENCE) if len(rows) > 1 else ""


def _environment_line(env: dict[str, Any]) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in env["libraries"].items())
    m = env["machine"]
    return f"{libs}; {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}"


def render_html(
    results: Sequence[Any],
    *,
    title: str = "verifier report",
    command: str | None = None,
    seed: int | None = None,
    alpha: float | None = None,
    notes: Sequence[str] = (),
    plots: bool | str = "failures",
    progress: Callable[[Any], Any] | None = None,
    correction: str | None = None,
    groups: Sequence[str] | None = None,
    not_checked: Sequence[tuple[str, ...]] = (),
    unit: str = "case",
) -> str:
    """The report as one HTML document.

    Parameters
    ----------
    results : Verdicts and/or ExactResults (suites, ``check``, the pytest plugin, audits).
    plots : 'failures' (default: failures and known deviations get the ECDF-difference and
        histogram panels), 'all', or 'none' (True/False are 'failures'/'none').
    progress : wraps the iteration over the plotted cases (e.g. tqdm).
    correction : how the verdicts were decided, for the banner (default: Holm within each case).
    groups : one label per result (an audit's module), grouping the forest plot.
    not_checked : rows (name, type, shape, reason) of tensors that were not checked (audits).
    unit : what one result is, for the counts ('case'; 'tensor' for audits).
    """
    which = plot_choice(plots)
    if groups is not None and len(groups) != len(results):
        raise ValueError(f"groups has {len(groups)} labels for {len(results)} results")
    env = environment(seed=seed, alpha=alpha, command=command)
    ordered = failures_first(results)
    index = {id(r): i for i, r in enumerate(ordered)}
    can_plot = which != "none" and have_matplotlib()
    e = escape
    head = overall(results)
    n = len(results)
    count_text = banner_counts(results, unit=unit, not_checked=len(not_checked))
    correction = correction or default_correction(alpha)
    meta = [correction] if correction else []
    if seed is not None:
        meta.append(f"seed {seed}")
    meta.append(f"created {env['created']}")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(head)}: {e(title)}</title>", f"<style>{CSS}</style></head><body><main>",
           f"<h1>{e(title)}</h1>",
           f'<section class="banner {_CLS.get(head, "KNOWN")}" id="banner" role="status">'
           f'<span class="status">{e(head)}</span><span class="counts">{e(count_text)}</span>'
           f'<span class="meta">{e(" · ".join(meta))}'
           + (f" · regenerate with <code>{e(command)}</code>" if command else "") + "</span>"
           f'<span class="meta env">Environment: {e(_environment_line(env))}</span></section>']
    if notes:
        out.append('<ul class="notes">' + "".join(f"<li>{e(x)}</li>" for x in notes) + "</ul>")
    if which != "none" and not can_plot:
        out.append(f'<p class="note">Plots are not included: matplotlib is not installed. '
                   f"Install it with <code>{e(PLOTS_HINT)}</code> and regenerate the report.</p>")
    # filter bar and table
    by = {c: sum(1 for r in results if _cls(r) == c) for c in ("FAIL", "KNOWN", "PASS")}
    buttons = [("all", f"all ({n})"), ("FAIL", f"failures ({by['FAIL']})"),
               ("KNOWN", f"known deviations ({by['KNOWN']})"), ("PASS", f"passes ({by['PASS']})")]
    out.append('<h2 id="cases">Cases</h2><div class="bar" role="toolbar" aria-label="filter cases">'
               + "".join(f'<button type="button" data-filter="{k}" aria-pressed="{str(k == "all").lower()}">'
                         f"{e(label)}</button>" for k, label in buttons)
               + '<input id="search" type="search" placeholder="search: name, spec, dtype, check…" '
                 'aria-label="search cases"><span class="shown" id="shown"></span></div>')
    out.append('<div class="tablewrap"><table class="cases"><thead><tr>'
               + "".join(f"<th><button type=button>{e(h)}</button></th>" for h in _HEADERS)
               + "</tr></thead><tbody>" + "".join(_row(i, r) for i, r in enumerate(ordered))
               + '</tbody></table></div><p class="empty" id="empty" hidden>No case matches the filter.</p>')
    forest = _forest(ordered, index, groups, results)
    if forest:
        what = "per tensor, grouped by module" if groups is not None else "per case"
        out.append(f'<h2 id="forest">Observed / expected std {what}</h2>'
                   f'<p class="sub">Each row: the ratio (dot) and its {CONFIDENCE:.0%} confidence interval, on a '
                   "log axis; click a row to open its case.</p>"
                   f'<div class="forestwrap">{forest}</div>')
    if not_checked:
        out.append(f'<h2 id="not-checked">Not checked ({len(not_checked)})</h2><table class="plain"><thead><tr>'
                   + "".join(f"<th>{h}</th>" for h in ("tensor", "type", "shape", "reason")) + "</tr></thead><tbody>"
                   + "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in not_checked)
                   + "</tbody></table>")
    out.append('<h2 id="details">Details</h2>'
               f'<p class="sub">Failures and known deviations are open; click a case to open it. Plots: '
               f"{'every case' if which == 'all' else 'failures and known deviations, a compact one for passes' if which == 'failures' else 'none'}"
               " (Fₙ − F with the KS acceptance band at level α/m: the KS check rejects where the curve leaves it;"
               " the histogram against the expected density).</p>")
    iterator = progress(ordered) if progress is not None else ordered
    for i, r in enumerate(iterator):
        png = render_png(r) if can_plot and (which == "all" or status(r) != PASS) else None
        compact = ""
        if png is None and which != "none":  # passes (or no matplotlib): the compact ECDF-difference plot
            diff = ecdf_difference(r)
            compact = sparkline_svg(diff) if diff is not None else ""
        out.append(_case_section(i, r, png, compact))
    out.append(f"</main><script>{JS}</script></body></html>")
    return "\n".join(out)
