"""``verifier check TARGET --expect SPEC``: one verdict per ``--shape``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
from typing import Any

from ..cli import UsageError
from ..errors import ResourceError
from ..report.terminal import use_color
from ._common import (
    DEFAULT_MAX_BYTES,
    add_report_options,
    add_resource_options,
    emit,
    progress_bar,
    stdout_of,
)

__all__ = ["register", "run", "parse_shape", "check_budget"]

DTYPES = ("float32", "float64", "float16", "bfloat16")


def parse_shape(text: str) -> tuple[int, ...]:
    """``'256,512'`` (or ``256x512``, ``(256, 512)``) → ``(256, 512)``."""
    cleaned = text.strip().strip("()[]").replace("×", ",").replace("x", ",").replace(" ", "")
    parts = [p for p in cleaned.split(",")]
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]  # '256,' (a 1-tuple)
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"malformed --shape {text!r}; write positive integers separated by commas, e.g. --shape 256,512"
        ) from None
    if not dims or any(d <= 0 for d in dims):
        raise argparse.ArgumentTypeError(f"malformed --shape {text!r}; every dimension must be a positive integer")
    return dims


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive integer")
    return value


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"alpha {text!r} must be between 0 and 1, e.g. 1e-4")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="check one initializer or saved tensor against a spec",
        description="Check that TARGET draws from the distribution SPEC names.",
        epilog="TARGET: an import string (torch.nn.init.kaiming_normal_(mode='fan_out'), pkg.mod:fn, "
               "path/to/file.py:fn) or a saved tensor (w.npy, w.npz:key, w.safetensors:key, w.pt:key; "
               "never unpickled). Exit codes: 0 conforms, 1 does not, 2 usage or input error.",
    )
    p.add_argument("target", metavar="TARGET", help="initializer import string or tensor file")
    p.add_argument("--expect", "-e", required=True, metavar="SPEC",
                   help="expected distribution, e.g. \"he_normal(mode='fan_out')\" (see `verifier specs`)")
    p.add_argument("--shape", type=parse_shape, action="append", metavar="D1,D2,...",
                   help="shape to draw (repeatable: one verdict per shape); initializers only")
    p.add_argument("--layout", default="torch", help="torch (out, in, *k) or keras (*k, in, out); default torch")
    p.add_argument("--dtype", choices=DTYPES, default=None, help="dtype to draw in (default float32)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    p.add_argument("--alpha", type=_alpha, default=None, help="family-wise false-alarm rate (default 1e-4)")
    p.add_argument("--draws", type=_positive_int, default=1, help="pool K independent draws (default 1)")
    p.add_argument("--fan-in", type=_positive_int, default=None, help="override fan_in")
    p.add_argument("--fan-out", type=_positive_int, default=None, help="override fan_out")
    p.add_argument("--convention", choices=("torch", "numpy", "jax", "keras"), default=None,
                   help="how to call the initializer (detected by default)")
    p.add_argument("--contracts", action="store_true",
                   help="also check the initializer's own contracts (requested dtype and shape, same seed -> same "
                        "values, different seeds -> different values): a wrong dtype or shape then fails (exit 1) "
                        "instead of being refused (exit 2)")
    add_report_options(p)
    add_resource_options(p)
    p.set_defaults(func=run)


_ITEMSIZE = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2}


def check_budget(shape: tuple[int, ...] | None, dtype: str | None, draws: int, max_bytes: int) -> None:
    """Refuse a ``--shape`` whose draws would take more than ``max_bytes``, before allocating."""
    if shape is None:
        return
    import math

    from ..loaders import format_bytes

    dtype = dtype or "float32"
    need = math.prod(shape) * draws * _ITEMSIZE.get(dtype, 8)
    if need > max_bytes:
        dims = ",".join(map(str, shape))
        raise ResourceError(
            f"--shape {dims} ({draws} draw{'s' if draws > 1 else ''}, {dtype}) needs {format_bytes(need)}, above the "
            f"memory budget of {format_bytes(max_bytes)}; check a smaller --shape or raise --max-bytes"
        )


def _load(target: str, max_bytes: int) -> tuple[Any, str | None]:
    from ..loaders import is_tensor_file, load_tensor

    if is_tensor_file(target):
        return load_tensor(target, max_bytes=max_bytes)
    return target, None


def run(args: argparse.Namespace) -> int:
    import verifier

    from ..report import render_markdown, to_json, write_reports

    max_bytes = getattr(args, "max_bytes", DEFAULT_MAX_BYTES)
    shapes: list[Any] = args.shape or [None]
    for shape in shapes:
        check_budget(shape, args.dtype, args.draws, max_bytes)
    source, display = _load(args.target, max_bytes)
    if display is not None and args.draws != 1:
        raise UsageError("--draws applies to initializers; a saved tensor is one draw, drop --draws")
    bar = progress_bar(args.format == "text" and len(shapes) > 1, desc="checking", unit="shape")
    iterator = bar(shapes) if bar is not None else shapes
    results = []
    for shape in iterator:
        v = verifier.check(
            source, args.expect, shape=shape, layout=args.layout, dtype=args.dtype, seed=args.seed,
            alpha=args.alpha, draws=args.draws, convention=args.convention,
            fan_in=args.fan_in, fan_out=args.fan_out, contracts=bool(getattr(args, "contracts", False)) and display is None,
        )
        if display is not None:
            v = dataclasses.replace(v, sample=dataclasses.replace(v.sample, source=display))
        results.append(v)
    alpha = results[0].alpha
    command = "verifier " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else None
    title = f"verifier check {args.target} ~ {args.expect}"
    # the verdict first: a report that cannot be written must not lose it
    if args.format == "json":
        emit(args, json.dumps(to_json(results, title=title, command=command, seed=args.seed, alpha=alpha), indent=2,
                              ensure_ascii=False))
    elif args.format == "markdown":
        emit(args, render_markdown(results, title=title, command=command, seed=args.seed, alpha=alpha))
    else:
        color = use_color(stdout_of(args))
        from ..report.text import colorize

        for i, v in enumerate(results):
            text = str(v)
            if color:
                head, _, rest = text.partition("  ")
                text = colorize(head, True) + "  " + rest
            emit(args, ("\n" if i else "") + text)
        if len(results) > 1:
            from ..report import summary_line

            emit(args, "\n" + summary_line(results))
    stdout_of(args).flush()
    if args.out:
        write_reports(results, args.out, title=title, command=command, seed=args.seed, alpha=alpha)
        if args.format == "text":
            print(f"reports written to {args.out}", file=sys.stderr)
    return 0 if all(v.passed for v in results) else 1
