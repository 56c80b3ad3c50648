"""Intervals over seeds and the kept/vanishing/exploding/undecided decision (no torch needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from verifier.errors import SpecError
from verifier.propagation.verdict import (
    classify,
    log_t_interval,
    validate_confidence,
    validate_k,
)


def test_interval_is_the_t_interval_of_the_logs() -> None:
    v = [0.5, 0.6, 0.55, 0.52, 0.58]
    iv = log_t_interval(v, 0.9)
    logs = np.log(v)
    lo, hi = stats.t.interval(0.9, len(v) - 1, loc=logs.mean(), scale=stats.sem(logs))
    assert math.isclose(iv.estimate, math.exp(logs.mean()))
    assert math.isclose(iv.low, math.exp(lo)) and math.isclose(iv.high, math.exp(hi))


@pytest.mark.parametrize("seeds", [2, 3, 5, 10])
def test_coverage_is_nominal_for_lognormal_ratios(seeds: int) -> None:
    """The stated null: log ratios normal across seeds. 2000 seeded replications; the binomial
    99.9 % band around 95 % coverage is about ±1.6 %."""
    rng = np.random.default_rng(seeds)
    covered = sum(log_t_interval(np.exp(rng.normal(math.log(0.5), 0.3, seeds)), 0.95).contains(0.5)
                  for _ in range(2000))
    assert 0.95 - 0.016 <= covered / 2000 <= 0.95 + 0.016


def test_decisions() -> None:
    assert classify(log_t_interval([1.0, 1.1, 0.95, 1.05]), 2) == "kept"
    assert classify(log_t_interval([0.01, 0.012, 0.011]), 2) == "vanishing"
    assert classify(log_t_interval([10.0, 11.0, 12.0]), 2) == "exploding"
    assert classify(log_t_interval([0.3, 3.0]), 2) == "undecided"
    assert classify(log_t_interval([0.0, 0.0]), 2) == "vanishing"
    assert classify(log_t_interval([math.inf, 1.0]), 2) == "exploding"


@given(st.lists(st.floats(0.01, 100), min_size=2, max_size=8), st.floats(1.01, 10))
def test_kept_only_when_the_whole_interval_is_inside(values: list[float], k: float) -> None:
    iv = log_t_interval(values)
    status = classify(iv, k)
    assert (status == "kept") == (1 / k <= iv.low and iv.high <= k)
    assert iv.low <= iv.estimate <= iv.high
    per = iv.power(0.5)
    assert math.isclose(per.estimate, math.sqrt(iv.estimate))


def test_bad_arguments() -> None:
    with pytest.raises(SpecError):
        validate_k(1.0)
    with pytest.raises(SpecError):
        validate_confidence(1.0)


def test_without_torch_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from verifier.errors import SourceError
    from verifier.propagation import propagate

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(SourceError, match=r"needs torch; pip install 'verifier\[torch\]'"):
        propagate("pkg.mod:build")
