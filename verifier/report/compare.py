"""How a comparison (:class:`~verifier.comparison.Comparison`) reads: what one name means in
torch, Keras and JAX, one table row per framework, and whether each conforms to its own
documentation and to the textbook."""

from __future__ import annotations

from typing import Any

from tabulate import tabulate

from .format import format_spec

__all__ = ["render_comparison", "verdict_mark"]

HEAD = ("framework", "initializer", "distribution", "truncated", "default mode", "layout", "own docs", "textbook")
"""The columns of the comparison table."""


def verdict_mark(v: Any) -> str:
    """``yes (std ×1.000)``, ``NO (std ×1.414): likely fans swapped``, or ``—`` when not checked."""
    if v is None:
        return "—"
    ratio = f" (std ×{v.std_ratio:.3f})" if v.std_ratio is not None else ""
    if v.passed:
        return "yes" + ratio
    diag = getattr(v, "diagnosis", None)
    why = f": {diag.short}" if diag is not None and diag.short else ""
    return "NO" + ratio + why


def render_comparison(comparison: Any) -> str:
    """The name and fans, the textbook definition, the table, and each framework's note."""
    from verifier.theory.parsing import parse_spec

    rows = []
    for r in comparison.rows:
        i = r.implementation
        if i is None:
            rows.append((r.framework, r.status, "", "", "", "", "", ""))
            continue
        rows.append((r.framework, i.api if r.status == "ok" else f"{i.api} ({r.status})", r.distribution,
                     "yes" if i.truncated else "no", i.default_mode, i.layout, verdict_mark(r.own),
                     verdict_mark(r.textbook)))
    table = tabulate(rows, headers=HEAD, disable_numparse=True)
    head = f"{comparison.name}: fan_in {comparison.fan_in}, fan_out {comparison.fan_out}"
    if comparison.textbook:
        book = parse_spec(comparison.textbook)
        head += f"; textbook = {format_spec(book)} = {book.describe()}"
    notes = [f"  {r.framework}: {r.implementation.note}" for r in comparison.rows
             if r.implementation is not None and r.implementation.note]
    return "\n".join([head, table] + (["notes:"] + notes if notes else []))
