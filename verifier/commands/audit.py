"""``verifier audit MODEL [--rules FILE]``: check every tensor of a model.

MODEL is an import string naming a torch ``nn.Module`` instance or a zero-argument factory
(``pkg.mod:build``, ``path/to/model.py:net``), or a state dict file (``.safetensors``, or
``.pt``/``.pth``/``.bin`` read with ``torch.load(weights_only=True)``), which needs ``--rules``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

__all__ = ["register", "run"]

FORMATS = ("text", "json", "markdown")


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value <= 0.5:
        raise argparse.ArgumentTypeError(f"alpha {text!r} must be in (0, 0.5], e.g. 1e-4")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "audit",
        help="check every tensor of a model against rules and torch's defaults",
        description="Check every parameter of MODEL against user rules (first match wins) and the built-in "
                    "torch defaults; Holm (or Benjamini–Hochberg) across tensors.",
        epilog="MODEL: an import string to an nn.Module instance or a zero-argument factory (pkg.mod:build, "
               "path/to/model.py:net), or a state dict file (.safetensors, .pt; needs --rules). "
               "Rules file (TOML): [rules] \"encoder.*.weight\" = \"normal(std=0.02)\"; [types] "
               "\"Linear.weight\" = \"he_uniform(a=sqrt(5))\"; \"skip\", \"zeros\", \"ones\" allowed. "
               "Exit codes: 0 every tensor conforms, 1 some tensor does not, 2 usage or input error.",
    )
    p.add_argument("model", metavar="MODEL", help="import string of a module or factory, a state dict file, or a sharded checkpoint "
                   "(model.safetensors.index.json or a directory of .safetensors shards)")
    p.add_argument("--rules", metavar="FILE", default=None, help="TOML rules file ([rules], [types], [audit])")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write audit.txt, audit.json, audit.md, audit.html (with a per-layer std plot) and the "
                        "per-tensor reports (report.json/md/html, junit.xml) into DIR")
    p.add_argument("--format", choices=FORMATS, default="text", help="what to print on stdout (default text)")
    p.add_argument("--correction", choices=("holm", "bh"), default=None,
                   help="across tensors: holm (family-wise error rate, default) or bh (false discovery rate)")
    p.add_argument("--alpha", type=_alpha, default=None, help="error rate across tensors (default 1e-4)")
    p.add_argument("--seed", type=int, default=0, help="seed of a factory's construction (default 0)")
    lazy = p.add_mutually_exclusive_group()
    lazy.add_argument("--lazy", dest="lazy", action="store_const", const=True, default=None,
                      help="factories: build on the meta device and audit module by module")
    lazy.add_argument("--no-lazy", dest="lazy", action="store_const", const=False,
                      help="factories: always build the whole model (default: lazy only above 1 GiB)")
    p.add_argument("--no-defaults", dest="defaults", action="store_false",
                   help="do not apply the built-in torch default rules")
    p.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                   help="no progress bar (shown on a terminal when tqdm is installed)")
    p.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                   help="sharded checkpoints (*.safetensors.index.json or a directory): audit shards in N processes")
    p.set_defaults(func=run)


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"--jobs needs a positive integer, got {text!r}")
    return n


def run(args: argparse.Namespace) -> int:
    """Audit ``args.model``; print the report; 0 pass, 1 fail (errors propagate: exit 2)."""
    from verifier.auditing import audit

    report = audit(
        args.model,
        args.rules,
        alpha=args.alpha,
        correction=args.correction,
        seed=args.seed,
        lazy=args.lazy,
        defaults=args.defaults,
        progress=args.progress,
        jobs=args.jobs,
    )
    sys.stdout.write(report.render(args.format).rstrip("\n") + "\n")
    if args.out:
        command = "verifier audit " + " ".join(shlex.quote(a) for a in _argv(args))
        paths = report.write(args.out, command=command)
        sys.stderr.write(f"verifier: wrote {len(paths)} report files to {args.out}\n")
    return 0 if report.passed else 1


def _argv(args: argparse.Namespace) -> list[str]:
    out = [args.model]
    if args.rules:
        out += ["--rules", args.rules]
    if args.correction:
        out += ["--correction", args.correction]
    if args.alpha is not None:
        out += ["--alpha", repr(args.alpha)]
    if args.seed:
        out += ["--seed", str(args.seed)]
    return out
