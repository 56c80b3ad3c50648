"""How an audit (:class:`~verifier.auditing.report.AuditReport`) reads as text, Markdown and HTML,
and how it is written to a folder: the headline, one table row per checked tensor (fans, expected
spec, observed/expected std with its interval, KS p, adjusted p, verdict), the failures with their
diagnosis, the tensors not checked, the notes. Nothing is computed here that the rows do not hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from tabulate import tabulate

from verifier.errors import SpecError

from .format import fmt_p, fmt_shape, format_spec

__all__ = ["HEAD", "FORMATS", "audit_headline", "render_audit", "render_audit_text", "render_audit_markdown",
           "render_audit_html", "report_options", "module_of", "write_audit_reports", "fans_text", "std_text",
           "expected_text", "table_rows"]

HEAD = ("tensor", "type", "shape", "fans in/out", "expected", "obs/exp std [99% CI]", "KS p", "p (adj)", "verdict")
"""The columns of the audit table."""


def fans_text(row: Any) -> str:
    """``256/512``, with the true connectivity where it differs: ``9/9 (true 1/9)``."""
    if row.fans is None:
        return "—"
    text = f"{row.fans.fan_in}/{row.fans.fan_out}"
    if row.true_fans is not None and tuple(row.true_fans) != (row.fans.fan_in, row.fans.fan_out):
        text += f" (true {row.true_fans[0]}/{row.true_fans[1]})"
    return text


def std_text(row: Any) -> str:
    """``observed / expected = ratio [low, high]``, an exact check's detail, or ``—``."""
    if row.verdict is None:
        return "—"
    r = row.std_ratio
    if r is None:
        c = row.verdict.checks[0]
        return c.detail if c.name == "exact" else "—"
    exp = row.expected_std
    if exp is None:
        return "—"
    return f"{r[0] * exp:.4g} / {exp:.4g} = {r[0]:.4f} [{r[1]:.4f}, {r[2]:.4f}]"


def expected_text(row: Any) -> str:
    """The rule's spec by its display name (``he_uniform(a=√5)``), and the concrete distribution
    where it says more."""
    spec = getattr(row.verdict, "spec", None)
    shown = format_spec(spec) if spec is not None and row.expected == str(spec) else format_spec(row.expected)
    return f"{shown} = {row.distribution}" if row.distribution and row.distribution not in row.expected else shown


def table_rows(report: Any) -> list[tuple[str, ...]]:
    """One row of :data:`HEAD` per checked tensor."""
    return [
        (r.name, r.module_type, fmt_shape(r.shape), fans_text(r), expected_text(r),
         std_text(r), fmt_p(r.ks_pvalue), fmt_p(r.adjusted), r.status.upper())
        for r in report.checked
    ]


def audit_headline(report: Any) -> str:
    """``AUDIT PASS  model: 12 tensors checked, 0 failed, 3 not checked (Holm across ...)``."""
    head = "PASS" if report.passed else "FAIL"
    return (f"AUDIT {head}  {report.model}: {len(report.checked)} tensors checked, {len(report.failed)} failed, "
            f"{len(report.not_checked)} not checked ({report.correction_text})")


def _mode_line(report: Any) -> str:
    return f"mode: {report.mode}, preset: {report.preset}" + (f", seed {report.seed}" if report.seed is not None else "")


def render_audit_text(report: Any) -> str:
    """A plain-text report: headline, the table, tensors not checked, notes on traps."""
    lines = [audit_headline(report), f"  {_mode_line(report)}"]
    lines += [f"  note: {n}" for n in report.notes]
    lines += [f"  warning: {w}" for w in report.rule_usage.lines()]
    if report.checked:
        lines.append("")
        lines.append(tabulate(table_rows(report), headers=HEAD, disable_numparse=True))
    if report.failed:
        lines.append("")
        lines.append("failed:")
        for r in report.failed:
            assert r.verdict is not None
            bad = [c for c in r.verdict.checks if c.passed is False] or sorted(r.verdict.checks, key=lambda c: c.pvalue)[:1]
            lines.append(f"  {r.name}: " + "; ".join(f"{c.name}: {c.detail} (p {fmt_p(c.pvalue)})" for c in bad))
            if r.diagnosis:
                lines.append(f"    diagnosis: {r.diagnosis}")
    if report.not_checked:
        lines.append("")
        lines.append("not checked:")
        rows = [(r.name, r.module_type, fmt_shape(r.shape), r.reason) for r in report.not_checked]
        lines += ["  " + s for s in tabulate(rows, headers=("tensor", "type", "shape", "reason"),
                                             disable_numparse=True).splitlines()]
    noted = [r for r in report.checked if r.note]
    if noted:
        lines.append("")
        lines.append("notes:")
        lines += [f"  {r.name}: {r.note}" for r in noted]
    return "\n".join(lines)


def _esc(s: str) -> str:
    return s.replace("|", "\\|")


