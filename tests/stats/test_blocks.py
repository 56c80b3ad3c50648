"""The ``blocks`` check's pair tests: their family size and smallest p-value equal the per-pair
textbook tests'."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats as st

import verifier
from verifier.stats.blocks import MIN_CORRELATION, _pair_tests


def _reference(v: np.ndarray, s2: float) -> list[float]:
    """Per pair (itertools order): the binomial identity p, then (when defined) Pearson's p."""
    same_p, corr_p = [], []
    k = v.shape[0]
    for i in range(k):
        for j in range(i + 1, k):
            ok = np.isfinite(v[i]) & np.isfinite(v[j])
            a, b = v[i][ok], v[j][ok]
            same = int(np.count_nonzero(a == b))
            same_p.append(1.0 if same == 0 else float(st.binom.sf(same - 1, a.size, s2)))
            if a.size >= MIN_CORRELATION and np.ptp(a) > 0 and np.ptp(b) > 0:
                corr_p.append(float(st.pearsonr(a, b).pvalue))
    return same_p + corr_p


@settings(max_examples=40, deadline=None)
@given(k=hs.sampled_from([2, 4, 8]), m=hs.integers(1, 200), seed=hs.integers(0, 2**32 - 1),
       holes=hs.sampled_from([0.0, 0.05, 0.5]), copy=hs.booleans())
def test_pair_tests_equal_the_textbook_tests(k: int, m: int, seed: int, holes: float, copy: bool) -> None:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((k, m)).round(2)  # ties between shards happen
    if copy:
        v[-1] = v[0]
    v[rng.random((k, m)) < holes] = rng.choice([np.nan, np.inf, -np.inf])
    got = _pair_tests([(0, k, v)], SimpleNamespace(s2=0.01))
    want = _reference(v, 0.01)
    assert got.count == len(want)  # the Bonferroni family: every test counts
    assert got.pvalue == pytest.approx(min(want), rel=1e-9, abs=1e-300)  # the smallest is computed exactly


def test_several_splits_keep_each_splits_tests() -> None:
    """Splits of different k and m in one call: each split's p-values are its own."""
    rng = np.random.default_rng(1)
    splits = [(0, 2, rng.standard_normal((2, 300))), (1, 8, rng.standard_normal((8, 40)))]
    splits[1][2][5] = splits[1][2][2]
    got = _pair_tests(splits, SimpleNamespace(s2=1e-6))
    want = _reference(splits[0][2], 1e-6) + _reference(splits[1][2], 1e-6)
    assert got.count == len(want)
    assert got.pvalue == pytest.approx(min(want), rel=1e-9, abs=1e-300)
    assert "axis 1, 8-way split, shards 2 and 5" in got.describe()
    # the smallest p-value of a split alone is that split's (the other split's tests are larger)
    alone = _pair_tests([splits[0]], SimpleNamespace(s2=1e-6))
    assert alone.pvalue == pytest.approx(min(_reference(splits[0][2], 1e-6)), rel=1e-9)


def test_identical_shards_with_nan_fail() -> None:
    """Shards seeded alike fail even when some values are NaN (each pair on its finite positions);
    the NaNs themselves fail the ``finite`` check."""
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(3)
    shard = torch.empty(64, 128).normal_(0.0, math.sqrt(2 / 128), generator=g)
    w = torch.cat([shard, shard])
    w[5, 7] = float("nan")
    v = verifier.check(w, "he_normal")
    assert v.check("blocks").passed is False, str(v)
    assert "2-way split, shards 0 and 1" in v.check("blocks").detail
