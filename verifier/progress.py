"""Progress bars for long loops (suites, audits): tqdm on stderr when it is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")

__all__ = ["progress"]


def progress(iterable: Iterable[T], *, enabled: bool = True, desc: str = "", unit: str = "it",
             total: int | None = None) -> Iterable[T]:
    """``iterable`` wrapped in a tqdm bar on stderr when ``enabled``, stderr is a terminal and tqdm is
    installed; ``iterable`` itself otherwise (a bar never reaches a pipe, a file or a CI log)."""
    try:
        tty = enabled and sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, desc=desc, unit=unit, total=total, file=sys.stderr, leave=False, dynamic_ncols=True)
