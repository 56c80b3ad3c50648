"""How ``verifier specs`` reads: every known spec with its formula, parameters and aliases, as
JSON data (``verifier.specs/1``), a Markdown table or plain text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

__all__ = ["specs_document", "render_specs_markdown", "render_specs_text"]

EXAMPLE = ("example: verifier check \"torch.nn.init.kaiming_normal_(mode='fan_out')\" "
           "--expect \"he_normal(mode='fan_out')\" --shape 256,512")


def specs_document(infos: Sequence[Any]) -> dict[str, Any]:
    """The ``verifier.specs/1`` document (``verifier/schemas/specs.schema.json``)."""
    data = [{"name": s.name, "aliases": list(s.aliases), "formula": s.formula,
             "parameters": [{"name": n, "default": d if isinstance(d, (int, float, str, bool, type(None))) else repr(d),
                             "description": desc} for n, d, desc in s.parameters]} for s in infos]
    return {"schema": "verifier.specs/1", "specs": data}


def render_specs_markdown(infos: Sequence[Any]) -> str:
    """One table row per spec: name, formula, parameters with defaults, aliases."""
    rows = [(f"`{s.name}`", s.formula.replace("|", "\\|"),
             ", ".join(f"`{n}={d!r}`" for n, d, _ in s.parameters),
             ", ".join(f"`{a}`" for a in s.aliases)) for s in infos]
    return tabulate(rows, headers=("spec", "distribution", "parameters (defaults)", "aliases"), tablefmt="github")


def render_specs_text(infos: Sequence[Any]) -> str:
    """One block per spec (name, formula, aliases, each parameter), then an example."""
    blocks = []
    for s in infos:
        lines = [f"{s.name}", f"  {s.formula}"]
        if s.aliases:
            lines.append(f"  aliases: {', '.join(s.aliases)}")
        for n, d, desc in s.parameters:
            lines.append(f"  {n}={d!r}: {desc}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\n" + EXAMPLE
