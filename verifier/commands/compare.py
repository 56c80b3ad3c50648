"""``verifier compare NAME``: what one initializer name means in torch, Keras and JAX."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._common import emit

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    from .check import _positive_int

    p = subparsers.add_parser(
        "compare",
        help="show what a name (he_normal, glorot_uniform, ...) means in torch, Keras and JAX",
        description="Draw each installed framework's initializer of that name and check it against its own "
                    "documentation and against the textbook definition. Frameworks that are not installed are "
                    "shown as 'not installed'. Exit 1 if a framework does not conform to its own documentation.",
    )
    p.add_argument("name", metavar="NAME", help="he_normal, he_uniform, xavier_normal, xavier_uniform, lecun_normal, "
                   "lecun_uniform, normal, uniform, trunc_normal (aliases kaiming_*, glorot_* accepted)")
    p.add_argument("--fan-in", type=_positive_int, default=256)
    p.add_argument("--fan-out", type=_positive_int, default=512)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..comparison import compare

    result = compare(args.name, fan_in=args.fan_in, fan_out=args.fan_out, seed=args.seed)
    if args.format == "json":
        emit(args, json.dumps(result.to_dict(), indent=2, default=str))
    else:
        emit(args, result)
    return 0 if result.conforms else 1
