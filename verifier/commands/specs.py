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
    from ..report.specs import render_specs_markdown, render_specs_text, specs_document
    from ..theory import available_specs

    infos = available_specs()
    if args.format == "json":
        emit(args, json.dumps(specs_document(infos), indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        emit(args, render_specs_markdown(infos))
    else:
        emit(args, render_specs_text(infos))
    return 0
