"""The Markdown report: a summary line, one table row per case (failures first), failure texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from .cases import (
    FAIL, KNOWN, expected_std, failures_first, fmt_p, fmt_ratio, ks, shape_text, status, summary_line, target,
)
from .environment import environment

__all__ = ["render_markdown", "case_rows", "HEADERS"]

HEADERS = ("verdict", "target", "shape", "dtype", "expected", "expected std", "observed/expected std (99% CI)",
           "KS D", "KS p")


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def case_rows(results: Sequence[Any]) -> list[tuple[str, ...]]:
    """The table rows (strings), failures first; exact checks show their detail instead of KS."""
    rows = []
    for r in failures_first(results):
        k = ks(r)
        std = expected_std(r)
        verdict = status(r)
        if k is None and getattr(r, "distribution", None) is None:
            detail = "; ".join(c.detail for c in r.checks)
            ks_d, ks_p = "exact", detail
        else:
            ks_d, ks_p = (f"{k[0]:.4g}", fmt_p(k[1])) if k else ("—", "—")
        rows.append((verdict, target(r), shape_text(r), r.sample.dtype, r.expected,
                     f"{std:.4g}" if std is not None else "—", fmt_ratio(r), ks_d, ks_p))
    return rows


def render_markdown(
    results: Sequence[Any],
    *,
    title: str = "verifier report",
    command: str | None = None,
    seed: int | None = None,
    alpha: float | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The report as GitHub-flavoured Markdown."""
    env = environment(seed=seed, alpha=alpha, command=command)
    out = [f"# {_md(title)}", "", f"**{summary_line(results)}**", ""]
    if command:
        out += [f"Regenerate with `{command}`.", ""]
    meta = [f"seed {seed}" if seed is not None else None,
            f"family-wise α = {alpha:g} per case (Holm)" if alpha is not None else None,
            f"created {env['created']}"]
    out += ["; ".join(m for m in meta if m) + ".", ""]
    if notes:
        out += ["## Notes", ""] + [f"- {_md(n)}" for n in notes] + [""]
    rows = [tuple(_md(c) for c in row) for row in case_rows(results)]
    # Exact cases carry their detail in the KS column; in Markdown that one long cell would
    # widen every row, so the table points to a section listing them instead.
    exact = [r for r in failures_first(results) if ks(r) is None and getattr(r, "distribution", None) is None]
    if exact:
        rows = [row[:-1] + ("see *Exact checks*",) if row[-2] == "exact" else row for row in rows]
    out += ["## Cases", "", tabulate(rows, headers=HEADERS, tablefmt="github", disable_numparse=True), ""]
    if exact:
        out += ["## Exact checks", ""]
        for r in exact:
            detail = "; ".join(c.detail for c in r.checks)
            out.append(f"- {status(r)} **{_md(target(r))}** [{shape_text(r)}, {r.sample.dtype}]: {_md(detail)}")
        out.append("")
    known = [r for r in failures_first(results) if status(r) == KNOWN]
    if known:
        out += ["## Known deviations", "",
                "These cases fail, and the failure is the library's documented behaviour, not a weakened check:", ""]
        for r in known:
            out.append(f"- **{_md(target(r))}** [{shape_text(r)}, {r.sample.dtype}]: {_md(r.known_deviation)}")
        out.append("")
    failing = [r for r in failures_first(results) if status(r) in (FAIL, KNOWN)]
    if failing:
        out += ["## Failure details", ""]
        for r in failing:
            out += [f"### {_md(target(r))} [{shape_text(r)}, {r.sample.dtype}]", "", "```", str(r), "```", ""]
    libs = ", ".join(f"{k} {v}" for k, v in env["libraries"].items())
    m = env["machine"]
    out += ["## Environment", "", f"- libraries: {libs}",
            f"- machine: {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}", ""]
    return "\n".join(out)
