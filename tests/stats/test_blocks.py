"""The ``blocks`` check: its pair tests' family size and smallest p-value equal the per-pair
textbook tests' (compiled or numpy pair statistics); the shard matrices are the values at the
aligned positions the definition names, whatever the memory layout; repeated slices are counted
exactly."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from scipy import stats as st

from tests.stats.fakes import FullDisk
import verifier
from verifier.stats import blocks
from verifier.stats.blocks import (BLOCK_CAP, MIN_CORRELATION, _first_largest, _pair_statistics, _pair_tests,
                                   _repeated_slices, _shard_values, check_blocks)
from verifier.stats.reading import _host


@pytest.fixture(params=["compiled", "numpy"], autouse=False)
def pair_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with the numba pair statistics (skipped without numba) and with numpy's."""
    if request.param == "compiled":
        if blocks._kernels() is None:
            pytest.skip("numba kernels unavailable")
    else:
        monkeypatch.setattr(blocks, "_kernels", lambda: None)
    return str(request.param)


def _tests(splits: list[tuple[int, int, np.ndarray]], s2: float) -> blocks._Tests:
    """:func:`_pair_tests` of splits given as ``(axis, k, (k, m) shard values)``."""
    stats = [_pair_statistics(v) for _axis, _k, v in splits]
    return _pair_tests([(axis, k) for axis, k, _v in splits], tuple(np.concatenate(c) for c in zip(*stats)),
                       SimpleNamespace(s2=s2))


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


@settings(max_examples=40, deadline=None,  # pair_path's monkeypatch holds for every example
          suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture])
@given(k=hs.sampled_from([2, 4, 8]), m=hs.integers(1, 200), seed=hs.integers(0, 2**32 - 1),
       holes=hs.sampled_from([0.0, 0.05, 0.5]), copy=hs.booleans())
def test_pair_tests_equal_the_textbook_tests(pair_path: str, k: int, m: int, seed: int, holes: float,
                                             copy: bool) -> None:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((k, m)).round(2)  # ties between shards happen
    if copy:
        v[-1] = v[0]
    v[rng.random((k, m)) < holes] = rng.choice([np.nan, np.inf, -np.inf])
    got = _tests([(0, k, v)], 0.01)
    want = _reference(v, 0.01)
    assert got.count == len(want)  # the Bonferroni family: every test counts
    # the smallest is computed exactly; only at r = ±1 (a copied shard), where t = √(df/(1−r²))
    # turns a last-bit rounding of r (0 or 1−2⁻⁵³ from the same rows) into p = 0 or ~1e-239, do
    # the p-values of two correct computations differ, both far below any level
    assert got.pvalue == pytest.approx(min(want), rel=1e-9, abs=1e-200)


def test_several_splits_keep_each_splits_tests(pair_path: str) -> None:
    """Splits of different k and m in one call: each split's p-values are its own."""
    rng = np.random.default_rng(1)
    splits = [(0, 2, rng.standard_normal((2, 300))), (1, 8, rng.standard_normal((8, 40)))]
    splits[1][2][5] = splits[1][2][2]
    got = _tests(splits, 1e-6)
    want = _reference(splits[0][2], 1e-6) + _reference(splits[1][2], 1e-6)
    assert got.count == len(want)
    assert got.pvalue == pytest.approx(min(want), rel=1e-9, abs=1e-300)
    assert "axis 1, 8-way split, shards 2 and 5" in got.describe()
    # the smallest p-value of a split alone is that split's (the other split's tests are larger)
    alone = _tests([splits[0]], 1e-6)
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


