"""The KS/AD/CvM omnibus: its p-value is calibrated against the joint null of the three,
monotone, and combines with the other checks so that the verdict's false-alarm rate is α."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sst

from verifier.stats import gof, omnibus
from verifier.stats.checks import CheckResult
from verifier.verdict import decide


@given(st.integers(1, 5000), st.floats(1e-12, 1.0), st.floats(1e-12, 1.0))
@settings(max_examples=300, deadline=None)
def test_pvalue_is_monotone_and_between_m_and_3m(n: int, a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    assert omnibus.pvalue(lo, n) <= omnibus.pvalue(hi, n)
    p = omnibus.pvalue(lo, n)
    assert lo <= p <= min(1.0, 3 * lo) + 1e-15


def _min_p(n: int, reps: int, seed: int) -> np.ndarray:
    u = np.sort(np.random.default_rng(seed).random((reps, n)), axis=1)
    out = np.empty(reps)
    for r in range(reps):
        ur = u[r]
        out[r] = min(gof.ks_pvalue(gof.ks_exact(ur).value, n), gof.ad_pvalue(gof.ad_exact(ur).value, n),
                     gof.cvm_pvalue(gof.cvm_exact(ur).value, n))
    return out


@pytest.mark.parametrize("n", [3, 12, 100, 1000])
def test_omnibus_is_calibrated_on_an_independent_simulation(n: int) -> None:
    reps = 4000
    p = np.array([omnibus.pvalue(m, n) for m in _min_p(n, reps, seed=500 + n)])
    for a in (0.01, 0.05, 0.2):
        rate = float(np.mean(p <= a))
        assert rate <= sst.binom.isf(1e-4, reps, a) / reps, (a, rate)
        assert rate >= 0.5 * a  # and it gives the power back: not Bonferroni's a/3
    # Holm over the three members would reject at a/3, a/2 or a: the omnibus' critical
    # member p-value is larger than a/3
    assert omnibus.critical(0.05, n) > 0.05 / 3


def _check(name: str, p: float) -> CheckResult:
    return CheckResult(name, 0.0, p, "")


def test_members_are_rejected_with_the_omnibus_only() -> None:
    base = (_check("finite", 1.0), _check("degenerate", 1.0), _check("mean", 0.5), _check("variance", 0.5))
    quiet = decide(base + (_check("ks", 0.03), _check("ad", 0.2), _check("cvm", 0.1)), 0.05, n=1000)
    assert all(c.passed for c in quiet) and [c.name for c in quiet][-1] == "shape"
    loud = decide(base + (_check("ks", 0.3), _check("ad", 1e-4), _check("cvm", 0.02)), 0.05, n=1000)
    by = {c.name: c for c in loud}
    assert not by["shape"].passed and not by["ad"].passed and by["ks"].passed


def test_deterministic_checks_spend_no_alpha() -> None:
    # Holm over {mean, variance, shape}: the smallest p needs only <= alpha/3
    checks = (_check("finite", 1.0), _check("degenerate", 1.0), _check("support", 1.0),
              _check("mean", 0.016), _check("variance", 0.9),
              _check("ks", 0.9), _check("ad", 0.9), _check("cvm", 0.9))
    by = {c.name: c for c in decide(checks, 0.05, n=1000)}
    assert not by["mean"].passed
    violated = decide((_check("finite", 0.0),) + checks[1:], 0.05, n=1000)
    assert not violated[0].passed
