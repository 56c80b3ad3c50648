"""Whether the terminal output is coloured: ``--color=auto|always|never``, ``NO_COLOR``, ``FORCE_COLOR``.

Precedence (the conventions of no-color.org and force-color.org):

1. ``--color=always`` or ``--color=never`` on the command line;
2. ``NO_COLOR`` set to a non-empty value: no colour;
3. ``FORCE_COLOR`` set to a non-empty value other than ``0``/``false``: colour;
4. otherwise (``auto``) colour only when the stream is a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["COLOR_CHOICES", "set_color", "use_color"]

COLOR_CHOICES = ("auto", "always", "never")

_choice = "auto"


def set_color(choice: str) -> None:
    """Set the ``--color`` choice for this process (the CLI does, once)."""
    global _choice
    if choice not in COLOR_CHOICES:
        raise ValueError(f"--color must be one of {', '.join(COLOR_CHOICES)}, got {choice!r}")
    _choice = choice


def use_color(stream: Any = None) -> bool:
    """Whether to write ANSI colours to ``stream`` (default stdout)."""
    if _choice != "auto":
        return _choice == "always"
    if os.environ.get("NO_COLOR", ""):
        return False
    force = os.environ.get("FORCE_COLOR", "")
    if force and force.lower() not in ("0", "false", "no"):
        return True
    stream = sys.stdout if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
