"""``verifier specs``: every known spec with its formula, parameters and aliases."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._common import emit

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("specs", help="list the known specs (formulas, parameters, aliases)",
                              description="List every spec --expect accepts.")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from ..theory import available_specs

    infos = available_specs()
    if args.format == "json":
        data = [{"name": s.name, "aliases": list(s.aliases), "formula": s.formula,
                 "parameters": [{"name": n, "default": d if isinstance(d, (int, float, str, bool, type(None))) else repr(d),
                                 "description": desc} for n, d, desc in s.parameters]} for s in infos]
        emit(args, json.dumps({"schema": "verifier.specs/1", "specs": data}, indent=2, ensure_ascii=False))
        return 0
    if args.format == "markdown":
        rows = [(f"`{s.name}`", s.formula.replace("|", "\\|"),
                 ", ".join(f"`{n}={d!r}`" for n, d, _ in s.parameters),
                 ", ".join(f"`{a}`" for a in s.aliases)) for s in infos]
        emit(args, tabulate(rows, headers=("spec", "distribution", "parameters (defaults)", "aliases"), tablefmt="github"))
        return 0
    blocks = []
    for s in infos:
        lines = [f"{s.name}", f"  {s.formula}"]
        if s.aliases:
            lines.append(f"  aliases: {', '.join(s.aliases)}")
        for n, d, desc in s.parameters:
            lines.append(f"  {n}={d!r}: {desc}")
        blocks.append("\n".join(lines))
    emit(args, "\n\n".join(blocks))
    emit(args, "\nexample: verifier check \"torch.nn.init.kaiming_normal_(mode='fan_out')\" "
          "--expect \"he_normal(mode='fan_out')\" --shape 256,512")
    return 0
