"""The compiled pair statistics of the ``blocks`` check (numba) equal the numpy ones: ``m'``, the
equal counts and the ``keep`` flags exactly, Pearson's ``r`` to float64 rounding. Skipped without
numba."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

pytest.importorskip("numba")

from verifier.stats import blocks  # noqa: E402
from verifier.stats.blocks import MIN_CORRELATION, _pair_statistics, _pair_statistics_numpy  # noqa: E402

pytestmark = pytest.mark.skipif(blocks._kernels() is None, reason="numba kernels unavailable")


def assert_same(v: np.ndarray) -> None:
    m1, same1, r1, keep1 = blocks._kernels().pair_statistics(v, MIN_CORRELATION)
    m2, same2, r2, keep2 = _pair_statistics_numpy(v)
    assert m1.dtype == m2.dtype == same1.dtype == same2.dtype == np.int64
    assert keep1.dtype == keep2.dtype == np.bool_ and r1.dtype == r2.dtype == np.float64
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(same1, same2)
    np.testing.assert_array_equal(keep1, keep2)
    np.testing.assert_allclose(r1, r2, rtol=0, atol=1e-12)
    assert np.all(r1[~keep1] == 0.0) and np.all(np.abs(r1) <= 1.0)


@settings(max_examples=60, deadline=None)
@given(k=hs.sampled_from([2, 3, 4, 8]), m=hs.sampled_from([0, 1, 2, 31, 32, 33, 100, 257]),
       seed=hs.integers(0, 2**32 - 1), kind=hs.sampled_from(["normal", "tied", "constant", "copies"]),
       holes=hs.sampled_from([0.0, 0.02, 0.3, 1.0]), scale=hs.sampled_from([1.0, 1e-3, 1e12]))
def test_kernel_equals_numpy(k: int, m: int, seed: int, kind: str, holes: float, scale: float) -> None:
    """Random, tied (few distinct values), constant-row and copied-row inputs, with NaN/±inf
    holes (a row at a time up to every value), at lengths around ``MIN_CORRELATION``."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((k, m)) * scale + 3.0 * scale
    if kind == "tied":
        v = np.round(v / scale) * scale
    elif kind == "constant":
        v[rng.integers(k)] = 1.5
    elif kind == "copies":
        v[-1] = v[0]
        v[k // 2] = -v[0]
    if holes and m:
        rows = rng.random(k) < 0.5
        v[rows[:, None] & (rng.random((k, m)) < holes)] = rng.choice([np.nan, np.inf, -np.inf])
    assert_same(v)


def test_hole_cases() -> None:
    """Each pair on its own finite positions: a non-finite value in one row leaves the other
    pairs' statistics those of their whole rows; equal infinities are not equal values; a row
    that varies only through its non-finite values does not vary."""
    rng = np.random.default_rng(5)
    v = rng.standard_normal((4, 40))
    v[1, 3] = np.nan
    v[2] = v[3]
    v[2, :5] = v[3, :5] = np.inf
    v[0, 10:] = 0.25
    v[0, :10] = -np.inf
    assert_same(v)
    m, same, r, keep = _pair_statistics(v)
    # pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
    assert m.tolist() == [30, 30, 30, 35, 35, 35]
    assert same[-1] == 35 and keep.tolist() == [False, False, False, True, True, True]
    assert r[-1] == pytest.approx(1.0, abs=1e-15)


def test_dispatch_uses_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_pair_statistics`` calls the compiled loop where numba is usable, numpy otherwise."""
    v = np.random.default_rng(0).standard_normal((8, 64))
    calls = []
    kernels = blocks._kernels()

    class Spy:
        def pair_statistics(self, *args):  # noqa: ANN002, ANN202
            calls.append(args)
            return kernels.pair_statistics(*args)

    monkeypatch.setattr(blocks, "_load_kernels", lambda: Spy())
    _pair_statistics(v)
    assert len(calls) == 1
    monkeypatch.setattr(blocks, "_kernels", lambda: None)
    _pair_statistics(v)
    assert len(calls) == 1


@settings(max_examples=40, deadline=None)
@given(shape=hs.sampled_from([(1000,), (8,), (64, 64), (256, 40), (6, 8, 4), (2, 4, 2, 8), (40, 2)]),
       seed=hs.integers(0, 2**32 - 1), dtype=hs.sampled_from([np.float32, np.float64]),
       holes=hs.sampled_from([0.0, 0.01]), copy=hs.booleans())
def test_split_statistics_equal_each_splits(shape: tuple[int, ...], seed: int, dtype: type, holes: float,
                                            copy: bool) -> None:
    """One compiled call for every split of a tensor compared whole equals the numpy statistics
    of each split's shard matrix, concatenated in split order."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    if copy:  # a repeated half along the last axis
        a[..., : shape[-1] // 2] = a[..., shape[-1] // 2:]
    a.reshape(-1)[rng.random(a.size) < holes] = np.nan
    splits = [(axis, k) for axis, size in enumerate(shape) for k in blocks.SPLITS if size % k == 0]
    spec = np.array([(int(np.prod(shape[:axis])), k, shape[axis] // k, int(np.prod(shape[axis + 1:])))
                     for axis, k in splits], dtype=np.int64)
    got = blocks._kernels().split_statistics(a.reshape(-1), spec, MIN_CORRELATION)
    parts = [_pair_statistics_numpy(blocks._shard_values(a, a, "float64", axis, k, lambda: None))
             for axis, k in splits]
    want = [np.concatenate(c) for c in zip(*parts)]
    for g, w in zip(got[:2] + got[3:], want[:2] + want[3:]):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_allclose(got[2], want[2], rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=hs.integers(0, 2**32 - 1), pairs=hs.integers(1, 80), dfs=hs.integers(1, 4),
       kept=hs.sampled_from([0.0, 0.5, 1.0]))
def test_candidates_equal_numpy(seed: int, pairs: int, dfs: int, kept: float) -> None:
    """The compiled candidate selection equals numpy's: the same pairs, df and t (bit for bit:
    numpy's operations in numpy's order), with tied |r|, r = ±1, NaN r and several df."""
    rng = np.random.default_rng(seed)
    m = rng.integers(32, 32 + dfs, pairs).astype(np.int64)
    same = rng.integers(0, 3, pairs).astype(np.int64) * (rng.random(pairs) < 0.3)
    r = rng.choice([-1.0, 1.0, 0.5, -0.5, np.nan, 0.0], pairs)
    r = np.where(rng.random(pairs) < 0.5, r, rng.uniform(-1, 1, pairs))
    keep = rng.random(pairs) < kept
    r[~keep] = 0.0
    got = blocks._kernels().candidates(m, same, r, keep)
    want = blocks._candidates_numpy(m, same, r, keep)
    for g, w in zip(got[:4], want[:4]):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype
    assert got[4] == want[4]


def test_kernels_import_nothing_compiled_from_the_project() -> None:
    """numba's on-disk cache keys on the kernel file alone: a constant imported from another module
    of the project and changed there would be served stale. Constants are arguments instead; only
    the ``njit`` decorator comes from elsewhere."""
    import ast
    import inspect

    from verifier.stats import blocks_kernels

    tree = ast.parse(inspect.getsource(blocks_kernels))
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    project = [node for node in imports if isinstance(node, ast.ImportFrom) and
               (node.level > 0 or (node.module or "").startswith("verifier"))]
    assert [(node.module, [a.name for a in node.names]) for node in project] == [("fused_kernels", ["njit"])]
    assert all(not alias.name.startswith("verifier") for node in imports if isinstance(node, ast.Import)
               for alias in node.names)


@settings(max_examples=40, deadline=None)
@given(shape=hs.sampled_from([(1000,), (8,), (32,), (64, 64), (6, 8, 4), (2, 4, 2, 8), (40, 2)]),
       seed=hs.integers(0, 2**32 - 1), dtype=hs.sampled_from([np.float32, np.float64]),
       holes=hs.sampled_from([0.0, 0.01]), copy=hs.booleans())
def test_split_candidates_are_the_two_calls(shape: tuple[int, ...], seed: int, dtype: type, holes: float,
                                            copy: bool) -> None:
    """The fused call returns what :func:`split_statistics` then :func:`candidates` give, packed as
    :func:`verifier.stats.blocks._candidates` packs them (compiled or numpy candidates), bit for bit
    (each part compiled with its own fastmath flags)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    if copy:
        a[..., : shape[-1] // 2] = a[..., shape[-1] // 2:]
    a.reshape(-1)[rng.random(a.size) < holes] = np.nan
    _splits, _whole, spec = blocks._split_plan(shape)
    kernels = blocks._kernels()
    got = kernels.split_candidates(a.reshape(-1), spec, MIN_CORRELATION)
    stats = kernels.split_statistics(a.reshape(-1), spec, MIN_CORRELATION)
    want = blocks._candidates(stats)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "_kernels", lambda: None)
        numpy = blocks._candidates(stats)
    for w in (want, numpy):
        assert len(got) == len(w) == 7 and got[2:] == w[2:]
        for g, x in zip(got[:2], w[:2]):
            assert g.dtype == x.dtype and g.shape == x.shape
            assert g.tobytes() == x.tobytes()