def render_audit_markdown(report: Any) -> str:
    """A Markdown report: headline, the table, tensors not checked, notes."""
    lines = [f"## {_esc(audit_headline(report))}", "", "M" + _mode_line(report)[1:]]
    lines += [f"- {_esc(n)}" for n in report.notes]
    lines += [f"- **warning**: {_esc(w)}" for w in report.rule_usage.lines()]
    if report.checked:
        lines += ["", "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
        lines += ["| " + " | ".join(_esc(c) for c in row) + " |" for row in table_rows(report)]
    if report.failed:
        lines += ["", "### Failed", ""]
        lines += [f"- `{r.name}`: {_esc(r.diagnosis or 'see the table')}" for r in report.failed]
    if report.not_checked:
        lines += ["", "### Not checked", "", "| tensor | type | shape | reason |", "|---|---|---|---|"]
        lines += [f"| {_esc(r.name)} | {_esc(r.module_type)} | {fmt_shape(r.shape)} | {_esc(r.reason)} |"
                  for r in report.not_checked]
    noted = [r for r in report.checked if r.note]
    if noted:
        lines += ["", "### Notes", ""] + [f"- `{r.name}`: {_esc(r.note)}" for r in noted]
    return "\n".join(lines) + "\n"


def module_of(name: str) -> str:
    """The module a parameter belongs to: ``'layer1.0.conv1'`` for ``'layer1.0.conv1.weight'``
    (``'(model)'`` for a top-level parameter)."""
    return name.rsplit(".", 1)[0] if "." in name else "(model)"


def report_options(report: Any) -> dict[str, Any]:
    """Keyword arguments of :func:`verifier.report.write_reports` / ``render_html`` for ``report``
    (an :class:`~verifier.auditing.report.AuditReport`), aligned with ``report.verdicts()``."""
    return {
        "title": f"verifier audit: {report.model}",
        "seed": report.seed,
        "alpha": report.alpha,
        "notes": [f"mode: {report.mode}, preset: {getattr(report, 'preset', 'none')}", *report.notes,
                  *(f"warning: {w}" for w in report.rule_usage.lines())],
        "correction": report.correction_text,
        "unit": "tensor",
        "groups": [module_of(r.name) for r in report.checked],
        "not_checked": [(r.name, r.module_type, fmt_shape(r.shape), r.reason)
                        for r in report.not_checked],
    }


def render_audit_html(report: Any, *, command: str | None = None, plots: bool | str = "failures") -> str:
    """The audit as one self-contained HTML page (the shared report's structure): one row per
    checked tensor with its diagnosis, the forest plot of every tensor's std ratio grouped by
    module, the correction across tensors in the banner, and the tensors that were not checked."""
    from .html import render_html

    return render_html(report.verdicts(), command=command, plots=plots, **report_options(report))


FORMATS = {"text": "txt", "json": "json", "markdown": "md", "md": "md", "html": "html"}
"""Audit report formats → file suffix."""


def render_audit(report: Any, fmt: str = "text", *, command: str | None = None,
                 plots: bool | str = "failures") -> str:
    """``'text'``, ``'json'``, ``'markdown'`` (``'md'``) or ``'html'``."""
    key = fmt.lower()
    if key == "text":
        return render_audit_text(report)
    if key == "json":
        return report.to_json()
    if key in ("markdown", "md"):
        return render_audit_markdown(report)
    if key == "html":
        return render_audit_html(report, command=command, plots=plots)
    raise SpecError(f"unknown report format {fmt!r}; valid formats: text, json, markdown, html")


def write_audit_reports(report: Any, out_dir: str | Path, formats: Sequence[str] = ("text", "json", "markdown", "html"),
                        *, command: str | None = None, plots: bool | str = "failures") -> list[Path]:
    """Write ``audit.txt/.json/.md/.html`` into ``out_dir``, and the per-tensor verdicts through
    :func:`verifier.report.write_reports` (report.json/md/html, junit.xml). Under
    torch.distributed only rank 0 writes (every rank has the same verdicts)."""
    from verifier.distributed import is_writer

    if not is_writer():
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        if fmt.lower() not in FORMATS:
            raise SpecError(f"unknown report format {fmt!r}; valid formats: text, json, markdown, html")
        p = out / f"audit.{FORMATS[fmt.lower()]}"
        text = render_audit(report, fmt, command=command, plots=plots)
        p.write_text(text + ("\n" if fmt.lower() == "text" else ""), encoding="utf-8")
        paths.append(p)
    verdicts = report.verdicts()
    if verdicts:
        from . import write_reports

        paths += list(write_reports(verdicts, out, command=command, plots=plots, **report_options(report)))
    return paths


def rule_warnings(usage: Any) -> list[str]:
    """The warnings of a :class:`~verifier.auditing.report.RuleUsage`: rules that matched nothing,
    rules shadowed by an earlier one."""
    out = [f"rule {r} matches no tensor (a typo, or a tensor that is tied or a buffer?)" for r in usage.unmatched]
    out += [f"rule {r} is shadowed: each of the {n} tensor(s) it matches is decided first by {w}"
            for r, w, n in usage.shadowed]
    return out
