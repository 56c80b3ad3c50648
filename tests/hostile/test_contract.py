"""The CLI's contract beyond single hostile files: the error boundary, user code, output integrity.

Concurrency and interruption of report writing, read-only and full destinations, symlinks in
``--out`` and a closed stdout pipe; plus the exit code of an internal error.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.hostile.test_corpus import ROOT, assert_contract, run_cli
from verifier.cli import EXIT_INTERNAL, main
from verifier.errors import ReportWriteError
from verifier.report.writing import staged, write_text_files

SPEC = "normal(0, 0.1)"


@pytest.fixture()
def weights(tmp_path: Path) -> Path:
    np.save(tmp_path / "w.npy", np.random.default_rng(0).normal(0, 0.1, size=(64, 64)).astype(np.float32))
    return tmp_path / "w.npy"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---- the error boundary ------------------------------------------------------------------------------------

def test_internal_error_is_exit_3_one_line(capsys, monkeypatch, weights):
    import verifier

    def broken(*a, **k):
        raise KeyError("a bug")

    monkeypatch.setattr(verifier, "check", broken)
    code, out, err = run(capsys, "check", str(weights), "--expect", SPEC)
    assert code == EXIT_INTERNAL and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "internal error" in lines[0] and "--debug" in lines[0]
    with pytest.raises(KeyError):
        main(["check", str(weights), "--expect", SPEC, "--debug"])


def test_keyboard_interrupt_is_130(capsys, monkeypatch, weights):
    import verifier

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(verifier, "check", interrupted)
    code, _, err = run(capsys, "check", str(weights), "--expect", SPEC)
    assert code == 130 and "interrupted" in err


def test_user_code_prints_go_to_stderr_under_json(tmp_path, capsys):
    (tmp_path / "noisy.py").write_text(
        "print('at import')\n"
        "def init(shape, rng):\n    print('while drawing')\n    return rng.normal(0, 0.1, size=shape)\n")
    code, out, err = run(capsys, "check", f"{tmp_path / 'noisy.py'}:init", "--expect", SPEC, "--shape", "32,32",
                         "--format", "json")
    assert code == 0
    assert json.loads(out)["passed"] is True  # stdout is the report and only the report
    assert "at import" in err and "while drawing" in err


def test_cwd_change_cannot_move_out(tmp_path, capsys, monkeypatch):
    (tmp_path / "mover.py").write_text(
        "import os\n"
        f"def init(shape, rng):\n    os.chdir({str(tmp_path / 'elsewhere')!r})\n    return rng.normal(0, 0.1, size=shape)\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, "check", "mover.py:init", "--expect", SPEC, "--shape", "16,16", "--out", "reports")
    assert code == 0
    assert (tmp_path / "reports" / "report.json").is_file()
    assert not (tmp_path / "elsewhere" / "reports").exists()


def test_timeout(tmp_path, capsys):
    (tmp_path / "slow.py").write_text("import time\ndef init(shape):\n    time.sleep(60)\n")
    code, _, err = run(capsys, "check", f"{tmp_path / 'slow.py'}:init", "--expect", SPEC, "--shape", "4,4",
                       "--timeout", "0.5")
    assert code == 2 and "timed out" in err


def test_verdict_printed_before_reports_fail(capsys, weights, tmp_path):
    target = tmp_path / "a_file"
    target.write_text("x")
    code, out, err = run(capsys, "check", str(weights), "--expect", "normal(0, 1)", "--out", str(target))
    assert code == 2
    assert out.startswith("FAIL")  # the verdict was not lost
    assert "not a folder" in err and str(target) in err


# ---- atomic reports ----------------------------------------------------------------------------------------

def test_symlink_in_out_is_replaced_not_followed(capsys, weights, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / "report.md").symlink_to(victim)
    code, _, _ = run(capsys, "check", str(weights), "--expect", SPEC, "--out", str(out))
    assert code == 0
    assert victim.read_text() == "precious\n"
    assert not (out / "report.md").is_symlink() and "verifier check" in (out / "report.md").read_text()


def test_failure_inside_staging_leaves_destination_untouched(tmp_path):
    out = tmp_path / "out"
    write_text_files(out, {"report.json": "old\n", "report.md": "old\n"})
    with pytest.raises(KeyboardInterrupt):
        with staged(out) as tmp:
            (tmp / "report.json").write_text("new\n")
            raise KeyboardInterrupt  # Ctrl-C while rendering/writing
    assert (out / "report.json").read_text() == "old\n" and (out / "report.md").read_text() == "old\n"
    assert [p.name for p in out.iterdir() if p.name.startswith(".verifier-")] == []


def test_unwritable_destination_is_report_write_error(tmp_path):
    with pytest.raises(ReportWriteError, match="not a folder"):
        write_text_files("/dev/full", {"a": "b"})
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReportWriteError, match="choose a writable folder"):
        write_text_files(blocker / "sub", {"a": "b"})


def test_concurrent_writers_leave_one_complete_set(tmp_path):
    out = tmp_path / "out"
    names = [f"f{i}.txt" for i in range(20)]

    def writer(tag: str) -> None:
        for _ in range(15):
            write_text_files(out, {n: tag for n in names})

    threads = [threading.Thread(target=writer, args=(t,)) for t in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({(out / n).read_text() for n in names}) == 1


def test_two_cli_runs_on_one_out_are_consistent(tmp_path, weights):
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-m", "verifier", "check", str(weights), "--expect", spec, "--out",
                               str(out)], env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for spec in ("normal(0, 0.1)", "normal(0, 0.2)")]
    assert sorted(p.wait(timeout=240) for p in procs) == [0, 1]
    title = json.loads((out / "report.json").read_text())["title"]
    assert title in (out / "report.md").read_text() and title in (out / "report.html").read_text()


def _small_files() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_full_disk_is_exit_2_with_the_path(tmp_path, weights):
    proc = run_cli(["check", str(weights), "--expect", SPEC, "--out", str(tmp_path / "out")], tmp_path,
                   preexec=_small_files)
    assert_contract(proc, 2, ("cannot write reports", str(tmp_path / "out")))
    assert proc.stdout.startswith("PASS")  # the verdict came first
    assert not (tmp_path / "out" / "report.html").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_destination(tmp_path, weights, capsys):
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        code, _, err = run(capsys, "check", str(weights), "--expect", SPEC, "--out", str(out))
    finally:
        out.chmod(0o700)
    assert code == 2 and "cannot write reports" in err


def test_closed_pipe_keeps_the_verdict_exit_code(tmp_path, weights):
    for spec, code in (("normal(0, 1)", 1), (SPEC, 0)):
        proc = subprocess.Popen([sys.executable, "-m", "verifier", "check", str(weights), "--expect", spec],
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdout.close()  # the reader went away (`| head -0`)
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=240) == code, err
        assert "Traceback" not in err
