"""What every report reads from a result (a Verdict): names, status, rows.

Reports only render; nothing here computes a statistic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .format import fmt_p as format_p
from .format import fmt_shape

__all__ = [
    "case_name",
    "counts",
    "expected_std",
    "failures_first",
    "finite_or_none",
    "is_unexpected_failure",
    "ks",
    "shape_text",
    "status",
    "std_ratio",
    "summary_line",
    "target",
]

PASS, FAIL, KNOWN = "PASS", "FAIL", "KNOWN DEVIATION"


def target(r: Any) -> str:
    """What was checked: the source (import string, file, function)."""
    return str(getattr(r, "name", None) or r.sample.source)


def shape_text(r: Any) -> str:
    shape = tuple(r.sample.shape)
    return fmt_shape(shape)


def case_name(r: Any) -> str:
    """A unique, readable name: target [shape, dtype]."""
    return f"{target(r)} [{shape_text(r)}, {r.sample.dtype}]"


def status(r: Any) -> str:
    """'PASS', 'FAIL', or 'KNOWN DEVIATION' (a failure the library is documented to show)."""
    if r.passed:
        return PASS
    return KNOWN if getattr(r, "known_deviation", None) else FAIL


def is_unexpected_failure(r: Any) -> bool:
    return status(r) == FAIL


_ORDER = {FAIL: 0, KNOWN: 1, PASS: 2}


def failures_first(results: Sequence[Any]) -> list[Any]:
    """Failures, then known deviations, then passes; stable within each group."""
    return sorted(results, key=lambda r: _ORDER[status(r)])


def expected_std(r: Any) -> float | None:
    dist = getattr(r, "distribution", None)
    return float(dist.std) if dist is not None else None


def std_ratio(r: Any) -> tuple[float, float, float] | None:
    """(estimate, low, high) of observed/expected std, or None."""
    check = r.check("variance") if hasattr(r, "check") else None
    if check is None or check.effect is None:
        return None
    e = check.effect
    return (e.estimate, e.low, e.high)


def ks(r: Any) -> tuple[float, float] | None:
    """(D, p) of the KS check, or None."""
    check = r.check("ks") if hasattr(r, "check") else None
    return None if check is None else (check.statistic, check.pvalue)


def counts(results: Sequence[Any]) -> tuple[int, int, int, int]:
    """(cases, passed, failed, known deviations among the failed)."""
    n = len(results)
    passed = sum(1 for r in results if r.passed)
    known = sum(1 for r in results if status(r) == KNOWN)
    return n, passed, n - passed, known


def summary_line(results: Sequence[Any]) -> str:
    """'N cases: P passed, F failed' (plus how many failures are documented known deviations)."""
    n, passed, failed, known = counts(results)
    line = f"{n} case{'s' if n != 1 else ''}: {passed} passed, {failed} failed"
    if known:
        line += f" ({known} known deviation{'s' if known != 1 else ''} of the library, {failed - known} unexpected)"
    return line


def finite_or_none(x: Any) -> Any:
    """JSON has no inf/NaN: map them to None."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


fmt_p = format_p  # one p-value format for every report (verifier.report.format)


def fmt_ratio(r: Any) -> str:
    ratio = std_ratio(r)
    if ratio is None:
        return "—"
    est, lo, hi = ratio
    return f"{est:.4f} ({lo:.4f}–{hi:.4f})"


def failed_checks_text(r: Any) -> str:
    failed = [c for c in r.checks if c.passed is False]
    return "; ".join(f"{c.name}: {c.detail}" for c in failed) or "all checks passed"


PASS_KNOWN = "PASS WITH KNOWN DEVIATIONS"


def overall(results: Sequence[Any]) -> str:
    """The report's status: 'FAIL' if any case fails unexpectedly, 'PASS WITH KNOWN DEVIATIONS'
    if the only failures are documented deviations of the library, else 'PASS'."""
    if any(status(r) == FAIL for r in results):
        return FAIL
    return PASS_KNOWN if any(status(r) == KNOWN for r in results) else PASS


def rejected_checks(r: Any) -> list[str]:
    """Names of the checks that fail the case (tolerated rejections excluded)."""
    failed = getattr(r, "failed", None)
    checks = failed if failed is not None else [c for c in r.checks if c.passed is False]
    return [c.name for c in checks]


_HEADLINE = 90


def diagnosis_headline(r: Any) -> str:
    """One short phrase on why a case failed: a known deviation's first clause, else the
    diagnosis (the likely bug or the shape hint), else empty."""
    known = getattr(r, "known_deviation", None)
    if known and not r.passed:
        first = str(known).split(". ")[0].split(": ")[0].rstrip(".")
        return "known deviation: " + (first if len(first) <= _HEADLINE else first[: _HEADLINE - 1] + "…")
    diag = getattr(r, "diagnosis", None)
    return diag.short if diag is not None and not r.passed else ""


def detectable_text(r: Any) -> str:
    """The std error the case detects with the stated power, e.g. '−0.52 % / +0.53 %'."""
    det = getattr(r, "detectable", None)
    if det is None:
        return "—"
    down, up = det
    if down == 0 and up == 0:
        return "any (exact check)"
    if not math.isfinite(up):
        return "none (too few values)"
    return f"−{down:.2%} / +{up:.2%}".replace("%", " %")


def banner_counts(results: Sequence[Any], *, unit: str = "case", not_checked: int = 0) -> str:
    """'213 cases: 206 passed, 0 failed, 7 known deviations of the library[, N not checked]'."""
    n, passed, failed, known = counts(results)
    text = f"{n} {unit}{'s' if n != 1 else ''}: {passed} passed, {failed - known} failed"
    if known:
        text += f", {known} known deviation{'s' if known != 1 else ''} of the library"
    if not_checked:
        text += f", {not_checked} not checked"
    return text


def default_correction(alpha: float | None) -> str | None:
    """How a suite's verdicts are decided: Holm across each case's checks at family-wise α."""
    return None if alpha is None else f"family-wise α = {alpha:g} per case (Holm across each case's checks)"


def ratio_text(r: Any) -> str:
    """'1.0003 [0.9971, 1.0035]' (observed/expected std and its interval), or '—'."""
    ratio = std_ratio(r)
    return "—" if ratio is None else f"{ratio[0]:.4f} [{ratio[1]:.4f}, {ratio[2]:.4f}]"
