"""The hostile-input corpus through ``python -m verifier`` under a 1 GiB address-space limit.

Each case must end with its documented exit code, and on failure with exactly one line on stderr
(``verifier: error: ...``) and never a traceback: memory is bounded (the limit turns an attempted
37 GiB allocation into a crash, which would show here as a wrong code or a traceback).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile.corpus import INTERRUPTED, OK, USAGE, cases, write_files

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 1 << 30  # 1 GiB of address space


def _installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    write_files(root)
    no_torch = root / "_no_torch"
    no_torch.mkdir()
    (no_torch / "torch.py").write_text("raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    return root


def _limits() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def run_cli(argv, cwd: Path, *, no_torch: bool = False, extra_env=None, timeout: float = 240,
            preexec=_limits, stdout=subprocess.PIPE):
    # one BLAS thread: RLIMIT_AS counts the address space OpenBLAS reserves per thread at import (with
    # torch and numba loaded, a multi-threaded OpenBLAS alone nears 1 GiB), which is not our memory use
    env = {**os.environ, "PYTHONHASHSEED": "0", "COLUMNS": "100", "OPENBLAS_NUM_THREADS": "1"}
    paths = [str(ROOT)] + ([str(cwd / "_no_torch")] if no_torch else [])
    if no_torch:
        paths.reverse()
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")])
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "verifier", *argv], cwd=cwd, env=env, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, preexec_fn=preexec)


def assert_contract(proc, code: int, words=()) -> None:
    err = proc.stderr
    assert "Traceback" not in err, err
    assert proc.returncode == code, (proc.returncode, err[-2000:])
    if code in (OK, 1):
        return
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("user module prints")]
    if code == USAGE and not lines:  # argparse with no command prints its help
        return
    assert len(lines) == 1 and lines[0].startswith("verifier: error: "), err
    for w in words:
        assert w.lower() in lines[0].lower(), lines[0]


CASES = cases(Path("."))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case, corpus: Path) -> None:
    if case.needs_torch and not _installed("torch"):
        pytest.skip("needs torch")
    if case.needs_safetensors and not _installed("safetensors"):
        pytest.skip("needs safetensors")
    proc = run_cli(case.argv, corpus, no_torch=case.no_torch, extra_env=case.env)
    if case.code == USAGE and not case.argv:
        assert proc.returncode == USAGE and "Traceback" not in proc.stderr
        return
    assert_contract(proc, case.code, case.words)
    assert proc.returncode != INTERRUPTED or case.code == INTERRUPTED
