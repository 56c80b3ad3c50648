"""How every output writes numbers, p-values, shapes, ratios and spec names: one place.

Spec names print short and exact: a float that is ``√k`` or ``1/√k`` for a small integer ``k`` (to
12 significant digits) prints as such, and a symmetric uniform prints as ``uniform(±b)``:
``he_uniform(a=√5)``, ``xavier_uniform(gain=√2)``, ``uniform(±1/√512)``. The canonical string
(``str(spec)``, which parses back) is what machine-readable outputs carry.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["STATUSES", "status_of", "fmt_number", "fmt_p", "fmt_shape", "fmt_ratio", "fmt_float", "format_spec", "format_expected", "headline"]

STATUSES = ("pass", "within tolerance", "inconclusive", "fail", "known deviation", "not checked")
"""The one vocabulary of statuses in every machine-readable output: a verdict that conforms
(``pass``), conforms within a stated tolerance (the TOST shows the deviation inside it), cannot be
shown inside or outside the tolerance (``inconclusive``: not a pass), does not conform (``fail``),
fails as the library is documented to (``known deviation``), or a tensor nothing could be checked
on (``not checked``)."""


def status_of(result: Any) -> str:
    """The status word of a verdict (or anything with ``passed`` and ``known_deviation``)."""
    if result.passed:
        return "within tolerance" if getattr(result, "status", "pass") == "within tolerance" else "pass"
    if getattr(result, "known_deviation", None):
        return "known deviation"
    return "inconclusive" if getattr(result, "status", "fail") == "inconclusive" else "fail"


P_FLOOR = 1e-300
"""p-values below this print as ``<1e-300`` (float64 cannot tell them apart)."""


def fmt_number(x: float | None, digits: int = 4) -> str:
    """``x`` to ``digits`` significant digits; ``—`` for None."""
    return "—" if x is None else f"{x:.{digits}g}"


def fmt_p(p: float | None) -> str:
    """A p-value to 3 significant digits; ``<1e-300`` below float64's useful range; ``—`` for None."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    return f"{p:.3g}" if p >= P_FLOOR else "<1e-300"


def fmt_shape(shape: Any) -> str:
    """``256×512``; ``scalar`` for ``()``."""
    shape = tuple(shape)
    return "×".join(map(str, shape)) if shape else "scalar"


def fmt_ratio(estimate: float | None, low: float | None = None, high: float | None = None) -> str:
    """An observed/expected ratio with its interval: ``×1.0003 (0.9971–1.0035)``."""
    if estimate is None or not math.isfinite(estimate):
        return "—"
    text = f"×{estimate:.4f}"
    if low is not None and high is not None:
        text += f" ({low:.4f}–{high:.4f})"
    return text


def _small_sqrt(x: float) -> str | None:
    """``√k``, ``1/√k``, ``k`` or ``1/k`` when ``x`` is one of them for an integer ``k`` ≤ 10⁶."""
    if x <= 0 or not math.isfinite(x):
        return None
    for value, prefix in ((x, ""), (1.0 / x, "1/")):
        sq = value * value
        k = round(sq)
        if 2 <= k <= 1_000_000 and math.isclose(sq, k, rel_tol=1e-12) and round(math.sqrt(k)) ** 2 != k:
            return f"{prefix}√{k}"
        k = round(value)
        if prefix and 2 <= k <= 1_000_000 and math.isclose(value, k, rel_tol=1e-12):
            return f"1/{k}"
    return None


def fmt_float(x: float) -> str:
    """A parameter value: exact forms (``√5``, ``1/√512``) when they fit, else ``repr``-short."""
    if isinstance(x, bool) or not isinstance(x, float):
        return repr(x)
    if x == int(x) and abs(x) < 1e15:
        return repr(x)
    if float(f"{x:.6g}") == x:  # short and exact already: 0.25, 0.02
        return f"{x:.6g}"
    sign = "-" if x < 0 else ""
    exact = _small_sqrt(abs(x))
    return sign + exact if exact else f"{x:.6g}"


_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e[-+]?\d+)?|(?<![\w.])-?\d+e[-+]?\d+")


def format_spec(spec: Any) -> str:
    """A spec as people write it: ``he_uniform(a=√5)``, ``uniform(±1/√512)``, ``constant(0.25)``."""
    if spec is None:
        return "—"
    text = str(spec)
    low, high = getattr(spec, "low", None), getattr(spec, "high", None)
    if type(spec).__name__ == "UniformSpec" and low is not None and high is not None and low == -high:
        return f"uniform(±{fmt_float(float(high))})"
    return _NUMBER.sub(lambda m: fmt_float(float(m.group(0))), text)


def format_expected(result: Any) -> str:
    """What a result (a Verdict) expected, as tables and text print it: the spec's display name
    (:func:`format_spec`) when its label is the spec's own string, else the label with its numbers
    in exact form (``tied to 0.weight``, ``U(±1/√fan_in), fan_in 64`` print unchanged)."""
    spec = getattr(result, "spec", None)
    label = getattr(result, "expected", None)
    label = "" if label is None else str(label)
    if spec is not None and (not label or label == str(spec)):
        return format_spec(spec)
    return format_spec(label) if label else "—"


def headline(verdict: Any) -> str:
    """One line that leads CI output: ``std ×1.414 of he_normal expected: likely fans swapped``."""
    expected = format_spec(getattr(verdict, "spec", None)) if getattr(verdict, "spec", None) is not None \
        else str(verdict.expected)
    if verdict.passed:
        return f"conforms to {expected}"
    ratio = verdict.std_ratio if hasattr(verdict, "std_ratio") else None
    failed = [c.name for c in getattr(verdict, "failed", verdict.checks) if c.passed is False]
    if ratio is not None and "variance" in failed:
        text = f"std ×{ratio:.4g} of {expected} expected"
    elif "exact" in failed:
        text = f"not {expected}: " + next(c.detail for c in verdict.checks if c.name == "exact")
    else:
        text = f"{', '.join(failed) or 'checks'} rejected against {expected}"
    diagnosis = getattr(verdict, "diagnosis", None)
    if diagnosis is not None and diagnosis.causes:
        text += f": likely {diagnosis.short}"
    elif diagnosis is not None and (diagnosis.shape or diagnosis.other):
        text += f": {diagnosis.short}"
    return text
