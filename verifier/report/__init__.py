"""Reports: render verdicts (and exact results) as text, JSON, Markdown, HTML and JUnit XML.

Reports compute nothing new; they read ``passed``, ``checks``, ``expected``, ``sample``,
``distribution``, ``summary`` and ``known_deviation`` of each result.

>>> from verifier.report import write_reports
>>> paths = write_reports(verdicts, "reports/", title="my checks")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .cases import case_name, status, summary_line
from .html import render_html
from .json_report import SCHEMA, to_json
from .junit import render_junit
from .markdown import render_markdown
from .text import render_text
from .writing import write_text_files

__all__ = [
    "SCHEMA",
    "FILENAMES",
    "write_reports",
    "render_text",
    "render_markdown",
    "render_html",
    "render_junit",
    "to_json",
    "summary_line",
    "case_name",
    "status",
]

FILENAMES = {"json": "report.json", "md": "report.md", "html": "report.html", "junit": "junit.xml"}


def write_reports(
    results: Sequence[Any],
    out_dir: str | Path,
    *,
    title: str,
    command: str | None = None,
    seed: int | None = None,
    alpha: float | None = None,
    formats: Sequence[str] = ("json", "md", "html", "junit"),
    notes: Sequence[str] = (),
    progress: Callable[[Any], Any] | None = None,
    ids: Sequence[str] | None = None,
    plots: bool | str = "failures",
    correction: str | None = None,
    groups: Sequence[str] | None = None,
    not_checked: Sequence[tuple[str, ...]] = (),
    unit: str = "case",
) -> list[Path]:
    """Write the reports of ``results`` (Verdicts) into ``out_dir``.

    Formats: ``json`` (report.json), ``md`` (report.md), ``html`` (report.html, plots embedded when
    matplotlib is installed: ``plots='failures'`` draws failures and known deviations, ``'all'`` every
    case, ``'none'`` none; ``correction``, ``groups``, ``not_checked`` and ``unit`` as in :func:`render_html`),
    ``junit`` (junit.xml). Returns the paths written (none on a torch.distributed rank other than 0).
    The files are rendered first, then moved into ``out_dir`` together and atomically
    (:mod:`verifier.report.writing`); a failure raises :class:`~verifier.errors.ReportWriteError`.
    """
    unknown = [f for f in formats if f not in FILENAMES]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; choose from {sorted(FILENAMES)}")
    from verifier.distributed import is_writer

    if not is_writer():  # under torch.distributed every rank has the same verdicts: rank 0 writes
        return []
    common: dict[str, Any] = dict(title=title, command=command, seed=seed, alpha=alpha, notes=notes)
    files: dict[str, str] = {}
    for fmt in formats:
        if fmt == "json":
            text = json.dumps(to_json(results, **common, ids=ids), indent=2, ensure_ascii=False) + "\n"
        elif fmt == "md":
            text = render_markdown(results, **common)
        elif fmt == "html":
            text = render_html(results, **common, progress=progress, plots=plots, correction=correction,
                               groups=groups, not_checked=not_checked, unit=unit)
        else:
            text = render_junit(results, suite=title, ids=ids)
        files[FILENAMES[fmt]] = text
    return write_text_files(out_dir, files)
