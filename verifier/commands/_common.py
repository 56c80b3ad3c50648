"""Helpers shared by subcommands: output, progress bars, colour."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["is_tty", "progress_bar", "add_report_options"]


def is_tty(stream: Any = None) -> bool:
    stream = sys.stdout if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress_bar(enabled: bool, **kwargs: Any):  # noqa: ANN201
    """A tqdm wrapper factory when ``enabled``, tqdm is installed and stderr is a TTY; else None."""
    if not enabled or not is_tty(sys.stderr):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None

    def wrap(iterable: Iterable[T], **more: Any) -> Iterable[T]:
        return tqdm(iterable, file=sys.stderr, leave=False, dynamic_ncols=True, **{**kwargs, **more})

    return wrap


def add_report_options(p: Any, *, default_out: str | None = None) -> None:
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="what to print on stdout (default text)")
    p.add_argument("--out", metavar="DIR", default=default_out,
                   help="write report.json, report.md, report.html and junit.xml into DIR"
                   + (f" (default {default_out})" if default_out else ""))
