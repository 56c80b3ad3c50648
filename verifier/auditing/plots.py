"""How an audit is drawn by the shared HTML report (:func:`verifier.report.render_html`): one row
per checked tensor with its diagnosis, the forest plot of every tensor's std ratio grouped by
module, the correction across tensors in the banner, and the tensors that were not checked."""

from __future__ import annotations

from typing import Any

from verifier.report.format import fmt_shape

__all__ = ["module_of", "render_audit_html", "report_options"]


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
    """The audit as one self-contained HTML page (the shared report's structure)."""
    from verifier.report.html import render_html

    return render_html(report.verdicts(), command=command, plots=plots, **report_options(report))
