"""The Markdown report: readable as plain text and rendered by GitHub.

The overall status and counts first, then one short table row per case (failures first), then
for every failure and known deviation a list of its facts (rejected checks, std ratio,
diagnosis, explanation) and its full verdict text. Long prose goes into wrapped list items,
never into table cells, so no line is longer than :data:`MAX_LINE` characters (verdict texts in
code blocks are wrapped the same way).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from ..stats.checks import CONFIDENCE
from .cases import (
    FAIL,
    KNOWN,
    banner_counts,
    default_correction,
    detectable_text,
    failures_first,
    overall,
    ratio_text,
    rejected_checks,
    shape_text,
    status,
    target,
)
from .environment import environment
from .format import format_expected

__all__ = ["HEADERS", "MAX_LINE", "case_rows", "render_markdown"]

MAX_LINE = 200
"""No line of the report is longer (prose is wrapped at 100 characters)."""
_WRAP = 100
_CELL = 44  # longest table cell; longer targets/specs are shortened in the table (full text below)

HEADERS = ("#", "verdict", "case", "shape", "dtype", "expected", "rejected", f"obs/exp std ({CONFIDENCE:.0%} CI)",
           "detectable std error")


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _cell(text: Any) -> str:
    s = str(text)
    return _md(s if len(s) <= _CELL else s[: _CELL - 1] + "…")


def _item(text: str, indent: str = "") -> list[str]:
    """A list item wrapped at :data:`_WRAP` columns (continuation lines indented under it)."""
    return textwrap.wrap(text, _WRAP, initial_indent=indent + "- ", subsequent_indent=indent + "  ",
                         break_long_words=True, break_on_hyphens=False) or [indent + "-"]


def _code(text: str) -> list[str]:
    """A verdict text as a fenced block, its lines wrapped at :data:`MAX_LINE`."""
    lines = []
    for line in text.splitlines():
        while len(line) > MAX_LINE:
            lines.append(line[:MAX_LINE])
            line = "    " + line[MAX_LINE:]
        lines.append(line)
    return ["```", *lines, "```"]


def _table(rows: list[tuple[str, ...]]) -> str:
    """A GitHub table: aligned columns when that fits in :data:`MAX_LINE`, else unpadded rows
    (GitHub renders both; padding would push every row past the limit)."""
    text = tabulate(rows, headers=HEADERS, tablefmt="github", disable_numparse=True)
    if max(map(len, text.splitlines()), default=0) <= MAX_LINE:
        return text
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def case_rows(results: Sequence[Any]) -> list[tuple[str, ...]]:
    """The table rows (strings), failures first."""
    return [(str(i + 1), status(r), _cell(target(r)), shape_text(r), str(r.sample.dtype), _cell(format_expected(r)),
             _md(", ".join(rejected_checks(r)) or "—"), ratio_text(r), detectable_text(r).replace(" %", "%"))
            for i, r in enumerate(failures_first(results))]


def render_markdown(
    results: Sequence[Any],
    *,
    title: str = "verifier report",
    command: str | None = None,
    seed: int | None = None,
    alpha: float | None = None,
    notes: Sequence[str] = (),
    correction: str | None = None,
) -> str:
    """The report as GitHub-flavoured Markdown (every line ≤ :data:`MAX_LINE` characters)."""
    env = environment(seed=seed, alpha=alpha, command=command)
    ordered = failures_first(results)
    correction = correction or default_correction(alpha)
    out = [f"# {_md(title)}", "", f"**{overall(results)}**: {banner_counts(results)}", ""]
    meta = [m for m in (correction, f"seed {seed}" if seed is not None else None, f"created {env['created']}") if m]
    out += textwrap.wrap("; ".join(meta) + ".", _WRAP) + [""]
    if command:
        out += [f"Regenerate with `{command}`.", ""]
    if notes:
        out += ["## Notes", ""]
        for n in notes:
            out += _item(_md(n))
        out.append("")
    out += ["## Cases", "", _table(case_rows(results)),
            ""]
    if any(status(r) in (FAIL, KNOWN) for r in ordered):
        out += ["## Failures and known deviations", ""]
        for i, r in enumerate(ordered):
            if status(r) not in (FAIL, KNOWN):
                continue
            out += [f"### {i + 1}. {status(r)}: {_md(target(r))} [{shape_text(r)}, {r.sample.dtype}]", ""]
            out += _item(f"expected: {_md(format_expected(r))}")
            out += _item(f"rejected: {', '.join(rejected_checks(r)) or '—'}")
            if ratio_text(r) != "—":
                out += _item(f"observed/expected std ({CONFIDENCE:.0%} CI): {ratio_text(r)}")
            diag = getattr(r, "diagnosis", None)
            if diag is not None:
                out += _item(f"diagnosis: {_md(diag)}")
            if status(r) == KNOWN:
                out += _item(f"known deviation of the library (the check still fails): {_md(r.known_deviation)}")
            out += _item(f"detectable std error: {detectable_text(r)}")
            out += ["", *_code(str(r)), ""]
    exact = [r for r in ordered if getattr(r, "distribution", None) is None and status(r) not in (FAIL, KNOWN)]
    if exact:
        out += ["## Exact checks", ""]
        for r in exact:
            detail = "; ".join(c.detail for c in r.checks)
            out += _item(f"{status(r)} **{_md(target(r))}** [{shape_text(r)}, {r.sample.dtype}]: {_md(detail)}")
        out.append("")
    libs = ", ".join(f"{k} {v}" for k, v in env["libraries"].items())
    m = env["machine"]
    out += ["## Environment", ""]
    out += _item(f"libraries: {libs}")
    out += _item(f"machine: {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}")
    out.append("")
    return "\n".join(out)

