"""The one-pass summary: moments, merging, and the three goodness-of-fit representations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.stats.fakes import FullDisk
from verifier.sources.sample import Sample
from verifier.stats import gof
from verifier.stats.summary import Moments, Summary, pit_bins, summarize
from verifier.theory.distributions import Normal, Uniform


def _sample(*chunks: np.ndarray, dtype: str = "float64") -> Sample:
    return Sample(tuple(chunks), chunks[0].shape, dtype, len(chunks), "test", "values", None, "cpu")


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=50), st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=50))
def test_moments_merge_equals_whole(a: list[float], b: list[float]) -> None:
    xa, xb = np.array(a), np.array(b)
    merged = Moments.of(xa).merge(Moments.of(xb))
    whole = Moments.of(np.concatenate([xa, xb]))
    assert merged.n == whole.n
    scale = max(1.0, float(np.max(np.abs(np.concatenate([xa, xb])))))
    assert merged.mean == pytest.approx(whole.mean, abs=1e-9 * scale)
    for k, p in (("m2", 2), ("m3", 3), ("m4", 4)):
        assert getattr(merged, k) == pytest.approx(getattr(whole, k), rel=1e-7, abs=1e-7 * scale**p * whole.n)


def test_moments_match_numpy() -> None:
    x = np.random.default_rng(0).normal(size=1000)
    m = Moments.of(x)
    d = x - x.mean()
    assert m.m2 == pytest.approx(np.sum(d**2)) and m.m3 == pytest.approx(np.sum(d**3)) and m.m4 == pytest.approx(np.sum(d**4))
    assert m.variance == pytest.approx(np.var(x, ddof=1))


@pytest.mark.parametrize("mode_n", [("exact", 3000), ("pit", 3000)])
def test_summary_of_halves_merges_to_whole(mode_n: tuple[str, int]) -> None:
    mode, n = mode_n
    x = np.random.default_rng(1).normal(size=n)
    exact_max = 10**9 if mode == "exact" else 0
    whole = summarize(_sample(x), Normal(0, 1), exact_max=exact_max, block=700)
    # Halves summarised separately with the same bins merge exactly.
    halves = summarize(_sample(x), Normal(0, 1), exact_max=exact_max, block=n)
    assert whole.mode == halves.mode == mode
    assert whole.n == halves.n == n
    assert whole.moments.m2 == pytest.approx(halves.moments.m2)
    if mode == "pit":
        assert np.array_equal(whole.counts, halves.counts)
    else:
        assert np.array_equal(whole.sorted_values, halves.sorted_values)


def test_nonfinite_are_counted_and_excluded() -> None:
    x = np.array([0.1, np.nan, np.inf, -np.inf, -0.2, 0.3])
    s = summarize(_sample(x), Normal(0, 1))
    assert (s.n_nan, s.n_posinf, s.n_neginf, s.n, s.n_total) == (1, 1, 1, 3, 6)
    assert (s.min, s.max) == (-0.2, 0.3)


def test_noncontiguous_is_read_without_full_copy() -> None:
    x = np.random.default_rng(2).normal(size=(50, 40)).T  # F-contiguous view
    y = np.random.default_rng(2).normal(size=(30, 40))[:, ::2]  # strided
    for a in (x, y):
        s = summarize(_sample(a), Normal(0, 1))
        assert np.array_equal(s.sorted_values, np.sort(a.ravel()))


def test_pit_histogram_ks_bound_contains_exact_ks() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(scale=1.01, size=20000)
    dist = Normal(0, 1)
    s = summarize(_sample(x), dist, exact_max=0)
    assert s.bins == pit_bins(20000)
    st_ = gof.ks_grouped(s.counts, np.arange(1, s.bins + 1) / s.bins, within_group=True)
    exact = gof.ks_exact(np.sort(dist.cdf(x))).value
    assert st_.low - 1e-12 <= exact <= st_.high + 1e-12
    assert st_.bound <= 1 / s.bins + 1e-12


def test_pit_with_values_on_bin_edges_and_ties() -> None:
    # Adversarial: every value exactly on a PIT bin edge, each repeated three times.
    dist = Uniform(0.0, 1.0)
    m = 3000
    bins = pit_bins(m)
    x = np.repeat(np.arange(0, m // 3) * 7 % bins / bins, 3)
    s = summarize(_sample(x), dist, exact_max=0)
    assert s.bins == bins
    st_ = gof.ks_grouped(s.counts, np.arange(1, bins + 1) / bins, within_group=True)
    exact = gof.ks_exact(np.sort(x)).value
    assert st_.low - 1e-12 <= exact <= st_.high + 1e-12


def test_grid_summary_is_exact_for_bfloat16() -> None:
    torch = pytest.importorskip("torch")
    t = torch.randn(1000, generator=torch.Generator().manual_seed(0)).to(torch.bfloat16)
    t[3] = float("nan")
    s = summarize(_sample(t, dtype="bfloat16"))
    f = t.float().numpy()
    ok = np.isfinite(f)
    assert s.mode == "grid" and s.n_nan == 1 and s.n == 999
    assert s.moments.mean == pytest.approx(f[ok].astype(np.float64).mean(), rel=1e-12)
    assert (s.min, s.max) == (f[ok].min(), f[ok].max())


def test_summary_merge_rejects_mismatch() -> None:
    a = summarize(_sample(np.array([0.0, 1.0])), Normal(0, 1))
    b = Summary("float32", "exact", 0, 0, 0, 0, Moments(), float("nan"), float("nan"), np.array([]))
    with pytest.raises(ValueError):
        a.merge(b)


# ---- grids detected in streamed samples (issue 15: bf16-representable values stored as float32) ----

def _on_grid(n: int, grid: str, seed: int = 0) -> np.ndarray:
    """Normal draws rounded to ``grid`` (bfloat16: round to nearest even on the top 16 bits)."""
    x = np.random.default_rng(seed).standard_normal(n).astype(np.float32)
    if grid == "float16":
        return x.astype(np.float16).astype(np.float32)
    b = x.view(np.uint32)
    return ((b + np.uint32(0x7FFF) + ((b >> 16) & np.uint32(1))) & np.uint32(0xFFFF0000)).view(np.float32)


@pytest.mark.parametrize("grid", ["bfloat16", "float16"])
def test_streamed_float32_on_a_16_bit_grid_is_summarised_on_it(grid: str) -> None:
    from verifier.stats.grid import grid_bits

    x = _on_grid((1 << 20) + 1, grid)  # streamed (above EXACT_MAX)
    s = summarize(_sample(x, dtype="float32"), Normal(0.0, 1.0))
    assert (s.mode, s.dtype, s.stored_as, s.n_total) == ("grid", grid, "float32", x.size)
    assert np.array_equal(s.counts, np.bincount(grid_bits(x, grid), minlength=65536))
    off = x.copy()
    off[-1] = np.nextafter(off[-1], np.float32(np.inf))  # one value off the grid: the continuous law
    assert summarize(_sample(off, dtype="float32"), Normal(0.0, 1.0)).mode == "pit"


def test_bf16_values_stored_as_float32_pass_at_scale() -> None:
    """The input that showed it: 2^23 correct bf16 draws saved as float32 fail KS against the
    continuous law (the grid's steps); tested on the bf16 grid they pass, and the verdict says so."""
    import verifier

    x = _on_grid(1 << 23, "bfloat16")
    s = _sample(x, dtype="float32")
    continuous = gof.pit_statistics(summarize(s, Normal(0.0, 1.0), detect_grid=False).counts)[0]
    assert gof.ks_pvalue(continuous.value, x.size) < 1e-6
    v = verifier.check(x, "normal(0, 1)")
    assert v.passed, str(v)
    assert "lie on the bfloat16 grid" in str(v)


def test_value_grids_of_an_exact_summary() -> None:
    """An exact summary knows the 16-bit grids of its values (asked by the grid re-expression and
    the structure checks); other modes have none."""
    from verifier.stats.grid import grids_holding

    rng = np.random.default_rng(3)
    on_bf16 = (rng.standard_normal(500).astype(np.float32).view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
    for x, grids in ((on_bf16, ("bfloat16", "float16")), (rng.standard_normal(500).astype(np.float32), ())):
        s = summarize(_sample(x, dtype="float32"), Normal(0, 1))
        assert s.mode == "exact" and s.value_grids == grids_holding(s.sorted_values)
        assert set(s.value_grids) <= set(grids) and (bool(s.value_grids) == bool(grids))
    assert summarize(_sample(rng.standard_normal(500)), Normal(0, 1), exact_max=0).value_grids == ()


_FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=32)


@given(st.lists(_FLOATS, max_size=300), st.sampled_from([np.float32, np.float64]), st.sampled_from([1.0, 1e36]))
def test_compiled_exact_block_equals_numpy(values: list[float], dtype: type, scale: float) -> None:
    """The exact summary's compiled call (float64 copy and moments) gives numpy's summary: the same
    sorted values, counts and range; moments to float64 rounding. NaN/±inf anywhere, huge values."""
    from verifier.stats import fused
    from verifier.stats.summary import _exact_block_summary

    pytest.importorskip("numba")
    assert fused.available()  # numba installed: the kernels must compile
    with np.errstate(over="ignore"):
        x = (np.asarray(values, dtype=np.float64) * scale).astype(dtype)
    a, b = _exact_block_summary(x, "float32", compiled=True), _exact_block_summary(x, "float32", compiled=False)
    assert (a.n_total, a.n_nan, a.n_posinf, a.n_neginf) == (b.n_total, b.n_nan, b.n_posinf, b.n_neginf)
    assert (a.n_nan, a.n_posinf, a.n_neginf) == (int(np.isnan(x).sum()), int(np.isposinf(x).sum()),
                                                 int(np.isneginf(x).sum()))
    assert a.sorted_values is not None and b.sorted_values is not None
    assert a.sorted_values.dtype == np.float64 and np.array_equal(a.sorted_values, b.sorted_values)
    assert np.array_equal([a.min, a.max], [b.min, b.max], equal_nan=True)
    assert a.moments.n == b.moments.n == a.sorted_values.size
    if not a.moments.n or not np.isfinite(b.moments.m4):
        return
    v = b.sorted_values
    d = np.abs(v - b.moments.mean)  # each sum's rounding is relative to its sum of magnitudes
    for f, magnitude in (("mean", np.abs(v).mean()), ("m2", np.sum(d**2)), ("m3", np.sum(d**3)), ("m4", np.sum(d**4))):
        assert abs(getattr(a.moments, f) - getattr(b.moments, f)) <= 1e-12 * magnitude, f


def test_exact_block_without_a_writable_kernel_is_numpys(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba failing to write the compiled call (OSError) gives numpy's exact summary and disables the
    compiled paths; never an exception."""
    from verifier.stats import fused
    from verifier.stats.summary import _exact_block_summary

    x = np.random.default_rng(4).standard_normal(257).astype(np.float32)
    want = _exact_block_summary(x, "float32", compiled=False)
    monkeypatch.setattr(fused, "_DISABLED", False)
    monkeypatch.setattr(fused, "_kernels", lambda: FullDisk())
    got = _exact_block_summary(x, "float32", compiled=True)
    assert got.moments == want.moments and np.array_equal(got.sorted_values, want.sorted_values)  # type: ignore[arg-type]
    assert fused._DISABLED
