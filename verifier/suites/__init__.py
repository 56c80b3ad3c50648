"""Conformance suites: ``verifier suite NAME`` runs ``verifier.suites.NAME.run()``.

Each suite module exposes::

    def run(*, seed: int = 0, alpha: float | None = None, progress: bool = False) -> list[Verdict]

and may expose ``TITLE`` (a heading for its report), ``NOTES`` (lines shown at the top of the
report: what was not run and why) and ``KNOWN_DEVIATIONS``. A failing case where the library is
documented to deviate carries the explanation in ``result.known_deviation``; it still fails.

Checks that are not statistical (``eye_`` is the identity, ``orthogonal_`` has WᵀW = gain²·I)
return a :class:`~verifier.Verdict` too: exact expectations are specs like the others.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


__all__ = ["available_suites", "load_suite"]


def available_suites() -> list[str]:
    """Names of the suite modules in this package."""
    from . import __path__ as path

    return sorted(m.name for m in pkgutil.iter_modules(path) if not m.name.startswith("_"))


def load_suite(name: str) -> ModuleType:
    """Import ``verifier.suites.<name>``.

    Raises
    ------
    ModuleNotFoundError
        If the suite does not exist, or a library it needs is not installed (``exc.name`` says which).
    """
    return importlib.import_module(f"{__name__}.{name}")
