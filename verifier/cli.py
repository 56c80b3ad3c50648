"""The command line: ``verifier check | suite | specs | audit | identify | compare | propagate``.

Each subcommand lives in ``verifier/commands/<name>.py`` and exposes ``register(subparsers)``,
which adds its parser and sets ``func(args) -> int``. Modules not yet present are skipped.

Exit codes (decided in one place, :func:`main`): 0 everything checked conforms, 1 computed and
something does not conform, 2 a usage or input error (one line on stderr, ``verifier: error: ...``,
naming the problem and the fix; also user code calling ``sys.exit``, a ``--timeout`` that ran out,
nothing checked), 3 an internal error (one line; ``--debug`` shows the traceback), 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from .errors import VerifierError
from .report.terminal import COLOR_CHOICES, set_color

__all__ = ["main", "COMMANDS", "build_parser", "UsageError", "EXIT_OK", "EXIT_FAIL", "EXIT_USAGE", "EXIT_INTERNAL",
           "EXIT_INTERRUPTED"]

COMMANDS = ["check", "suite", "specs", "audit", "identify", "compare", "propagate"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class UsageError(VerifierError, ValueError):
    """Bad command-line input detected by a command (exit code 2)."""


class _Timeout(BaseException):
    """Raised by the ``--timeout`` alarm; a BaseException so that user code's ``except Exception``
    cannot swallow it."""


class _PipeSafe:
    """stdout that survives a closed pipe (``verifier check ... | head``).

    The first ``BrokenPipeError`` points the file descriptor at ``/dev/null`` (so that the
    interpreter's final flush cannot fail either) and later writes are dropped: the exit code
    stays the one the verdict decided.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._break()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._break()

    def _break(self) -> None:
        self.broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def isatty(self) -> bool:
        try:
            return bool(self._stream.isatty())
        except (AttributeError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line, suggests the closest name, and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"verifier: error: {_did_you_mean(message)} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def _did_you_mean(message: str) -> str:
    """argparse's "invalid choice: 'chek' (choose from 'check', ...)" with "did you mean 'check'?"."""
    import difflib
    import re

    m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if m is None:
        return message
    choices = re.findall(r"'([^']*)'", m.group(2)) or [c.strip() for c in m.group(2).split(",")]
    close = difflib.get_close_matches(m.group(1), choices, n=1)
    return f"{message}; did you mean {close[0]!r}?" if close else message


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="verifier",
        description="Check that neural-network weight initializers draw from the distribution they claim.",
        epilog="exit codes: 0 conforms, 1 computed and does not conform, 2 usage or input error, 3 internal "
               "error, 130 interrupted. Add --debug anywhere to see tracebacks.",
    )
    parser.add_argument("--version", action="version", version=f"verifier {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("--color", choices=COLOR_CHOICES, default="auto",
                        help="colour the terminal output: auto (a terminal, unless NO_COLOR is set; FORCE_COLOR "
                             "forces it), always or never")
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


def _one_line(exc: BaseException, limit: int = 400) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error(message: str) -> None:
    try:
        sys.stderr.write(f"verifier: error: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _import_from_cwd() -> None:
    """Modules in the working directory import as ``python -m`` would find them (a console script's
    ``sys.path`` starts with its own folder, not the working directory)."""
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())


def _pin_paths(args: argparse.Namespace) -> None:
    """Make ``--out`` and ``--rules`` absolute now, so that user code that changes the working
    directory cannot move them."""
    for name in ("out", "rules"):
        value = getattr(args, name, None)
        if isinstance(value, str) and value:
            setattr(args, name, os.path.abspath(os.path.expanduser(value)))


@contextlib.contextmanager
def _alarm(seconds: float | None) -> Iterator[None]:
    """Raise :class:`_Timeout` after ``seconds`` of wall-clock time (Unix main thread only)."""
    usable = (seconds is not None and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def ring(signum: int, frame: Any) -> None:
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the one error boundary of the CLI).

    0 everything checked conforms; 1 computed, and something does not conform; 2 usage or input
    error (one line on stderr naming the problem and the fix), including user code that calls
    ``sys.exit`` and a ``--timeout`` that ran out; 3 internal error (one line; ``--debug`` shows the
    traceback); 130 interrupted (Ctrl-C). Nothing but the report goes to stdout: what user code
    prints goes to stderr.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    args_list = [a for a in args_list if a != "--debug"]
    real_stdout = _PipeSafe(sys.stdout)
    try:
        with contextlib.redirect_stdout(real_stdout):  # argparse's --help/--version print here
            parser = build_parser()
            try:
                args = parser.parse_args(args_list)
            except SystemExit as exc:  # --help, --version (0) or a usage error (2)
                return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
        args.debug = debug
        args.stdout = real_stdout
        set_color(args.color)
        _import_from_cwd()
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        _pin_paths(args)
        timeout = getattr(args, "timeout", None)
        # floating-point warnings of our own arithmetic on extreme values are not output: those
        # values are judged by the checks (verifier.extremes), and stderr keeps its one-line contract
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"verifier\.")
        # user code's print() goes to stderr; commands write their report to args.stdout
        with contextlib.redirect_stdout(sys.stderr), _alarm(timeout):
            code = int(func(args))
        try:
            real_stdout.flush()
        except (OSError, ValueError):
            pass
        return code
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except _Timeout:
        _error(f"timed out after {timeout:g} s (--timeout); the initializer or model may hang: "
               "fix it, or raise --timeout")
        return EXIT_USAGE
    except VerifierError as exc:
        if debug:
            raise
        _error(_one_line(exc))
        return EXIT_USAGE
    except SystemExit as exc:  # parsing is done: only user code (an initializer, an imported module) exits
        if debug:
            raise
        _error(f"user code called sys.exit({exc.code!r}) while verifier was running it, so nothing was checked; "
               "remove the sys.exit call from the initializer or model code (and from its module's import)")
        return EXIT_USAGE
    except MemoryError:
        if debug:
            raise
        _error("out of memory; check a smaller --shape, or cap inputs with --max-bytes")
        return EXIT_USAGE
    except Exception as exc:
        if debug:
            raise
        _error(f"internal error: {type(exc).__name__}: {_one_line(exc)}; rerun with --debug to see the traceback "
               "(and please report it)")
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
