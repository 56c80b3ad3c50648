"""``verifier suite NAME``: run a conformance suite (``verifier.suites.NAME``) and write its report.

Exit code: 0 when every case conforms or fails only as a documented known deviation of the library
(listed in the suite's ``KNOWN_DEVIATIONS`` and annotated in the report), 1 when any other case
fails, 2 for usage errors (unknown suite, a library the suite needs is missing).
"""

from __future__ import annotations

import argparse
import inspect
import json
import shlex
import sys
import time
from typing import Any

from ..cli import UsageError
from ..report.terminal import use_color
from ._common import add_report_options, emit, is_tty, progress_bar, stdout_of

__all__ = ["register", "run"]

DEFAULT_OUT = "reports"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "suite", help="run a conformance suite (torch, numpy, ...) and write its report",
        description="Run the conformance suite NAME and write report.{json,md,html} and junit.xml.",
        epilog="exit codes: 0 all cases conform (documented known deviations of the library excepted), "
               "1 a case fails unexpectedly, 2 usage error.",
    )
    p.add_argument("name", metavar="NAME", help="suite name (`verifier suite --list` lists them)", nargs="?")
    p.add_argument("--list", action="store_true", help="list the available suites")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--alpha", type=float, default=None, help="family-wise α per case (default 1e-4)")
    p.add_argument("--quick", action="store_true", help="a reduced case list (suites that support it)")
    p.add_argument("--no-reports", action="store_true", help="do not write report files")
    p.add_argument("--plots", choices=("failures", "all", "none"), default="failures",
                   help="plots in report.html: failures and known deviations (default), all cases, or none")
    p.add_argument("--no-plots", action="store_true", help="same as --plots none")
    add_report_options(p)
    p.epilog += f" Reports go to {DEFAULT_OUT}/NAME/ unless --out DIR is given."
    p.set_defaults(func=run)


def _load(name: str) -> Any:
    from ..suites import available_suites, load_suite

    if not name.isidentifier():
        raise UsageError(f"unknown suite {name!r}; available: {', '.join(available_suites())}")
    try:
        return load_suite(name)
    except ModuleNotFoundError as exc:
        if exc.name == f"verifier.suites.{name}":
            raise UsageError(f"unknown suite {name!r}; available: {', '.join(available_suites())}") from None
        raise UsageError(f"suite {name!r} needs {exc.name!r}, which is not installed; pip install {exc.name}") from None
    except ImportError as exc:
        raise UsageError(f"suite {name!r} cannot import what it needs ({exc}); reinstall that package") from None


def run(args: argparse.Namespace) -> int:
    from ..report import render_markdown, render_text, summary_line, to_json, write_reports
    from ..report.cases import is_unexpected_failure
    from ..suites import available_suites

    if args.list or not args.name:
        if not args.name and not args.list:
            raise UsageError(f"name a suite: verifier suite NAME (available: {', '.join(available_suites())})")
        emit(args, "\n".join(available_suites()))
        return 0
    if args.alpha is not None and not 0.0 < args.alpha < 1.0:
        raise UsageError(f"--alpha {args.alpha!r} must be between 0 and 1, e.g. 1e-4")
    module = _load(args.name)
    custom = getattr(module, "run_suite_command", None)
    if custom is not None:  # a suite with its own kind of report (e.g. propagation)
        return int(custom(args))
    if args.out is None:
        args.out = f"{DEFAULT_OUT}/{args.name}"
    interactive = args.format == "text" and is_tty(sys.stderr)
    kwargs: dict[str, Any] = {"seed": args.seed, "alpha": args.alpha, "progress": interactive}
    params = inspect.signature(module.run).parameters
    if args.quick:
        if "quick" not in params:
            raise UsageError(f"suite {args.name!r} has no --quick case list; drop --quick")
        kwargs["quick"] = True
    start = time.perf_counter()
    try:
        results = module.run(**kwargs)
    except ModuleNotFoundError as exc:  # a suite imports its framework when it runs
        if not exc.name or "." in exc.name or exc.name.startswith("verifier"):
            raise
        raise UsageError(f"suite {args.name!r} needs {exc.name!r}, which is not installed; pip install {exc.name}"
                         ) from None
    elapsed = time.perf_counter() - start
    alpha = next((r.alpha for r in results if getattr(r, "alpha", None) is not None), args.alpha)
    title = getattr(module, "TITLE", f"verifier suite {args.name}")
    notes = list(getattr(module, "NOTES", ()))
    command = f"verifier suite {args.name}" + (" --quick" if args.quick else "") + (
        f" --seed {args.seed}" if args.seed else "") + (
        f" --plots {args.plots}" if args.plots != "failures" and not args.no_plots else "") + (
        f" --out {shlex.quote(args.out)}" if args.out != f"{DEFAULT_OUT}/{args.name}" else "")
    # the verdicts first: reports that cannot be written must not lose them
    if args.format == "json":
        emit(args, json.dumps(to_json(results, title=title, command=command, seed=args.seed, alpha=alpha, notes=notes),
                              indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        emit(args, render_markdown(results, title=title, command=command, seed=args.seed, alpha=alpha, notes=notes))
    else:
        emit(args, render_text(results, color=use_color(stdout_of(args)), summary=False))
        emit(args)
        emit(args, f"{summary_line(results)} (checks took {elapsed:.1f} s)")
    stdout_of(args).flush()
    if args.out and not args.no_reports:
        bar = progress_bar(interactive, desc="plotting", unit="case")
        paths = write_reports(results, args.out, title=title, command=command, seed=args.seed, alpha=alpha,
                              notes=notes, progress=bar, plots="none" if args.no_plots else args.plots)
        if args.format == "text":
            print(f"reports written to {args.out}/ ({', '.join(p.name for p in paths)}) in "
                  f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 1 if any(is_unexpected_failure(r) for r in results) else 0