def _reference_shards(a: np.ndarray, axis: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """The definition: ``m`` positions of shard 0 (all of them in C order, or ``m = BLOCK_CAP``
    drawn without replacement and sorted), each shard's values at them shifted along ``axis``."""
    size, per = a.shape[axis] // k, a.size // k
    m = min(per, BLOCK_CAP)
    pos = np.sort(rng.choice(per, size=m, replace=False, shuffle=False)) if m < per else np.arange(per)
    idx = list(np.unravel_index(pos, a.shape[:axis] + (size,) + a.shape[axis + 1:]))
    rows = []
    for j in range(k):
        shifted = idx.copy()
        shifted[axis] = idx[axis] + j * size
        rows.append(a[tuple(shifted)].astype(np.float64))
    return np.stack(rows)


LAYOUTS = {
    "C": lambda a: a,
    "fortran": np.asfortranarray,
    "reversed": lambda a: np.flip(np.flip(a).copy()),  # negative strides
    "strided": lambda a: np.repeat(a, 2, axis=-1)[..., ::2],
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("shape", [(1000,), (64, 64), (256, 40), (6, 8, 4), (2, 3 * BLOCK_CAP), (3 * BLOCK_CAP,)])
def test_shard_values_are_the_aligned_positions(shape: tuple[int, ...], layout: str) -> None:
    """Every split of every axis, through one generator in split order (the draws of subsampled
    splits are the definition's), from contiguous, Fortran-ordered, negative-stride and strided
    arrays: the values of the definition, in its column order."""
    a = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    view = LAYOUTS[layout](a)
    assert np.array_equal(view, a)
    got_rng, want_rng = np.random.default_rng(0), np.random.default_rng(0)
    for axis, size in enumerate(shape):
        for k in blocks.SPLITS:
            if size % k:
                continue
            got = _shard_values(view, _host(view), "float32", axis, k, lambda: got_rng)
            want = _reference_shards(a, axis, k, want_rng)
            assert got.dtype == np.float64 and got.shape == want.shape
            assert np.array_equal(got, want), (axis, k)
            # off the host (no _host view): the positions are gathered
            assert np.array_equal(_shard_values(view, None, "float32", axis, k, lambda: np.random.default_rng(9)),
                                  want if want.shape[1] == a.size // k else
                                  _reference_shards(a, axis, k, np.random.default_rng(9)))


def test_half_precision_shards_are_decoded() -> None:
    a = np.random.default_rng(3).standard_normal((16, 24)).astype(np.float16)
    got = _shard_values(a, _host(a), "float16", 1, 4, lambda: np.random.default_rng(0))
    assert np.array_equal(got, _reference_shards(a, 1, 4, np.random.default_rng(0)))


def test_no_generator_unless_a_split_subsamples(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeded generator is created only for splits that draw positions (its cost dominated
    small tensors); a tensor whose every split is compared whole never creates one."""
    made = []
    real = np.random.default_rng

    def counting(*args):  # noqa: ANN002, ANN202
        made.append(args)
        return real(*args)

    monkeypatch.setattr(np.random, "default_rng", counting)
    sample = SimpleNamespace(chunks=(real(1).standard_normal((64, 64)),), dtype="float64")
    check_blocks(sample, SimpleNamespace(s2=1e-9))
    assert made == []
    sample = SimpleNamespace(chunks=(real(1).standard_normal(4 * BLOCK_CAP),), dtype="float64")
    check_blocks(sample, SimpleNamespace(s2=1e-9))
    assert made == [(0,)]


@pytest.mark.parametrize("shape", [(1000,), (64, 64), (256, 40), (6, 8, 4), (2, 3 * BLOCK_CAP)])
def test_check_blocks_same_for_every_layout(shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict does not depend on the memory layout (compiled from the values, reshaped,
    flat-indexed or gathered shards) nor on numba, with non-finite values and a repeated shard."""
    a = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    a.reshape(-1)[::37] = np.nan
    b = a.copy()
    b[..., : shape[-1] // 2] = a[..., shape[-1] // 2:]
    for values in (a, b):
        results = [check_blocks(SimpleNamespace(chunks=(layout(values),), dtype="float32"), SimpleNamespace(s2=1e-7))
                   for layout in LAYOUTS.values()]
        with monkeypatch.context() as patch:
            patch.setattr(blocks, "_kernels", lambda: None)
            want = check_blocks(SimpleNamespace(chunks=(values,), dtype="float32"), SimpleNamespace(s2=1e-7))
        assert want is not None
        for got in results:
            assert got is not None and (got.statistic, got.detail) == (want.statistic, want.detail)
            assert got.pvalue == pytest.approx(want.pvalue, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=hs.integers(0, 2**32 - 1), n=hs.integers(1, 40), groups=hs.integers(1, 4))
def test_first_largest_is_argmax_per_df(seed: int, n: int, groups: int) -> None:
    """Per df, the first largest t (a NaN first, as ``np.argmax`` picks it): the loop it replaces."""
    rng = np.random.default_rng(seed)
    df = rng.integers(30, 30 + groups, n)
    t = rng.integers(0, 4, n).astype(float)  # ties
    t[rng.random(n) < 0.1] = np.nan
    want = [np.flatnonzero(df == d)[np.argmax(t[df == d])] for d in np.unique(df)]
    assert _first_largest(t, df).tolist() == want


@settings(max_examples=30, deadline=None,  # pair_path's monkeypatch holds for every example
          suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture])
@given(seed=hs.integers(0, 2**32 - 1), shape=hs.sampled_from([(5, 4), (12, 3), (4, 5, 6), (3, 2, 2, 3), (40, 1)]),
       dtype=hs.sampled_from([np.float16, np.float32, np.float64]))
def test_repeated_slices_counts_the_repeats(pair_path: str, seed: int, shape: tuple[int, ...], dtype: type) -> None:
    """Slices (along every axis) equal bit for bit to an earlier one, against ``np.unique``;
    a zero's sign makes slices differ. Compiled and numpy hashes."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-1, 2, shape).astype(dtype)  # few values: many repeats
    a[a == 0] *= rng.choice([-1, 1], size=int(np.count_nonzero(a == 0)))  # signed zeros
    if seed % 3 == 0:  # distinct values: no repeats
        a = rng.standard_normal(shape).astype(dtype)
    bits = _host(a) if a.itemsize == 2 else a.view({4: np.uint32, 8: np.uint64}[a.itemsize])
    for axis in range(a.ndim):
        slices = np.moveaxis(bits, axis, 0).reshape(a.shape[axis], -1)
        want = a.shape[axis] - np.unique(slices, axis=0).shape[0]
        assert _repeated_slices(bits, axis) == want


def test_slice_hashes_wrap_as_numpy_sums() -> None:
    """The compiled hashes are numpy's uint64 sums of the bits without the sign bit, wrapping
    modulo 2⁶⁴ alike."""
    kernels = blocks._kernels()
    if kernels is None:
        pytest.skip("numba kernels unavailable")
    bits = np.random.default_rng(0).integers(0, 2**64, (3, 7, 5), dtype=np.uint64)
    mask = np.uint64(2**63 - 1)
    for axis in range(3):
        view = bits.reshape(int(np.prod(bits.shape[:axis])), bits.shape[axis], int(np.prod(bits.shape[axis + 1:])))
        h, shared = kernels.slice_hashes(view, mask)
        others = tuple(d for d in range(3) if d != axis)
        want = np.sum(bits & mask, axis=others, dtype=np.uint64)
        np.testing.assert_array_equal(h, want)
        assert h.dtype == np.uint64 and shared == (np.unique(want).size < want.size)


def test_a_kernel_that_cannot_be_written_falls_back_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba failing to write a compiled kernel (OSError: a full disk) disables the compiled paths
    (as for the fused summary) and the check is computed by numpy, with the same result."""
    from verifier.stats import fused

    monkeypatch.setattr(fused, "_DISABLED", fused._DISABLED)  # restored after the test
    a = np.random.default_rng(6).standard_normal((64, 40)).astype(np.float32)
    a[:, 20:] = a[:, :20]
    sample, model = SimpleNamespace(chunks=(a,), dtype="float32"), SimpleNamespace(s2=1e-7)
    with monkeypatch.context() as patch:
        patch.setattr(blocks, "_kernels", lambda: None)
        want = check_blocks(sample, model)

    monkeypatch.setattr(blocks, "_kernels", lambda: None if fused._DISABLED else FullDisk())
    assert check_blocks(sample, model) == want
    assert fused._DISABLED


@pytest.mark.parametrize("shape", [(32,), (1000,), (64, 64), (6, 8, 4), (40, 2), (2, 3 * BLOCK_CAP)])
@pytest.mark.parametrize("chunks", [1, 2])
def test_candidates_computed_with_the_statistics_give_the_same_result(shape: tuple[int, ...], chunks: int,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample's only chunk whose every split is compared whole gets its statistics' candidates from
    one compiled call (:func:`verifier.stats.blocks_kernels.split_candidates`); the check is the one
    the two calls give, bit for bit, with a repeated shard and with non-finite values (several chunks:
    their statistics concatenated, then the candidates)."""
    if blocks._kernels() is None:
        pytest.skip("numba kernels unavailable")
    rng = np.random.default_rng(8)
    values = [rng.standard_normal(shape).astype(np.float32) for _ in range(chunks)]
    values[0][..., : shape[-1] // 2] = values[0][..., shape[-1] // 2:]
    values[-1].reshape(-1)[::29] = np.nan
    sample, model = SimpleNamespace(chunks=tuple(values), dtype="float32"), SimpleNamespace(s2=1e-6)
    calls: list[str] = []
    real = blocks._compiled

    def spy(name: str, *args):  # noqa: ANN002, ANN202
        calls.append(name)
        return real(name, *args)

    monkeypatch.setattr(blocks, "_compiled", spy)
    got = check_blocks(sample, model)
    fused_calls = calls.count("split_candidates")
    monkeypatch.setattr(blocks, "_compiled", lambda name, *args: None if name == "split_candidates"
                        else real(name, *args))
    want = check_blocks(sample, model)
    assert got is not None and got == want
    assert fused_calls == (1 if chunks == 1 and shape != (2, 3 * BLOCK_CAP) else 0)


@settings(max_examples=60, deadline=None)
@given(seed=hs.integers(0, 2**32 - 1), shape=hs.sampled_from([(1, 5), (5, 1), (2, 2), (5, 4), (12, 3), (64, 64)]),
       dtype=hs.sampled_from([np.float16, np.float32, np.float64]), kind=hs.sampled_from(["few", "distinct", "wrap"]))
def test_shared_slice_hashes_are_each_axis_flag(seed: int, shape: tuple[int, ...], dtype: type, kind: str) -> None:
    """Rows and columns of a matrix in one compiled pass: each flag is :func:`slice_hashes`' for that
    axis (repeated rows or columns, distinct values, and sums that wrap modulo 2⁶⁴); the check is
    the one computed axis by axis."""
    kernels = blocks._kernels()
    if kernels is None:
        pytest.skip("numba kernels unavailable")
    rng = np.random.default_rng(seed)
    a = rng.integers(-1, 2, shape).astype(dtype) if kind == "few" else rng.standard_normal(shape).astype(dtype)
    bits = np.ascontiguousarray(a).view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])
    if kind == "wrap":
        bits = rng.integers(0, np.iinfo(bits.dtype).max, shape, dtype=bits.dtype, endpoint=True)
        a = bits.view(dtype)
    mask = blocks._unsigned_mask(bits)
    rows, cols = shape
    want = (kernels.slice_hashes(bits.reshape(1, rows, cols), mask)[1],
            kernels.slice_hashes(bits.reshape(rows, cols, 1), mask)[1])
    assert kernels.shared_slice_hashes(bits, mask) == want
    model = SimpleNamespace(s2=1e-6)
    got = blocks._slice_tests(a, model)
    real = blocks._compiled
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "_compiled", lambda name, *args: None if name == "shared_slice_hashes"
                      else real(name, *args))
        alone = blocks._slice_tests(a, model)
    assert [(t.count, t.pvalue, t.describe()) for t in got] == [(t.count, t.pvalue, t.describe()) for t in alone]
