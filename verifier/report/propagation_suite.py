"""How the propagation suite (:mod:`verifier.suites.propagation`) reads: the table of claims
(experiment, claim, holds, evidence), one section per experiment with its propagation report,
and the short text printed on stdout. Renders only; every judgement comes from the results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .propagation import render_markdown

__all__ = ["render_suite_markdown", "suite_section", "render_suite_text"]


def render_suite_markdown(results: Sequence[Any], command: str, figures: Sequence[str], title: str) -> str:
    """The suite as Markdown: the claims table, the figures, then one section per experiment."""
    lines = [f"# {title}", "", f"`{command}`", "",
             ("Each experiment states what the paper predicts; *holds* is judged from the measured 95 % "
              "intervals over independent seeds (weights, inputs and output gradients redrawn per seed)."), "",
             "| experiment | claim | holds | evidence |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.experiment.title} ({r.experiment.source}) | {r.experiment.claim} | "
                     f"{'yes' if r.holds else '**NO**'} | {r.evidence.replace('|', '/')} |")
    lines.append("")
    for f in figures:
        lines += [f"![{f}]({f})", ""]
    for r in results:
        lines += [f"## {r.experiment.title}", "", (f"*Claim ({r.experiment.source}):* {r.experiment.claim}. "
                                                   f"**{'Holds' if r.holds else 'Does not hold'}:** {r.evidence}."), "",
                  render_markdown(r.report, level=3)]
    return "\n".join(lines)


def suite_section(r: Any) -> str:
    """One experiment's claim and whether it holds, in one paragraph (the HTML page's sections)."""
    e = r.experiment
    return f"Claim ({e.source}): {e.claim}. {'Holds' if r.holds else 'DOES NOT HOLD'}: {r.evidence}."


def render_suite_text(results: Sequence[Any]) -> str:
    """Two lines per experiment: ``HOLDS  title: claim`` and the evidence."""
    return "\n".join(f"{'HOLDS' if r.holds else 'FAILS'}  {r.experiment.title}: {r.experiment.claim}\n       {r.evidence}"
                     for r in results)
