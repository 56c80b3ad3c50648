"""How a diagnosis (:class:`~verifier.diagnosis.Diagnosis`) reads.

Reading order: what makes the values unusable (non-finite, constant, structure), the scheme they
look like, values at a bound, the scale (largest effect first: a 50× std error also moves the mean
by many expected σ, so the scale comes before the mean), the mean, the support, values missing at an
end of the support, repeated values, the shape.
"""

from __future__ import annotations

from typing import Any

__all__ = ["diagnosis_short", "render_diagnosis", "render_cause"]

_LATER = ("mean shifted", "out of support", "values missing", "repeated values")
_NAMED_BEFORE_COLON = ("values missing", "repeated values")  # long findings: the short names them only


def _split(d: Any) -> tuple[list[str], list[str]]:
    """Other findings read first (unusable values) and last (mean, support, range, ties)."""
    first = [o for o in d.other if not o.startswith(_LATER)]
    later = [o for o in d.other if o.startswith(_LATER)]
    return first, later


def render_cause(c: Any) -> str:
    """``fans swapped (predicts ×1.414): ...``."""
    return f"{c.name} (predicts ×{c.predicted:.4g}): {c.explanation}"


def diagnosis_short(d: Any) -> str:
    """One short phrase: the largest finding first."""
    first, later = _split(d)
    if first:
        return first[0]
    if d.looks_like:
        return f"looks like {d.looks_like}"
    if d.at_bound:
        return d.at_bound.split(":")[0]
    if d.causes:
        return " or ".join(d.names)
    if d.scale_off:
        return f"std ×{d.std_ratio:.4g}"
    if later:
        return later[0].split(":")[0] if later[0].startswith(_NAMED_BEFORE_COLON) else later[0]
    if d.shape:
        return d.shape.split(";")[0]
    return "no usual bug explains it"


def render_diagnosis(d: Any) -> str:
    """Every finding in reading order, ``; ``-separated."""
    first, later = _split(d)
    parts: list[str] = list(first)
    if d.looks_like:
        parts.append(f"looks like {d.looks_like}")
    if d.at_bound:
        parts.append(d.at_bound)
    if d.causes:
        likely = "; or ".join(f"{c.name} ({c.explanation}, predicts ×{c.predicted:.4g})" for c in d.causes)
        parts.append(f"likely {likely}")
    elif not first and not d.looks_like and not d.at_bound and d.scale_off:
        parts.append(f"std ×{d.std_ratio:.4g} matches none of the usual bugs (fans swapped, gain missing or "
                     "doubled, bound/std or variance/std mixed up, truncation correction, layout)")
    elif d.scale_off:
        parts.append(f"std ×{d.std_ratio:.4g}")
    parts += later
    if d.shape:
        parts.append(d.shape)
    return "; ".join(parts) if parts else "no usual bug explains it"
