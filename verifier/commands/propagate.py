"""``verifier propagate MODEL``: signal propagation through a model at initialisation.

MODEL is an import string naming a torch ``nn.Module`` instance or a zero-argument factory
(``pkg.mod:build``, ``path/to/model.py:net``), as for ``audit``. Exit codes: 0 the variance is
kept forward and backward, 1 it is not (or undecided), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from ._common import emit

__all__ = ["register", "run"]


def _shape(text: str) -> tuple[int, ...]:
    try:
        out = tuple(int(s) for s in text.replace("x", ",").replace("×", ",").split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape; write e.g. 3,32,32 (no batch dimension)") from None
    if not out or any(s < 1 for s in out):
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape; write e.g. 3,32,32 (no batch dimension)")
    return out


def register(subparsers: Any) -> None:
    from ..propagation.verdict import DEFAULT_CONFIDENCE, DEFAULT_K

    p = subparsers.add_parser(
        "propagate", help="does the initialisation keep the variance through depth? (forward and backward)",
        description="Record per-layer activation and gradient statistics over several seeds, set the theory "
                    "(Glorot & Bengio 2010, He et al. 2015) beside them, and decide whether the variance is kept "
                    "within [1/k, k] from the first to the last layer.",
        epilog="MODEL: an import string to an nn.Module instance or a zero-argument factory (pkg.mod:build, "
               "path/to/model.py:net); a factory is rebuilt per seed. Exit codes: 0 kept, 1 not kept or "
               "undecided, 2 usage or input error.",
    )
    p.add_argument("model", metavar="MODEL", help="import string of a module or factory")
    p.add_argument("--input-shape", type=_shape, default=None, metavar="SHAPE",
                   help="shape of one example without the batch, e.g. 3,32,32 (inferred from a first Linear/Conv)")
    p.add_argument("--batch", type=int, default=256, help="examples per batch (default 256)")
    p.add_argument("--seeds", type=int, default=5, help="number of independent seeds (default 5, at least 2)")
    p.add_argument("--k", type=float, default=DEFAULT_K, help=f"tolerance: variance within [1/k, k] (default {DEFAULT_K:g})")
    p.add_argument("--confidence", type=float, default=DEFAULT_CONFIDENCE,
                   help=f"level of the intervals over seeds (default {DEFAULT_CONFIDENCE:g})")
    p.add_argument("--layers", nargs="+", default=None, metavar="PATTERN", help="module-name globs to record")
    p.add_argument("--device", default=None, help="e.g. cuda (factories are built there)")
    p.add_argument("--training", action="store_true", help="train mode (BatchNorm batch statistics); buffers restored")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="what to print on stdout")
    p.add_argument("--out", metavar="DIR", default=None, help="write propagation.json, .md and .html (with plots)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cli import UsageError
    from ..propagation import propagate

    if args.batch < 1:
        raise UsageError(f"--batch {args.batch} must be at least 1")
    report = propagate(args.model, input_shape=args.input_shape, batch=args.batch, seeds=args.seeds, k=args.k,
                       confidence=args.confidence, layers=args.layers, device=args.device, training=args.training)
    emit(args, report.render(args.format).rstrip("\n"))
    if args.out:
        command = "verifier propagate " + shlex.quote(args.model)
        paths = report.write(args.out, command=command)
        sys.stderr.write(f"verifier: wrote {', '.join(p.name for p in paths)} to {args.out}\n")
    return 0 if report.passed else 1
