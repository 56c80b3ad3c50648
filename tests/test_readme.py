"""Every Python example in README.md runs as written (the pytest-fixture snippet is run by
tests/test_pytest_plugin.py inside a real pytest session)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
RUNNABLE = [b for b in BLOCKS if "def test_" not in b]


def test_readme_has_examples() -> None:
    assert len(RUNNABLE) >= 4


@pytest.mark.parametrize("index", range(len(RUNNABLE)))
def test_readme_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    exec(compile(RUNNABLE[index], f"README.md example {index}", "exec"), {"__name__": "readme"})


def test_ci_runs_exactly_the_readme_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    (command,) = re.findall(r"^\$ (python3 -m venv \.tox-venv .*tox -e .*)$", text, flags=re.M)
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci.splitlines()
