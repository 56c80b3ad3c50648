"""Shared report fixtures: a small mixed set of results (every summary mode, a failure, a known
deviation, an exact check, a hostile name), and generated big reports (torch suite, 500-tensor
audit) written once per session."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import verifier


def mixed_results() -> list:
    rng = np.random.default_rng(0)
    good = verifier.check(rng.normal(0, 0.05, size=(128, 128)).astype(np.float32), "normal(0, 0.05)")
    bad = verifier.check(rng.normal(0, 0.06, size=(128, 128)).astype(np.float32), "normal(0, 0.05)")
    bad = dataclasses.replace(bad, sample=dataclasses.replace(bad.sample, source="<script>alert(1)</script>"))
    big = verifier.check(rng.normal(0, 1, size=(1200, 1000)), "normal(0, 1)")  # pit mode
    exact = verifier.check(np.eye(4, dtype=np.float32), "eye", label="eye_")
    known = dataclasses.replace(bad, known_deviation="documented <deviation>. More words.")
    grid = verifier.check(rng.normal(0, 0.1, size=(300, 300)).astype(np.float16), "normal(0, 0.1)")
    shifted = verifier.check((rng.normal(0, 0.1, size=(1000, 1000)) + 0.002).astype(np.float16), "normal(0, 0.1)")
    assert (big.summary.mode, grid.summary.mode, good.summary.mode) == ("pit", "grid", "exact")
    assert good.passed and grid.passed and big.passed and not bad.passed and not shifted.passed
    return [good, bad, big, exact, known, grid, shifted]


@pytest.fixture(scope="session")
def results() -> list:
    return mixed_results()


def audit_500():
    """A generated model of exactly 500 parameter tensors (100 blocks × attention weight and
    bias, LayerNorm weight and bias, a bias-free MLP weight), two of them broken, audited."""
    torch = pytest.importorskip("torch")
    from torch import nn

    from verifier.auditing import audit

    torch.manual_seed(0)
    model = nn.Module()
    model.blocks = nn.ModuleList()
    for _ in range(100):
        block = nn.Module()
        block.attn = nn.Linear(48, 48)
        block.norm = nn.LayerNorm(48)
        block.mlp = nn.Linear(48, 96, bias=False)
        model.blocks.append(block)
    with torch.no_grad():
        model.blocks[3].attn.weight.mul_(2.0)  # gain applied twice
        model.blocks[50].mlp.weight.normal_(0, 0.05)  # normal instead of uniform
    report = audit(model)
    assert len(report.rows) == 500
    return report


@pytest.fixture(scope="session")
def audit_500_dir(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("audit500")
    report = audit_500()
    report.write(out, command="verifier audit tests/report:audit_500")
    return out, report


@pytest.fixture(scope="session")
def torch_suite_dir(tmp_path_factory):
    """The torch suite report, written as `verifier suite torch` does (slow: the full suite)."""
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    from verifier.cli import main

    out = tmp_path_factory.mktemp("torch_suite")
    code = main(["suite", "torch", "--out", str(out)])
    assert code == 0
    return out
