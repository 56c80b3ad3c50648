"""Rendering of propagation reports (:class:`verifier.propagation.PropagationReport`): text,
Markdown and a self-contained HTML page with the plots of :mod:`verifier.report.propagation_plots`.
Renders only; every number comes from the report."""

from __future__ import annotations

import html as _html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

__all__ = [
    "FILENAMES",
    "fmt_interval",
    "layer_rows",
    "propagation_headline",
    "render_html",
    "render_markdown",
    "render_text",
    "write_propagation_reports",
]

FILENAMES = {"json": "propagation.json", "md": "propagation.md", "html": "propagation.html"}
_HEAD = ("#", "layer", "type", "var [CI]", "predicted", "obs/pred [CI]", "grad var [CI]", "grad obs/pred",
         "sat/dead")


def _g(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "—"
    return f"{x:.{digits}g}"


def fmt_interval(iv: Any, digits: int = 3) -> str:
    """``est [low, high]`` of an :class:`~verifier.propagation.Interval` (``—`` when absent)."""
    if iv is None:
        return "—"
    if iv.low != iv.low:  # nan: no interval
        return _g(iv.estimate, digits)
    return f"{_g(iv.estimate, digits)} [{_g(iv.low, digits)}, {_g(iv.high, digits)}]"


def layer_rows(report: Any) -> list[tuple[str, ...]]:
    """One row per recorded layer (chain layers marked with ``*``)."""
    rows: list[tuple[str, ...]] = []
    chain = set(report.chain)
    for r in report.layers:
        ext = (f"{r.saturated:.1%} sat" if r.saturated is not None else f"{r.dead:.1%} dead" if r.dead is not None
               else "")
        rows.append((str(r.index) + ("*" if r.name in chain else ""), r.name, r.type, fmt_interval(r.var),
                     _g(r.predicted), fmt_interval(r.ratio), fmt_interval(r.grad_var), fmt_interval(r.grad_ratio), ext))
    return rows


def propagation_headline(report: Any) -> str:
    """``PROPAGATION PASS  model: forward kept, backward kept (variance kept within [...] ...)``."""
    head = "PASS" if report.passed else "FAIL"
    lo, hi = 1 / report.k, report.k
    return (f"PROPAGATION {head}  {report.model}: forward {report.forward.status}, backward {report.backward.status} "
            f"(variance kept within [{lo:.3g}, {hi:.3g}] over {len(report.chain)} layers, "
            f"{report.confidence:.0%} intervals over {len(report.seeds)} seeds)")


def _direction_line(d: Any) -> str:
    return (f"{d.direction:8s} {d.status.upper():9s} ×{fmt_interval(d.ratio)} from {d.first!r} to {d.last!r}; "
            f"per layer ×{fmt_interval(d.per_layer)}")


def render_text(report: Any) -> str:
    """A plain-text report: headline, the two directions, the diagnosis, the per-layer table."""
    lines = [report.headline(),
             (f"  seeds {', '.join(map(str, report.seeds))}; batch {report.batch}; input shape "
              f"{'×'.join(map(str, report.input_shape)) if report.input_shape else '—'}; resampled per seed: "
              f"{report.resampled}; {report.mode} mode on {report.device}"),
             "  " + _direction_line(report.forward), "  " + _direction_line(report.backward)]
    if report.diagnosis.short != "ok":
        lines.append(f"  diagnosis {report.diagnosis.short}: {report.diagnosis.text}")
        if report.diagnosis.hint:
            lines.append(f"  hint      {report.diagnosis.hint}")
    lines += [f"  note: {n}" for n in report.notes]
    lines.append("")
    lines.append(tabulate(layer_rows(report), headers=_HEAD, disable_numparse=True))
    lines.append(f"(* chain layers; intervals: {report.confidence:.0%} Student t on the log over seeds; predicted: "
                 "E[y²] chained from the input, — where the chain restarts or no law applies)")
    return "\n".join(lines)


def _esc(s: str) -> str:
    return s.replace("|", "\\|")


def render_markdown(report: Any, *, level: int = 2) -> str:
    """A Markdown section for one report."""
    h = "#" * level
    d = report.diagnosis
    lines = [f"{h} {_esc(report.headline())}", "",
             (f"Seeds {', '.join(map(str, report.seeds))}, batch {report.batch}, input shape "
              f"{'×'.join(map(str, report.input_shape)) if report.input_shape else '—'}, resampled per seed: "
              f"{report.resampled}, {report.mode} mode."), "",
             "| direction | status | ratio first→last [CI] | per layer [CI] | first → last |", "|---|---|---|---|---|"]
    for x in (report.forward, report.backward):
        lines.append(f"| {x.direction} | {x.status} | {fmt_interval(x.ratio)} | {fmt_interval(x.per_layer)} | "
                     f"`{x.first}` → `{x.last}` |")
    if d.short != "ok":
        lines += ["", f"**Diagnosis: {_esc(d.short)}.** {_esc(d.text)}."]
        if d.hint:
            lines.append(f"**Hint:** {_esc(d.hint)}.")
    lines += [""] + [f"- {_esc(n)}" for n in report.notes]
    lines += ["", "| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    lines += ["| " + " | ".join(_esc(c) for c in row) + " |" for row in layer_rows(report)]
    lines += ["", (f"`*` chain layers. Intervals: {report.confidence:.0%} Student t on the log of the per-seed "
                   "values. *predicted*: E[y²] chained from the input by the theory; — where the chain restarts.")]
    return "\n".join(lines) + "\n"


def render_html(reports: Sequence[Any], *, title: str, command: str | None = None,
                sections: Sequence[tuple[str, str]] = (), plots: bool = True) -> str:
    """A self-contained page: per report the verdict, the plots (variance vs depth with the theory,
    per-layer histograms, weight-gradient variance) and the table. ``sections``: extra
    ``(heading, text)`` paragraphs placed before each report in order (e.g. an experiment's claim)."""
    from .propagation_plots import report_pngs

    from .assets import CSS
    from .environment import environment

    e = _html.escape
    failed = sum(1 for rep in reports if not rep.passed)
    head = "FAIL" if failed else "PASS"
    env = environment(command=command)
    counts = f"{len(reports)} model{'s' if len(reports) != 1 else ''}: {len(reports) - failed} kept the variance, {failed} did not"
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(head)}: {e(title)}</title>",
             f"<style>{CSS}table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ccc;"
             "padding:2px 6px;text-align:left}</style></head><body><main>",
             f"<h1>{e(title)}</h1>",
             f'<section class="banner {head}" id="banner" role="status"><span class="status">{head}</span>'
             f'<span class="counts">{e(counts)}</span><span class="meta">'
             + " · ".join(([f"regenerate with <code>{e(command)}</code>"] if command else [])
                          + ([f"created {e(str(env['created']))}"] if env["created"] else []))
             + "</span></section>"]
    for i, rep in enumerate(reports):
        cls = "PASS" if rep.passed else "FAIL"
        parts.append(f'<details class="case {cls}" id="model-{i}"' + ("" if rep.passed else " open")
                     + f"><summary><b>{cls}</b> {e(rep.headline())}</summary><div class='body'>")
        if i < len(sections):
            heading, text = sections[i]
            parts.append(f"<h2>{e(heading)}</h2><p>{e(text)}</p>")
        parts.append("<ul>" + "".join(f"<li>{e(_direction_line(x))}</li>" for x in (rep.forward, rep.backward))
                     + "</ul>")
        if rep.diagnosis.short != "ok":
            parts.append(f"<p><b>Diagnosis: {e(rep.diagnosis.short)}.</b> {e(rep.diagnosis.text)}.</p>")
            if rep.diagnosis.hint:
                parts.append(f"<p><b>Hint:</b> {e(rep.diagnosis.hint)}.</p>")
        parts += [f"<p>{e(n)}</p>" for n in rep.notes]
        if plots:
            for alt, png in report_pngs(rep).items():
                parts.append(f"<p><img alt='{e(alt)}' src='data:image/png;base64,{png}'></p>")
        parts.append("<table><tr>" + "".join(f"<th>{e(c)}</th>" for c in _HEAD) + "</tr>")
        for row in layer_rows(rep):
            parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
        parts.append("</table></div></details>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


_NUMBERS = re.compile(r"\[\s*((?:-?[0-9][0-9.eE+-]*|null)(?:,\s*(?:-?[0-9][0-9.eE+-]*|null))*)\s*\]")


def dumps_compact(doc: Any) -> str:
    """JSON indented by 2, with lists of numbers (histogram counts, per-seed values) on one line."""
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)
    return _NUMBERS.sub(lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)


def write_propagation_reports(reports: Sequence[Any], out_dir: str | Path, *, title: str, command: str | None = None,
                              formats: Sequence[str] = ("json", "md", "html"), document: dict[str, Any] | None = None,
                              markdown: str | None = None, sections: Sequence[tuple[str, str]] = ()) -> list[Path]:
    """Write ``propagation.json`` (one report's document, or ``document``), ``propagation.md``
    (``markdown`` or the reports' sections) and ``propagation.html`` into ``out_dir``."""
    unknown = [f for f in formats if f not in FILENAMES]
    if unknown:
        from ..errors import SpecError

        raise SpecError(f"unknown report format(s) {unknown}; choose from {sorted(FILENAMES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        if fmt == "json":
            doc = document if document is not None else reports[0].to_dict()
            text = dumps_compact(doc) + "\n"
        elif fmt == "md":
            text = markdown if markdown is not None else (f"# {title}\n\n" + (f"`{command}`\n\n" if command else "")
                                                          + "\n".join(render_markdown(r) for r in reports))
        else:
            text = render_html(reports, title=title, command=command, sections=sections)
        p = out / FILENAMES[fmt]
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths
