"""Helpers shared by subcommands: output, progress bars, colour, resource options.

Commands print their report with :func:`emit` (to ``args.stdout``, the real standard output
that :func:`verifier.cli.main` keeps aside): while a command runs, ``sys.stdout`` points at
stderr so that whatever user code prints cannot corrupt ``--format json``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["is_tty", "progress_bar", "add_report_options", "emit", "stdout_of", "add_resource_options",
           "parse_bytes", "DEFAULT_MAX_BYTES"]

from ..loaders import DEFAULT_MAX_BYTES  # noqa: E402  (one budget for files and --shape draws)


def stdout_of(args: Any) -> Any:
    """The stream a command's report goes to (``args.stdout`` set by the CLI, else sys.stdout)."""
    return getattr(args, "stdout", None) or sys.stdout


def emit(args: Any, *parts: Any, **kwargs: Any) -> None:
    """``print`` to the command's real standard output."""
    print(*parts, file=stdout_of(args), **kwargs)


_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6, "mib": 2**20,
          "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12, "tib": 2**40}


def parse_bytes(text: str) -> int:
    """``'512MiB'``, ``'4G'``, ``'1e9'`` → a positive number of bytes (argparse type)."""
    import argparse
    import re

    match = re.fullmatch(r"\s*([0-9.eE+]+)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; write e.g. 512MiB, 4GiB or 1000000000")
    try:
        value = float(match.group(1)) * _UNITS[unit]
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a size; write e.g. 512MiB or 4GiB") from None
    if not 1 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text!r} must be between 1 byte and 8 EiB")
    return int(value)


def add_resource_options(p: Any) -> None:
    p.add_argument("--max-bytes", type=parse_bytes, default=DEFAULT_MAX_BYTES, metavar="SIZE",
                   help="memory budget of one input: refuse a file tensor or a --shape draw bigger than SIZE "
                        "before allocating it (default 4GiB; e.g. 512MiB, 16GiB)")
    p.add_argument("--timeout", type=_positive_seconds, default=None, metavar="SECONDS",
                   help="give up (exit 2) if the run takes longer, e.g. an initializer that hangs")


def _positive_seconds(text: str) -> float:
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"--timeout {text!r} must be a positive number of seconds")
    return value


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
