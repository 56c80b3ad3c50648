"""Colour follows --color, NO_COLOR and FORCE_COLOR, checked in a real pseudo-terminal; unknown names
get a "did you mean"."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from verifier.cli import main
from verifier.report.terminal import set_color, use_color

ESC = b"\x1b["


def _run_in_pty(args: list[str], env: dict[str, str], cwd: Path) -> bytes:
    """Run ``python -m verifier ARGS`` with stdout on a pseudo-terminal; return what it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "verifier", *args], stdout=follower, stderr=subprocess.DEVNULL,
                            env=env, cwd=cwd)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=120)
    os.close(leader)
    return out


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    np.save(tmp_path / "w.npy", np.random.default_rng(0).normal(0.0, 0.1, (32, 32)).astype(np.float32))
    return tmp_path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


@pytest.mark.parametrize(
    ("extra_args", "env", "coloured"),
    [
        ([], {}, True),                                   # auto on a terminal
        ([], {"NO_COLOR": "1"}, False),                   # no-color.org
        (["--color=always"], {"NO_COLOR": "1"}, True),    # the option wins
        (["--color=never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": ""}, True),  # an empty NO_COLOR does not count
    ],
)
def test_color_under_a_pseudo_terminal(weights: Path, extra_args: list[str], env: dict[str, str],
                                       coloured: bool) -> None:
    out = _run_in_pty([*extra_args, "check", "w.npy", "--expect", "normal(0, 0.1)"], _env(**env), weights)
    assert b"PASS" in out
    assert (ESC in out) is coloured


def test_force_color_without_a_terminal(weights: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "verifier", "check", "w.npy", "--expect", "normal(0, 0.1)"],
                         capture_output=True, env=_env(FORCE_COLOR="1"), cwd=weights, timeout=120)
    assert ESC in run.stdout
    plain = subprocess.run([sys.executable, "-m", "verifier", "check", "w.npy", "--expect", "normal(0, 0.1)"],
                           capture_output=True, env=_env(), cwd=weights, timeout=120)
    assert ESC not in plain.stdout


def test_use_color_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    try:
        assert use_color(Tty())
        monkeypatch.setenv("NO_COLOR", "1")
        assert not use_color(Tty())
        set_color("always")
        assert use_color(Tty())
        set_color("never")
        monkeypatch.setenv("FORCE_COLOR", "1")
        assert not use_color(Tty())
        with pytest.raises(ValueError, match="--color must be one of auto, always, never"):
            set_color("sometimes")
    finally:
        set_color("auto")


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["chek", "x"], "did you mean 'check'?"),
        (["check", "x", "--expect", "he_normal", "--dtype", "bfloat61"], "did you mean 'bfloat16'?"),
        (["--color", "allways", "specs"], "did you mean 'always'?"),
    ],
)
def test_did_you_mean(capsys: pytest.CaptureFixture[str], argv: list[str], hint: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert hint in err and len(err.strip().splitlines()) == 1


def test_cli_imports_modules_from_the_working_directory(tmp_path: Path) -> None:
    """``verifier check mymod:init`` finds ./mymod.py as ``python -m`` would, from the console script."""
    (tmp_path / "mymod.py").write_text(
        "def init(shape, rng):\n    return rng.normal(0.0, 0.1, size=shape)\n", encoding="utf-8")
    script = Path(sys.executable).with_name("verifier")
    command = [str(script)] if script.exists() else [sys.executable, "-c",
                                                     "import sys; from verifier.cli import main; "
                                                     "sys.path.pop(0); sys.exit(main())"]
    run = subprocess.run([*command, "check", "mymod:init", "--expect", "normal(0, 0.1)", "--shape", "64,64"],
                         capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "PASS" in run.stdout
