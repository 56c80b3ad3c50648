"""Streamed (chunked, torch-kernel) summaries agree with exact ones within their certified bounds."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy import special

from tests.stats.fakes import FullDisk
from verifier.sources.sample import Sample
from verifier.stats import gof
from verifier.stats.kernels import ERF32_ERROR, pit_error
from verifier.stats.summary import pit_bins, summarize
from verifier.theory.distributions import Normal, TruncatedNormal, Uniform

torch = pytest.importorskip("torch")


def _sample(*chunks, dtype: str = "float32") -> Sample:
    return Sample(tuple(chunks), tuple(chunks[0].shape), dtype, len(chunks), "test", "values", None, "cpu")


def _exact_stats(x: np.ndarray, dist) -> tuple[float, float, float]:
    u = np.sort(dist.cdf(x.astype(np.float64)))
    return gof.ks_exact(u).value, gof.ad_exact(u).value, gof.cvm_exact(u).value


def _streamed(s, backend_note: str = "") -> tuple[gof.GofStatistic, gof.GofStatistic, gof.GofStatistic]:
    b = s.bins
    upper = np.arange(1, b + 1, dtype=np.float64) / b
    kw = dict(within_group=True, u_error=s.pit_error)
    return gof.ks_grouped(s.counts, upper, **kw), gof.ad_grouped(s.counts, upper, **kw), gof.cvm_grouped(s.counts, upper, **kw)


DISTS = [
    Normal(0.0, 0.02),
    Normal(0.3, 0.0123),
    Uniform(-0.05, 0.05),
    TruncatedNormal(0.0, 0.05 / 0.87962566103423978, -0.1, 0.1),
]


@pytest.mark.parametrize("dist", DISTS, ids=str)
@pytest.mark.parametrize("backend", ["torch", "numpy"])
@pytest.mark.parametrize("scale", [1.0, 1.03])
def test_streamed_statistics_bracket_exact(dist, backend: str, scale: float) -> None:
    rng = np.random.default_rng(11)
    x = dist.scaled(scale).sample(60_000, rng).astype(np.float32)
    s = summarize(_sample(x), dist, exact_max=0, backend=backend, block=7_000)
    assert s.mode == "pit" and s.bins == pit_bins(x.size)
    ks, ad, cvm = _streamed(s)
    eks, ead, ecvm = _exact_stats(x, dist)
    assert ks.low - 1e-12 <= eks <= ks.high + 1e-12
    assert ks.bound <= 1 / s.bins + 2 * s.pit_error + 1e-12
    assert ad.low * (1 - 1e-9) <= ead <= ad.high * (1 + 1e-9) + 1e-9
    assert cvm.low * (1 - 1e-9) <= ecvm <= cvm.high * (1 + 1e-9) + 1e-9


@pytest.mark.parametrize("backend", ["torch", "numpy"])
def test_ties_and_bin_edges(backend: str) -> None:
    # Values placed exactly on (float32-rounded) PIT bin edges of a normal, each repeated:
    # the worst case for a float32 cdf; bounds must still contain the exact statistics.
    dist = Normal(0.0, 1.0)
    n = 30_000
    b = pit_bins(n)
    k = np.arange(1, n // 3) * 37 % (b - 1) + 1
    x = np.repeat(dist.ppf(k / b).astype(np.float32), 3)
    x = np.concatenate([x, np.zeros(n - x.size, np.float32)])
    s = summarize(_sample(x), dist, exact_max=0, backend=backend)
    ks, ad, cvm = _streamed(s)
    eks, ead, ecvm = _exact_stats(x, dist)
    assert ks.low - 1e-12 <= eks <= ks.high + 1e-12
    assert cvm.low <= ecvm * (1 + 1e-9) and ecvm <= cvm.high * (1 + 1e-9)


def test_torch_and_numpy_backends_agree() -> None:
    x = np.random.default_rng(3).normal(size=(300, 700)).astype(np.float32)
    x[5, 5] = np.nan
    x[7, 1] = np.inf
    dist = Normal(0.0, 1.0)
    a = summarize(_sample(x), dist, exact_max=0, backend="torch")
    b = summarize(_sample(x), dist, exact_max=0, backend="numpy")
    assert (a.n_total, a.n_nan, a.n_posinf, a.n, a.min, a.max) == (b.n_total, b.n_nan, b.n_posinf, b.n, b.min, b.max)
    assert a.moments.mean == pytest.approx(b.moments.mean, rel=1e-10, abs=1e-12)
    assert a.moments.m2 == pytest.approx(b.moments.m2, rel=1e-9, abs=1e-9)
    # Σx³, Σx⁴ come from float32 products on the torch CPU path (they feed only the sample
    # skewness/kurtosis): agreement relative to Σ|x|^k, far below their sampling error.
    finite = x[np.isfinite(x)].astype(np.float64)
    for m, k in (("m3", 3), ("m4", 4)):
        assert getattr(a.moments, m) == pytest.approx(getattr(b.moments, m), abs=1e-6 * np.sum(np.abs(finite) ** k))
    # Bins may differ only for values within pit_error of an edge.
    moved = np.abs(np.cumsum(a.counts) - np.cumsum(b.counts)).max()
    assert moved <= 5
    ex = summarize(_sample(x), dist, backend="torch")
    en = summarize(_sample(x), dist, backend="numpy")
    assert np.array_equal(ex.sorted_values, en.sorted_values)


def test_chunking_does_not_change_the_summary() -> None:
    x = torch.randn(200_003, generator=torch.Generator().manual_seed(1))
    dist = Normal(0.0, 1.0)
    a = summarize(_sample(x), dist, exact_max=0, block=10_000)
    b = summarize(_sample(x), dist, exact_max=0)
    assert np.array_equal(a.counts, b.counts)
    assert a.moments.m2 == pytest.approx(b.moments.m2, rel=1e-12)
    # non-contiguous and transposed tensors
    t = torch.randn(300, 500, generator=torch.Generator().manual_seed(2))
    for view in (t.T, t[:, ::3], t.T[::2]):
        s = summarize(_sample(view), dist, exact_max=0)
        r = summarize(_sample(view.contiguous().numpy()), dist, exact_max=0, backend="numpy")
        assert s.n == r.n == view.numel()
        assert s.moments.m2 == pytest.approx(r.moments.m2, rel=1e-10)


def test_bfloat16_and_float16_grid_via_torch() -> None:
    t = torch.randn(500_000, generator=torch.Generator().manual_seed(0))
    for dt, name in ((torch.bfloat16, "bfloat16"), (torch.float16, "float16")):
        v = t.to(dt)
        v[::1000] = float("nan")
        a = summarize(_sample(v, dtype=name), backend="torch")
        bits = v.view(torch.int16).numpy().view(np.uint16)
        ref = np.bincount(bits, minlength=65536)
        assert np.array_equal(a.counts, ref)
        assert a.n_nan == 500


def test_float32_erf_error_bound() -> None:
    # Dense sweep of float32 z in [-12, 12] plus random points: torch's float32 erf is
    # within ERF32_ERROR/2 (half the bound used) of scipy's float64 erf.
    z = np.concatenate([np.linspace(-12, 12, 4_000_001, dtype=np.float32),
                        np.random.default_rng(0).normal(scale=3, size=2_000_000).astype(np.float32)])
    got = torch.erf(torch.from_numpy(z)).double().numpy()
    err = np.abs(got - special.erf(z.astype(np.float64))).max()
    assert err <= ERF32_ERROR / 2
    assert pit_error(Normal(0, 1), "float32") < 2.5e-7
    assert pit_error(Normal(0, 1), "float64") < 1e-12


@pytest.mark.parametrize("dist", DISTS + [Normal(-1.5, 0.3), TruncatedNormal(0.1, 1.0, -1.0, 2.5)], ids=str)
def test_misbinned_values_lie_within_pit_error_of_an_edge(dist) -> None:
    # Fast-path counts vs exact float64 bins: at every edge the cumulative counts may differ
    # only by values whose exact u is within pit_error of that edge.
    n = 1_500_000
    x = dist.scaled(1.2).sample(n, np.random.default_rng(2)).astype(np.float32)
    s = summarize(_sample(x), dist, exact_max=0, backend="torch")
    b = s.bins
    u = dist.cdf(x.astype(np.float64))
    exact = np.bincount(np.minimum((u * b).astype(np.int64), b - 1), minlength=b)
    diff = np.abs(np.cumsum(s.counts) - np.cumsum(exact))
    frac = u * b - np.floor(u * b)
    near = np.sort(np.minimum(frac, 1 - frac) / b)  # distance of each u to its nearest edge
    allowed = np.searchsorted(near, s.pit_error, side="right")
    assert diff.sum() <= allowed
    assert diff.max() <= allowed


def test_memory_is_bounded_for_numpy_path(tmp_path) -> None:
    # numpy backend: tracemalloc sees every allocation; extra memory must not grow with n.
    dist = Normal(0.0, 1.0)
    peaks = []
    for n in (2_000_000, 8_000_000):
        x = np.random.default_rng(0).normal(size=n).astype(np.float32)
        tracemalloc.start()
        summarize(_sample(x), dist, exact_max=0, backend="numpy")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 64 * 2**20
    assert peaks[1] < peaks[0] + 8 * 8 * (pit_bins(8_000_000) - pit_bins(2_000_000)) + 2**20


@pytest.mark.slow
def test_large_memmap_streams(tmp_path) -> None:
    n = 100_000_000  # 400 MB float32 on disk
    path = tmp_path / "w.f32"
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n,))
    rng = np.random.default_rng(0)
    for s in range(0, n, 10_000_000):
        mm[s:s + 10_000_000] = rng.normal(scale=0.02, size=10_000_000)
    mm.flush()
    del mm
    ro = np.load(path, mmap_mode="r")
    import verifier

    v = verifier.check(ro, "normal(0, 0.02)")
    assert v.passed, str(v)
    assert v.summary.mode == "pit" and v.summary.n == n
    ks = v.check("ks")
    assert ks.bound is not None and ks.bound <= 1 / pit_bins(n) + 2 * v.summary.pit_error + 1e-15


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "numba"])
@pytest.mark.parametrize("u_error", [0.0, 3e-5, 2e-3])
def test_blockwise_pit_statistics_equal_array_versions(u_error: float, compiled: bool,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Both block paths (numpy, numba's loop) give the array versions' statistics and bounds."""
    from verifier.stats import fused

    if compiled and not fused.available():
        pytest.skip("numba not installed")
    if not compiled:
        monkeypatch.setattr(fused, "_kernels", lambda: None)
    rng = np.random.default_rng(5)
    u = rng.uniform(size=50_000) ** 1.02
    b = 2_237
    counts = np.bincount(np.minimum((u * b).astype(int), b - 1), minlength=b).astype(np.int64)
    upper = np.arange(1, b + 1, dtype=np.float64) / b
    gof._PIT_CACHE.clear()
    ks, ad, cvm = gof.pit_statistics(counts, u_error, block=300)
    for got, ref in ((ks, gof.ks_grouped(counts, upper, within_group=True, u_error=u_error)),
                     (ad, gof.ad_grouped(counts, upper, within_group=True, u_error=u_error)),
                     (cvm, gof.cvm_grouped(counts, upper, within_group=True, u_error=u_error))):
        assert got.value == pytest.approx(ref.value, rel=1e-10)
        assert got.low == pytest.approx(ref.low, rel=1e-9, abs=1e-12)
        assert got.high == pytest.approx(ref.high, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("dist", DISTS + [Normal(-1.5, 0.3)], ids=str)
def test_float64_paths_match_numpy(dist) -> None:
    # float64 data take the float64 kernels (the same ones CUDA uses): bins match the
    # reference float64 cdf except for values within ~1e-13 of an edge.
    x = dist.scaled(1.1).sample(400_000, np.random.default_rng(4))
    a = summarize(_sample(x, dtype="float64"), dist, exact_max=0, backend="torch")
    b = summarize(_sample(x, dtype="float64"), dist, exact_max=0, backend="numpy")
    assert a.pit_error < 1e-12
    assert np.abs(np.cumsum(a.counts) - np.cumsum(b.counts)).max() <= 1
    assert a.moments.m2 == pytest.approx(b.moments.m2, rel=1e-10)
    assert (a.n_below, a.n_above) == (b.n_below, b.n_above)


def test_narrow_counts_that_wrap_are_detected_and_recounted() -> None:
    # 100,000 values in two PIT bins: uint8 bins wrap (mod 256) before the fold, which the
    # fold detects exactly (the counts no longer sum to the values added); the summary is
    # then recounted with int32 bins and equals the numpy path's.
    x = np.where(np.arange(100_000) % 3 == 0, 0.25, -1.5).astype(np.float32)
    dist = Normal(0.0, 1.0)
    a = summarize(_sample(x), dist, exact_max=0, backend="torch")
    b = summarize(_sample(x), dist, exact_max=0, backend="numpy")
    assert a.counts.sum() == 100_000
    assert np.array_equal(a.counts, b.counts)


def test_torch_path_moments_do_not_depend_on_thread_assignment() -> None:
    """Regression (found at the end of wave 2: a 1024×1024 float64 orthogonal_ case, once streamed,
    changed its report's last digits from run to run): the torch kernels' workers took chunks in
    whatever order they came and merged their moments in that order. Moments are now kept per chunk
    and merged in chunk order: every run gives the same bytes (whichever worker took which chunk)."""
    torch = pytest.importorskip("torch")
    from verifier.stats.kernels import summarize_torch

    x = torch.randn(40 * 4096 + 17, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * 0.02 + 0.3
    dist = Normal(0.0, 0.02)
    bins = pit_bins(x.numel())
    first = summarize_torch((x,), "float64", "pit", dist, bins, chunk=4096, workers=2)
    for _ in range(5):
        again = summarize_torch((x,), "float64", "pit", dist, bins, chunk=4096, workers=2)
        assert again.moments == first.moments
        assert np.array_equal(again.counts, first.counts)


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "numba"])
@pytest.mark.parametrize("bins", [12_800, 12_801, 49])
def test_ad_bounds_finite_whatever_the_bin_count(bins: int, compiled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """For 13 % of bin counts B (12,801 and 49 among them) B·(1/B) rounds below 1, so the last bin's
    upper edge passed ``upper < 1`` and its AD weight was log1p(1/0) = inf: the certified A² interval
    was [nan, inf]. The weights' mask now reads the bin index."""
    from verifier.stats import fused

    if compiled and not fused.available():
        pytest.skip("numba not installed")
    if not compiled:
        monkeypatch.setattr(fused, "_kernels", lambda: None)
    assert bins * (1.0 / bins) < 1.0 or bins == 12_800
    counts = np.random.default_rng(bins).poisson(10, bins).astype(np.int64)
    gof._PIT_CACHE.clear()
    ks, ad, cvm = gof.pit_statistics(counts)
    upper = np.arange(1, bins + 1, dtype=np.float64) / bins
    ref = gof.ad_grouped(counts, upper, within_group=True)
    assert np.isfinite([ad.low, ad.high]).all() and ad.low <= ad.value <= ad.high
    assert ad.value == pytest.approx(ref.value, rel=1e-10)


def test_pit_statistics_kernel_that_cannot_be_written_falls_back_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba failing to write the PIT statistics kernel (OSError: a full disk) is met in the calling
    thread, before the second thread starts: numpy computes the same statistics and the compiled
    paths are disabled (a failure inside the worker would have lost half of the sums)."""
    from verifier.stats import fused

    counts = np.random.default_rng(9).poisson(7, 300_000).astype(np.int64)
    monkeypatch.setattr(fused, "_DISABLED", False)
    with monkeypatch.context() as patch:
        patch.setattr(fused, "_kernels", lambda: None)
        gof._PIT_CACHE.clear()
        want = gof.pit_statistics(counts, block=20_000)

    monkeypatch.setattr(fused, "_kernels", lambda: FullDisk())
    gof._PIT_CACHE.clear()
    assert gof.pit_statistics(counts, block=20_000) == want
    assert fused._DISABLED


def test_pit_statistics_errors_in_the_second_thread_are_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in the thread summing the second half of the bins reaches the caller (a lost half
    would give statistics of half the histogram)."""
    from verifier.stats import fused

    monkeypatch.setattr(fused, "_kernels", lambda: None)
    original = gof._pit_block_numpy

    def failing(counts, s0, *args):  # noqa: ANN001, ANN002, ANN202
        if s0 >= counts.size // 2:
            raise MemoryError("second half")
        return original(counts, s0, *args)

    monkeypatch.setattr(gof, "_pit_block_numpy", failing)
    gof._PIT_CACHE.clear()
    with pytest.raises(MemoryError, match="second half"):
        gof.pit_statistics(np.ones(300_000, dtype=np.int64), block=20_000)
