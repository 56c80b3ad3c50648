"""Conformance suites: ``verifier suite NAME`` runs ``verifier.suites.NAME.run()``.

Each suite module exposes::

    def run(*, seed: int = 0, alpha: float | None = None, progress: bool = False) -> list[Verdict | ExactResult]

and may expose ``TITLE`` (a heading for its report), ``NOTES`` (lines shown at the top of the
report: what was not run and why) and ``KNOWN_DEVIATIONS``. A failing case where the library is
documented to deviate carries the explanation in ``result.known_deviation``; it still fails.

Checks that are not statistical (``eye_`` is the identity, ``orthogonal_`` has WᵀW = gain²·I)
return an :class:`ExactResult`, which the report layer renders next to verdicts.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType

from tabulate import tabulate

from ..stats.checks import CheckResult
from ..verdict import SampleInfo

__all__ = ["ExactResult", "exact_check", "available_suites", "load_suite"]


def exact_check(name: str, violated: bool, statistic: float, detail: str, bound: float | None = None) -> CheckResult:
    """A decided, non-statistical check: p = 0 when violated, 1 otherwise (like 'finite')."""
    return CheckResult(name, float(statistic), 0.0 if violated else 1.0, detail, None, not violated, bound)


@dataclass(frozen=True)
class ExactResult:
    """The result of exact or property checks (no distribution, no p-values to combine).

    Has the attributes reports read from a :class:`~verifier.Verdict`: ``passed``, ``checks``,
    ``expected``, ``sample`` (and ``known_deviation``); ``distribution`` and ``summary`` are None.
    """

    name: str
    passed: bool
    checks: tuple[CheckResult, ...]
    expected: str
    sample: SampleInfo
    alpha: float | None = None
    known_deviation: str | None = field(default=None, compare=False)
    distribution: None = None
    summary: None = None

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.passed is False)

    def check(self, name: str) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    def __str__(self) -> str:
        head = "PASS" if self.passed else "FAIL"
        lines = [f"{head}  {self.name}", f"  sampled   {self.sample}", f"  expected  {self.expected} (exact check)"]
        rows = [(c.name, "ok" if c.passed else "REJECT", f"{c.statistic:.4g}", c.detail) for c in self.checks]
        table = tabulate(rows, headers=("check", "result", "statistic", "detail"), disable_numparse=True)
        lines += ["    " + line for line in table.splitlines()]
        if self.known_deviation:
            lines.append(f"  known deviation: {self.known_deviation}")
        return "\n".join(lines)


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
