"""verifier.extremes: the structure checks of a large sample run beside the summary pass (or beside
the summary's tests) and give the verdict of running them in turn."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import verifier
from verifier import extremes

N = extremes.OVERLAP_MIN + 8  # streamed, and divisible by 8: every shard split applies


def _tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    normal = rng.standard_normal(N).astype(np.float32)
    on_grid = (normal.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)  # on the bf16 grid: checks run again
    shard = rng.standard_normal(N // 4).astype(np.float32)
    repeated = np.tile(shard, 4)  # 4 identical shards: the blocks check fails
    with_nan = normal.copy()
    with_nan[::1000] = np.nan
    return {"normal": normal, "on_grid": on_grid, "repeated": repeated, "with_nan": with_nan}


def _fields(v: verifier.Verdict) -> list[tuple]:
    return [(c.name, c.statistic, c.pvalue, c.passed, c.detail) for c in v.checks]


@pytest.mark.parametrize("name", ["normal", "on_grid", "repeated", "with_nan"])
def test_overlapped_structure_checks_equal_sequential(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    x = _tensors()[name]
    overlapped = verifier.check(x, "normal(0, 1)")
    monkeypatch.setattr(extremes, "OVERLAP_MIN", 1 << 62)
    sequential = verifier.check(x, "normal(0, 1)")
    assert _fields(overlapped) == _fields(sequential)
    assert overlapped.passed == sequential.passed
    names = {c.name for c in overlapped.checks}
    assert {"ties", "blocks"} <= names
    if name == "repeated":
        assert overlapped.check("blocks").passed is False
    if name == "on_grid":
        assert overlapped.summary.mode == "grid"


def test_reused_summary_of_a_large_sample() -> None:
    """A summary passed in is reused; its structure checks still run (beside the tests)."""
    x = _tensors()["repeated"]
    v = verifier.check(x, "normal(0, 1)")
    from verifier.pipeline import evaluate
    from verifier.sources import from_source
    from verifier.theory.parsing import as_spec

    again = evaluate(from_source(x), as_spec("normal(0, 1)"), summary=v.summary)
    assert _fields(again) == _fields(v)
    assert dataclasses.replace(again, diagnosis=None).passed is False
