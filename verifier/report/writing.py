"""Put report files into ``--out`` atomically: all of one run's files, or none of them.

:func:`staged` hands out a fresh private temporary folder inside the destination; whatever the
caller writes there is moved into the destination when the ``with`` block ends without error:

- each file is moved with :func:`os.replace` (an atomic rename on one file system), which replaces
  a symlink of that name itself and never writes through it to its target;
- the moves of one run happen under an exclusive ``flock`` on the destination folder, with
  SIGINT/SIGTERM/SIGALRM held back, so two runs writing the same ``--out`` leave the full set of one of
  them (the later), and Ctrl-C never leaves a partial set;
- an error (a read-only folder, a full disk, a destination that is a file) raises
  :class:`~verifier.errors.ReportWriteError` naming the path and the reason, and the temporary
  folder is removed: the destination keeps what it had.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import ReportWriteError

__all__ = ["staged", "write_text_files"]


def _fail(path: Path | str, exc: OSError) -> ReportWriteError:
    reason = exc.strerror or type(exc).__name__
    where = exc.filename if isinstance(exc.filename, str) else str(path)
    return ReportWriteError(f"cannot write reports to {str(path)!r} ({where}: {reason}); "
                            "choose a writable folder with --out")


def _prepare(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise ReportWriteError(f"cannot write reports to {str(out)!r}: it exists and is not a folder; "
                               "pass a folder to --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(out, exc) from None
    return out


@contextlib.contextmanager
def _held_signals() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGALRM (``--timeout``), delivered after the block, where the
    platform allows."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM, signal.SIGALRM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # pragma: no cover  (Windows: no lock, renames are still atomic per file)
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _install(tmp: Path, out: Path) -> list[Path]:
    files = sorted(p for p in tmp.rglob("*") if p.is_file() and not p.is_symlink())
    paths = []
    with _held_signals(), _locked(out):
        for src in files:
            dest = out / src.relative_to(tmp)
            if dest.parent != out:
                dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
            paths.append(dest)
    return paths


@contextlib.contextmanager
def staged(out_dir: str | Path) -> Iterator[Path]:
    """A temporary folder to write reports into; moved into ``out_dir`` on success.

    >>> with staged("reports/") as tmp:             # doctest: +SKIP
    ...     (tmp / "report.json").write_text("{}")
    """
    out = _prepare(Path(out_dir))
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".verifier-", dir=out))
    except OSError as exc:
        raise _fail(out, exc) from None
    try:
        try:
            yield tmp
        except OSError as exc:
            raise _fail(out, exc) from None
        try:
            _install(tmp, out)
        except OSError as exc:
            raise _fail(out, exc) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_text_files(out_dir: str | Path, files: dict[str, str]) -> list[Path]:
    """Write ``{name: text}`` (UTF-8) into ``out_dir`` atomically (see the module docstring)."""
    out = Path(out_dir)
    with staged(out) as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]
