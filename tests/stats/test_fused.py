"""The fused compiled pass (numba) gives the reference summary: counts, min/max and PIT
histogram exactly, moments to float64 rounding. Skipped without numba."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

pytest.importorskip("numba")

from verifier.sources.sample import Sample
from verifier.stats import fused
from verifier.stats.summary import Summary, pit_bins, summarize
from verifier.theory.distributions import Normal, TruncatedNormal, Uniform

pytestmark = pytest.mark.skipif(not fused.available(), reason="numba kernels unavailable")


def _sample(*chunks, dtype: str = "float32") -> Sample:
    shape = tuple(np.shape(chunks[0]))
    return Sample(tuple(chunks), shape, dtype, len(chunks), "test", "values", None, "cpu")


def assert_same(a: Summary, b: Summary) -> None:
    """Identical summaries: counts and histograms exactly, moments to float64 rounding."""
    assert (a.mode, a.n_total, a.n_nan, a.n_posinf, a.n_neginf, a.n_below, a.n_above) == \
           (b.mode, b.n_total, b.n_nan, b.n_posinf, b.n_neginf, b.n_below, b.n_above)
    assert a.moments.n == b.moments.n
    if a.n:
        assert (a.min, a.max) == (b.min, b.max)
        m = b.moments
        # float64 summation error bounds (blocked sums: ~(block + n/block)·ε relative to Σ|d|^k;
        # |Σd³| ≤ √(Σd²·Σd⁴) by Cauchy-Schwarz)
        assert abs(a.moments.mean - m.mean) <= 1e-12 * (abs(m.mean) + np.sqrt(m.m2 / m.n))
        assert abs(a.moments.m2 - m.m2) <= 1e-11 * m.m2
        assert abs(a.moments.m4 - m.m4) <= 1e-11 * m.m4
        assert abs(a.moments.m3 - m.m3) <= 1e-11 * np.sqrt(m.m2 * m.m4)
    if a.mode == "exact":
        assert np.array_equal(a.sorted_values, b.sorted_values)
    else:
        assert np.array_equal(a.counts, b.counts)
    assert a.pit_error == 0.0


DISTS = [Normal(0.0, 0.02), Normal(0.3, 2.0), Uniform(-0.05, 0.05), TruncatedNormal(0.0, 0.02, -0.04, 0.04),
         TruncatedNormal(0.01, 0.5, -0.2, 1.5)]


def _draw(dist, n: int, rng) -> np.ndarray:
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high, n)
    x = rng.normal(dist.loc, dist.scale, n)
    if isinstance(dist, TruncatedNormal):
        x = np.clip(x, dist.low, dist.high)  # many values exactly on the bounds: ties, wraps
    return x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("dist", DISTS, ids=str)
def test_pit_summary_equals_reference(dist, dtype: str) -> None:
    rng = np.random.default_rng(1)
    x = _draw(dist, 1_500_000, rng).astype(dtype)
    x[[3, 99, 1000]] = [np.nan, np.inf, -np.inf]
    x[5:8] = dist.support[1] + 1.0 if np.isfinite(dist.support[1]) else 7.0  # above a bounded support
    s = _sample(x, dtype=dtype)
    bins = pit_bins(x.size)
    got = fused.summarize_fused(s.chunks, dtype, "pit", dist, bins)  # raises if it fell back
    assert_same(got, summarize(s, dist, exact_max=0, backend="numpy"))
    assert_same(summarize(s, dist, exact_max=0, backend="fused"), got)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_exact_summary_equals_reference(dtype: str) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(5.0, 0.001, (300, 77)).astype(dtype)  # far from 0: the chunk-mean shift
    x[3, 4] = np.nan
    s = _sample(x.T, x[:10], dtype=dtype)  # a transpose (storage order) and a second draw
    assert_same(summarize(s, backend="fused", exact_max=1 << 20), summarize(s, backend="numpy", exact_max=1 << 20))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_grid_counts_equal_bincount(dtype: str) -> None:
    torch = pytest.importorskip("torch")
    t = (torch.randn(700_001, generator=torch.Generator().manual_seed(0)) * 0.02).to(getattr(torch, dtype))
    t[11] = float("nan")
    s = _sample(t, dtype=dtype)
    got = summarize(s, backend="fused")
    ref = np.bincount(t.view(torch.int16).numpy().view(np.uint16), minlength=65536)
    assert np.array_equal(got.counts, ref)
    assert_same(got, summarize(s, backend="numpy"))


def test_phi_error_is_within_the_stated_bound() -> None:
    # the grid of the module docstring: step 1e-5 over [-10, 10]
    z = np.linspace(-10.0, 10.0, 2_000_001)
    err = np.abs(fused.phi_fast(z) - special.ndtr(z))
    assert err.max() < 5.5e-12  # the fit's weighted error 5.0e-12, plus exp and rounding
    assert err.max() * 9 < fused.U_BAND
    # random points (off the grid), non-finite and huge arguments
    rng = np.random.default_rng(7)
    z = np.concatenate([rng.uniform(-8, 8, 1_000_000), rng.normal(0, 1, 1_000_000),
                        [0.0, -0.0, 7.0, -7.0, 1e300, -1e300, np.inf, -np.inf]])
    got = fused.phi_fast(z)
    assert np.abs(got - special.ndtr(z)).max() < 5.5e-12
    assert ((got > 0) & (got < 1)).all()  # t = B·Φ̃ in (0, B): a bin index in range
    assert np.isfinite(fused.phi_fast(np.array([np.nan]))).all()  # NaN gives some value, no trap


def test_values_on_bin_edges_are_binned_like_the_reference() -> None:
    # values at (float32 roundings of) the exact bin edges Φ⁻¹(k/B): deferred, then re-binned
    n = 400_000
    bins = pit_bins(n)
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, n)
    x[::200] = special.ndtri(rng.integers(1, bins, n // 200) / bins)  # ≤ DEFER_CAP per chunk
    for dtype in ("float64", "float32"):
        s = _sample(x.astype(dtype), dtype=dtype)
        got = fused.summarize_fused(s.chunks, dtype, "pit", Normal(0, 1), bins)
        assert_same(got, summarize(s, Normal(0, 1), exact_max=0, backend="numpy"))


def test_too_many_ties_on_an_edge_fall_back_to_the_reference() -> None:
    x = np.zeros(300_000, dtype=np.float32)  # Φ(0)·B = B/2: every value on an edge (B even)
    s = _sample(x)
    bins = 2 * (pit_bins(x.size) // 2)
    with pytest.raises(fused._DeferOverflow):
        fused.summarize_fused(s.chunks, "float32", "pit", Normal(0, 1), bins)
    assert_same(summarize(s, Normal(0, 1), exact_max=0, backend="fused"),
                summarize(s, Normal(0, 1), exact_max=0, backend="numpy"))


def test_wrapped_narrow_counts_are_exact() -> None:
    x = np.full(100_000, 0.0123, dtype=np.float32)  # one bin gets 1e5 counts: 390 wraps of uint8
    x[::7] = -0.0311
    s = _sample(x)
    assert_same(summarize(s, Normal(0, 0.02), exact_max=0, backend="fused"),
                summarize(s, Normal(0, 0.02), exact_max=0, backend="numpy"))


def test_threads_memmaps_and_torch_views_give_the_same_summary(tmp_path, monkeypatch) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.normal(0, 0.1, (700, 900)).astype(np.float32)
    mm = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=x.shape)
    mm[:] = x
    mm.flush()
    ro = np.load(tmp_path / "x.npy", mmap_mode="r")
    dist = Normal(0, 0.1)
    ref = summarize(_sample(x), dist, exact_max=0, backend="numpy")
    one = fused.summarize_fused((ro,), "float32", "pit", dist, ref.bins, workers=1)
    monkeypatch.setattr(fused, "THREAD_MIN", 0)
    two = fused.summarize_fused((torch.from_numpy(x).t(),), "float32", "pit", dist, ref.bins, workers=2)
    assert_same(one, ref)
    assert np.array_equal(two.counts, ref.counts)  # a transpose reads the same values
    assert_same(two, ref)


def test_without_numba_the_other_paths_are_used(monkeypatch) -> None:
    x = np.random.default_rng(5).normal(0, 1, 5000)
    s = _sample(x, dtype="float64")
    monkeypatch.setattr(fused, "available", lambda: False)
    with pytest.raises(ValueError, match="numba"):
        summarize(s, backend="fused")
    assert_same(summarize(s), summarize(s, backend="numpy"))  # 'auto' falls back


def test_unsupported_null_is_not_fused() -> None:
    class Other(Normal):
        pass

    assert not fused.supports(Other(0, 1), "pit")
    assert fused.supports(None, "exact") and fused.supports(None, "grid")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.floats(-0.125, 0.125, width=32), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 0.04])),
                min_size=1, max_size=300),
       st.sampled_from(DISTS))
def test_fused_equals_reference_on_small_samples(values: list[float], dist) -> None:
    x = np.array(values, dtype=np.float32)
    s = _sample(x)
    assert_same(summarize(s, dist, exact_max=0, backend="fused"), summarize(s, dist, exact_max=0, backend="numpy"))
    assert_same(summarize(s, backend="fused"), summarize(s, backend="numpy"))


@settings(max_examples=25, deadline=None)
@given(st.floats(-3.0, 3.0), st.floats(1e-3, 10.0), st.integers(1, 200_000), st.floats(0.5, 2.0),
       st.floats(-0.5, 0.5), st.sampled_from(["float32", "float64"]), st.integers(0, 2**32 - 1))
def test_fused_equals_reference_for_any_normal_null(loc, scale, n, spread, shift, dtype, seed) -> None:
    # data from a normal that may differ from the null (spread, shift), any n
    x = np.random.default_rng(seed).normal(loc + shift * scale, spread * scale, n).astype(dtype)
    dist = Normal(loc, scale)
    s = _sample(x, dtype=dtype)
    bins = pit_bins(n)
    got = fused.summarize_fused(s.chunks, dtype, "pit", dist, bins)
    assert_same(got, summarize(s, dist, exact_max=0, backend="numpy"))


@pytest.mark.parametrize("dist", [Uniform(-0.05, 0.05), TruncatedNormal(0.01, 0.5, -0.2, 1.5)], ids=str)
def test_bounded_nulls_on_bin_edges_and_support_bounds(dist) -> None:
    n = 300_000
    bins = pit_bins(n)
    rng = np.random.default_rng(8)
    x = _draw(dist, n, rng)
    x[::300] = dist.ppf(rng.integers(1, bins, n // 300) / bins)  # (roundings of) the bin edges
    x[1::300] = dist.support[0]
    x[2::300] = dist.support[1]
    x[3::300] = np.nextafter(dist.support[1], -np.inf)
    x[4::300] = np.nextafter(dist.support[0], np.inf)
    x[5::300] = dist.support[0] - 1.0  # outside: counted below/above, binned at 0 / B - 1
    x[6::300] = dist.support[1] + 1e30
    x[7] = np.nan
    for dtype in ("float64", "float32"):
        s = _sample(x.astype(dtype), dtype=dtype)
        got = fused.summarize_fused(s.chunks, dtype, "pit", dist, bins)
        assert_same(got, summarize(s, dist, exact_max=0, backend="numpy"))


def test_tails_are_binned_at_once_and_match_the_reference() -> None:
    # far tails (|z| past 7, where Φ̃ is flat) and huge values: bins 0 and B - 1 need no re-binning,
    # so a sample 10 times wider than its null is not set aside wholesale
    dist = Normal(0.0, 0.02)
    rng = np.random.default_rng(9)
    x = rng.normal(0.0, 0.2, 400_000)
    x[:40] = 0.02 * np.array([6.9, 7.0, 7.1, 8.3, 9.0, 40.0, 1e10, 1e30] * 5) * np.repeat([1, -1, 1, -1, 1], 8)
    for dtype in ("float64", "float32"):
        xs = x.astype(dtype)
        s = _sample(xs, dtype=dtype)
        got = fused.summarize_fused(s.chunks, dtype, "pit", dist, pit_bins(x.size))  # raises if it fell back
        assert_same(got, summarize(s, dist, exact_max=0, backend="numpy"))


@settings(max_examples=25, deadline=None)
@given(st.floats(-1.0, 1.0), st.floats(1e-3, 2.0), st.floats(-3.0, 1.0), st.floats(0.2, 4.0),
       st.integers(1, 100_000), st.sampled_from(["float32", "float64"]), st.integers(0, 2**32 - 1))
def test_fused_equals_reference_for_any_bounded_null(loc, scale, a, width, n, dtype, seed) -> None:
    # a uniform null on [loc + a·scale, loc + (a + width)·scale] and the normal truncated there; data
    # from the parent normal, so some values fall outside the support
    low, high = loc + a * scale, loc + (a + width) * scale
    x = np.random.default_rng(seed).normal(loc, scale, n).astype(dtype)
    s = _sample(x, dtype=dtype)
    for dist in (Uniform(low, high), TruncatedNormal(loc, scale, low, high)):
        got = fused.summarize_fused(s.chunks, dtype, "pit", dist, pit_bins(n))
        assert_same(got, summarize(s, dist, exact_max=0, backend="numpy"))


@pytest.mark.parametrize("dist", DISTS, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bins_stay_in_range_for_any_input(dist, dtype: str) -> None:
    # the count loop runs without bounds checks: every bin the vectorised loop writes, for every
    # input (non-finite, huge, tiny, on the support bounds), is -1 (set aside) or in [0, B)
    ker = fused._kernels()
    lo, hi = dist.support
    finfo = np.finfo(dtype)
    special_values = [np.nan, np.inf, -np.inf, 0.0, -0.0, finfo.max, -finfo.max, finfo.tiny, -finfo.smallest_subnormal,
                      dist.mean, lo, hi, np.nextafter(lo, 0), np.nextafter(hi, 0), 1e30, -1e30]
    x = np.array([v for v in special_values if not np.isfinite(v) or abs(v) <= finfo.max], dtype=dtype)
    x = np.concatenate([x, np.random.default_rng(10).normal(dist.mean, 50 * dist.std, 3000).astype(dtype)])
    for nb in (100, 707_107):
        kind = fused._pit_kind(dist)
        kbuf = np.full(x.size, -7, dtype=np.int32)
        ker.pit_block(x, 0.0, kind, fused._params(dist, kind, nb), fused.phi_table(), nb, kbuf)
        assert ((kbuf >= -1) & (kbuf < nb)).all()
        finite = np.isfinite(x)
        with np.errstate(over="ignore"):  # (x - loc)/scale of ±finfo.max
            ref = np.minimum((dist.cdf(x[finite]) * nb).astype(np.int64), nb - 1)
        got = kbuf[finite]
        assert np.array_equal(got[got >= 0], ref[got >= 0])  # where the loop is sure, it is right


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=32),
                          st.sampled_from([0.0, -0.0, -1e-45, 1e-45, -3.4e38, 3.4e38])), min_size=1, max_size=5000),
       st.sampled_from(["float32", "float64"]), st.sampled_from([None, Normal(0.0, 1.0)]))
def test_range_from_order_keys_equals_numpy(values: list[float], dtype: str, dist) -> None:
    """min/max come from integer order keys of the bit patterns (vectorised): the finite values'
    numpy min/max for any floats (signs, zeros, subnormals, the largest magnitudes, NaN/inf)."""
    x = np.array(values, dtype=dtype)
    finite = x[np.isfinite(x)]
    got = summarize(_sample(x, dtype=dtype), dist, exact_max=0 if dist is not None else 1 << 14, backend="fused")
    if finite.size:
        assert (got.min, got.max) == (float(finite.min()), float(finite.max()))
    else:
        assert np.isnan(got.min) and np.isnan(got.max)


def test_kernel_constants_are_the_ones_compiled() -> None:
    """numba's cache keys on fused_kernels.py only: the constants it imports from fused.py must be
    restated there, so that changing them rebuilds the cache (a stale SUB would size buffers the
    kernels index without bounds checks)."""
    from verifier.stats import fused_kernels

    assert fused_kernels.COMPILED_CONSTANTS == {name: getattr(fused, name) for name in fused_kernels.COMPILED_CONSTANTS}
    # every constant the kernels import from fused.py is listed
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(fused_kernels))
    imported = {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "fused"
                for a in node.names}
    assert imported == set(fused_kernels.COMPILED_CONSTANTS)
