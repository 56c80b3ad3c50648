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
) -> list[Path]:
    """Write the reports of ``results`` (Verdicts and/or ExactResults) into ``out_dir``.

    Formats: ``json`` (report.json), ``md`` (report.md), ``html`` (report.html, plots embedded when
    matplotlib is installed), ``junit`` (junit.xml). Returns the paths written (none on a
    torch.distributed rank other than 0).
    """
    unknown = [f for f in formats if f not in FILENAMES]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; choose from {sorted(FILENAMES)}")
    from verifier.distributed import is_writer

    if not is_writer():  # under torch.distributed every rank has the same verdicts: rank 0 writes
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    common = dict(title=title, command=command, seed=seed, alpha=alpha, notes=notes)
    paths: list[Path] = []
    for fmt in formats:
        path = out / FILENAMES[fmt]
        if fmt == "json":
            text = json.dumps(to_json(results, **common), indent=2, ensure_ascii=False) + "\n"
        elif fmt == "md":
            text = render_markdown(results, **common)
        elif fmt == "html":
            text = render_html(results, **common, progress=progress)
        else:
            text = render_junit(results, suite=title)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
