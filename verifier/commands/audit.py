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

from ..cli import UsageError
from ._common import _positive_seconds, emit, stdout_of

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


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"tolerance {text!r} must be a relative error in [0, 1), e.g. 0.01")
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
               "Exit codes: 0 every tensor conforms, 1 some tensor does not, 2 usage or input error (also: no "
               "tensor checked; with --strict, unused rules), 3 internal error.",
    )
    p.add_argument("model", metavar="MODEL", help="import string of a module or factory, a state dict file, or a sharded checkpoint "
                   "(model.safetensors.index.json or a directory of .safetensors shards)")
    p.add_argument("--rules", metavar="FILE", default=None, help="TOML rules file ([rules], [types], [audit])")
    p.add_argument("--preset", choices=("auto", "torch", "transformers", "torchvision", "timm", "none"), default="auto",
                   help="the library's documented init as rules: auto (default: transformers for a PreTrainedModel, "
                        "torchvision for its ResNet/MobileNetV3/ConvNeXt/ViT, timm for its ViT/ConvNeXt, else torch), "
                        "torch, transformers, torchvision, timm, none (only --rules)")
    p.add_argument("--strict", action="store_true", default=None,
                   help="rules that match no tensor, or are shadowed by an earlier rule, are an error (exit 2)")
    p.add_argument("--tolerance", type=_tolerance, default=None, metavar="REL",
                   help="practical tolerance: a detected relative std error up to REL (e.g. 0.01) does not fail")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write audit.txt, audit.json, audit.md, audit.html (with a per-layer std plot) and the "
                        "per-tensor reports (report.json/md/html, junit.xml) into DIR")
    p.add_argument("--format", choices=FORMATS, default="text", help="what to print on stdout (default text)")
    p.add_argument("--plots", choices=("failures", "all", "none"), default="failures",
                   help="plots in the HTML reports: failing tensors (default), every tensor, or none")
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
    p.add_argument("--timeout", type=_positive_seconds, default=None, metavar="SECONDS",
                   help="give up (exit 2) if the audit takes longer, e.g. a model factory that hangs")
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
        preset=args.preset,
        strict=args.strict,
        tolerance=args.tolerance,
        alpha=args.alpha,
        correction=args.correction,
        seed=args.seed,
        lazy=args.lazy,
        defaults=args.defaults,
        progress=args.progress,
        jobs=args.jobs,
    )
    emit(args, report.render(args.format).rstrip("\n"))  # the verdict first: reports may fail to be written
    stdout_of(args).flush()
    if args.out:
        from verifier.report.writing import staged

        command = "verifier audit " + " ".join(shlex.quote(a) for a in _argv(args))
        with staged(args.out) as tmp:
            paths = report.write(tmp, command=command, plots=args.plots)
        sys.stderr.write(f"verifier: wrote {len(paths)} report files to {args.out}\n")
    if not report.checked:
        raise UsageError(_nothing_checked(report))
    return 0 if report.passed else 1


def _nothing_checked(report: Any) -> str:
    """Why an audit that checked no tensor is not a pass, and what to do about it."""
    skipped = report.not_checked
    if not skipped:
        return (f"no tensor was checked: {report.model} has no parameters that match; nothing checked is not a pass "
                "(check the model, or the globs in --rules)")
    reasons: dict[str, int] = {}
    for r in skipped:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    common = sorted(reasons.items(), key=lambda kv: -kv[1])[:2]
    listed = "; ".join(f"{n}× {reason}" for reason, n in common)
    return (f"no tensor was checked ({len(skipped)} not checked: {listed}); nothing checked is not a pass: add "
            "[rules] that match the tensor names (globs), or drop --no-defaults")


def _argv(args: argparse.Namespace) -> list[str]:
    out = [args.model]
    if args.rules:
        out += ["--rules", args.rules]
    if args.preset != "auto":
        out += ["--preset", args.preset]
    if args.strict:
        out.append("--strict")
    if args.tolerance is not None:
        out += ["--tolerance", repr(args.tolerance)]
    if args.correction:
        out += ["--correction", args.correction]
    if args.alpha is not None:
        out += ["--alpha", repr(args.alpha)]
    if args.seed:
        out += ["--seed", str(args.seed)]
    if getattr(args, "plots", "failures") != "failures":
        out += ["--plots", args.plots]
    return out
