"""``verifier identify TARGET``: which known initialization scheme do these weights come from?"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..cli import UsageError
from ._common import DEFAULT_MAX_BYTES, add_resource_options, emit

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    from .check import DTYPES, _positive_int, parse_shape

    p = subparsers.add_parser(
        "identify",
        help="rank the known schemes by how well they fit an initializer or saved tensor",
        description="Rank every named scheme (over modes, common gains and truncation), the framework layer "
                    "defaults and fitted normal/uniform/truncated families by fit: shape of the distribution "
                    "first, then the std ratio.",
    )
    p.add_argument("target", metavar="TARGET", help="import string (pkg.mod:attr, file.py:attr) of an initializer "
                   "or tensor, e.g. torch.nn.init.kaiming_uniform_(a=sqrt(5)) or weights.py:W, or a saved tensor "
                   "as for `verifier check` (w.npy, w.npz:key, w.safetensors:key, w.pt:key; never unpickled)")
    p.add_argument("--shape", type=parse_shape, help="shape to draw, e.g. 256,512 (initializers only)")
    p.add_argument("--layout", default=None, help="torch (out, in, *k) or keras (*k, in, out); default keras for "
                   "JAX/Keras initializers, else torch")
    p.add_argument("--dtype", choices=DTYPES, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top", type=_positive_int, default=5, help="how many candidates to show (default 5)")
    p.add_argument("--fan-in", type=_positive_int, default=None)
    p.add_argument("--fan-out", type=_positive_int, default=None)
    p.add_argument("--format", choices=("text", "json"), default="text")
    add_resource_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..identification import identify
    from .check import _load, check_budget

    max_bytes = getattr(args, "max_bytes", DEFAULT_MAX_BYTES)
    check_budget(args.shape, args.dtype, 1, max_bytes)
    source, _ = _load(args.target, max_bytes)  # a saved tensor (w.npy, w.safetensors:key, ...) or an import string
    try:
        result = identify(source, shape=args.shape, layout=args.layout, seed=args.seed, dtype=args.dtype,
                          top=args.top, fan_in=args.fan_in, fan_out=args.fan_out)
    except ArithmeticError:  # moments beyond the float range: no scheme can be fitted
        raise UsageError(f"the values of {args.target} are out of any sensible range for weights (their statistics "
                         "overflow a float: an unfilled buffer?); nothing to identify") from None
    if args.format == "json":
        emit(args, json.dumps(result.to_dict(), indent=2, default=str))
    else:
        emit(args, result)
    return 0
