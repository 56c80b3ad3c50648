"""The command line: ``verifier check | suite | specs | audit | identify | compare | propagate``.

Each subcommand lives in ``verifier/commands/<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func(args) -> int``. Modules not yet present are skipped.

Exit codes: 0 everything conforms, 1 something does not, 2 a usage or input error (one line on
stderr, ``verifier: error: ...``; ``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .errors import VerifierError

__all__ = ["main", "COMMANDS", "build_parser", "UsageError"]

COMMANDS = ["check", "suite", "specs", "audit", "identify", "compare", "propagate"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(VerifierError, ValueError):
    """Bad command-line input detected by a command (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"verifier: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="verifier",
        description="Check that neural-network weight initializers draw from the distribution they claim.",
        epilog="exit codes: 0 conforms, 1 does not conform, 2 usage or input error. "
               "Add --debug anywhere to see tracebacks.",
    )
    parser.add_argument("--version", action="version", version=f"verifier {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__package__}.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name in (f"{__package__}.commands.{name}", f"{__package__}.commands"):
                continue  # not written yet
            sys.stderr.write(f"verifier: warning: command {name!r} is unavailable: {exc}\n")
            continue
        except Exception as exc:  # a broken command must not take the others down
            sys.stderr.write(f"verifier: warning: command {name!r} is unavailable: {type(exc).__name__}: {exc}\n")
            continue
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    args_list = [a for a in args_list if a != "--debug"]
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:  # --help, --version (0) or a usage error (2)
            return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
        args.debug = debug
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        return int(func(args))
    except VerifierError as exc:
        if debug:
            raise
        sys.stderr.write(f"verifier: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("verifier: interrupted\n")
        return 130
    except BrokenPipeError:  # e.g. `verifier check ... | head`
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
