"""The HTML report: one self-contained file (plots embedded as base64 PNG), failures first.

Every string that comes from user code (targets, spec strings, details) is escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from .cases import KNOWN, PASS, failures_first, shape_text, status, summary_line, target
from .environment import environment
from .markdown import HEADERS, case_rows
from .plots import PLOTS_HINT, have_matplotlib, render_png

__all__ = ["render_html"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5em;color:#222;max-width:1400px}
table{border-collapse:collapse;font-size:12px;margin:0.5em 0}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
.PASS{color:#17702b;font-weight:bold}.FAIL{color:#b00020;font-weight:bold}.KNOWN{color:#a15c00;font-weight:bold}
pre{background:#f7f7f7;padding:0.5em;font-size:11px;overflow-x:auto}
section.case{border-top:1px solid #ddd;margin-top:1em}
.note{background:#fff6e0;border-left:4px solid #e0a000;padding:0.4em 0.8em}
img{max-width:100%}
"""


def _cls(st: str) -> str:
    return {PASS: "PASS", KNOWN: "KNOWN"}.get(st, "FAIL")


def render_html(
    results: Sequence[Any],
    *,
    title: str = "verifier report",
    command: str | None = None,
    seed: int | None = None,
    alpha: float | None = None,
    notes: Sequence[str] = (),
    plots: bool = True,
    progress: Callable[[Any], Any] | None = None,
) -> str:
    """The report as one HTML document. ``progress`` wraps the iteration over cases (e.g. tqdm)."""
    env = environment(seed=seed, alpha=alpha, command=command)
    ordered = failures_first(results)
    can_plot = plots and have_matplotlib()
    e = escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
           f"<style>{_CSS}</style></head><body>", f"<h1>{e(title)}</h1>", f"<p><b>{e(summary_line(results))}</b></p>"]
    if command:
        out.append(f"<p>Regenerate with <code>{e(command)}</code>.</p>")
    meta = []
    if seed is not None:
        meta.append(f"seed {seed}")
    if alpha is not None:
        meta.append(f"family-wise α = {alpha:g} per case (Holm)")
    meta.append(f"created {env['created']}")
    out.append(f"<p>{e('; '.join(meta))}.</p>")
    if notes:
        out.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    if not can_plot:
        out.append(f'<p class="note">Plots are not included: matplotlib is not installed. '
                   f"Install it with <code>{e(PLOTS_HINT)}</code> and regenerate the report.</p>")
    # summary table
    out.append("<h2>Cases</h2><table><thead><tr><th>#</th>" + "".join(f"<th>{e(h)}</th>" for h in HEADERS)
               + "</tr></thead><tbody>")
    for i, row in enumerate(case_rows(ordered)):
        st = row[0]
        cells = [f'<td class="{_cls(st)}">{e(st)}</td>'] + [f"<td>{e(c)}</td>" for c in row[1:]]
        out.append(f'<tr><td><a href="#case-{i}">{i + 1}</a></td>' + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    # one section per case
    out.append("<h2>Details</h2>")
    iterator = progress(ordered) if progress is not None else ordered
    for i, r in enumerate(iterator):
        st = status(r)
        out.append(f'<section class="case" id="case-{i}"><h3><span class="{_cls(st)}">{e(st)}</span> '
                   f"{e(target(r))} [{e(shape_text(r))}, {e(r.sample.dtype)}]</h3>")
        if st == KNOWN:
            out.append(f'<p class="note"><b>Known deviation of the library</b> (the check still fails): '
                       f"{e(str(r.known_deviation))}</p>")
        if can_plot:
            png = render_png(r)
            if png is not None:
                b64 = base64.b64encode(png).decode("ascii")
                out.append(f'<img alt="plots of {e(target(r))}" src="data:image/png;base64,{b64}">')
        out.append(f"<pre>{e(str(r))}</pre></section>")
    libs = ", ".join(f"{k} {v}" for k, v in env["libraries"].items())
    m = env["machine"]
    out.append(f"<h2>Environment</h2><ul><li>libraries: {e(libs)}</li>"
               f"<li>machine: {e(str(m['platform']))}, {e(str(m['cpu_count']))} CPUs, Python {e(m['python'])}</li></ul>")
    out.append("</body></html>")
    return "\n".join(out)
