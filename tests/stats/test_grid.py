"""The 16-bit grids and the rounded null."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.stats.grid import grid_values, round_to_dtype, rounded_null
from verifier.theory.distributions import Normal, Uniform


def test_grid_values_decode_every_pattern() -> None:
    f16 = grid_values("float16")
    assert f16.size == 65536 and np.isnan(f16).sum() == 2 * 1023
    assert np.array_equal(f16[~np.isnan(f16)], np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float64)[~np.isnan(f16)])
    bf = grid_values("bfloat16")
    assert bf[0x3F80] == 1.0 and bf[0xBF80] == -1.0 and np.isposinf(bf[0x7F80])
    torch = pytest.importorskip("torch")
    ref = torch.arange(65536, dtype=torch.int32).to(torch.int16).view(torch.bfloat16).double().numpy()
    same = (ref == bf) | (np.isnan(ref) & np.isnan(bf))
    assert same.all()


def test_rounded_null_probabilities_are_rounding_intervals() -> None:
    counts = np.zeros(65536, dtype=np.int64)
    r = rounded_null(counts, "bfloat16", Uniform(-1.0, 1.0))
    assert r.prob.sum() == pytest.approx(1.0)
    one = np.searchsorted(r.values, 1.0)
    # 1.0 in bf16 has neighbours 1 - 2^-8 and 1 + 2^-7: it keeps the half interval below it.
    assert r.prob[one] == pytest.approx(2**-9 / 2)
    assert r.prob[one + 1] == 0.0
    assert r.mean == pytest.approx(0.0, abs=1e-12)


def test_rounded_normal_moments_are_close_to_continuous() -> None:
    r = rounded_null(np.zeros(65536, dtype=np.int64), "float16", Normal(0, 0.05))
    assert r.central_moment(2) == pytest.approx(0.05**2, rel=1e-5)
    assert r.central_moment(4) == pytest.approx(3 * 0.05**4, rel=1e-4)


def test_round_to_dtype() -> None:
    assert round_to_dtype(0.1, "bfloat16") == 0.10009765625
    assert round_to_dtype(0.1, "float16") == float(np.float16(0.1))
    assert round_to_dtype(0.1, "float32") == float(np.float32(0.1))
    assert round_to_dtype(0.1, "float64") == 0.1


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_quick_reject_never_rejects_a_grid_value(dtype: str) -> None:
    """Every finite value of the 16-bit grid (subnormals, ±0, the extremes) passes the quick test, as
    float32 and as float64; a value off the grid is caught by it or by the full test."""
    from verifier.stats.grid import _surely_off, grid_bits, grid_values

    g = grid_values(dtype)
    g = g[np.isfinite(g)]
    for chunk in np.array_split(g, 64):
        assert not _surely_off(chunk, dtype)
        assert not _surely_off(chunk.astype(np.float32), dtype)
    off = np.nextafter(np.float32(g[g > 0][::97]), np.float32(np.inf))  # one float32 ulp above grid values
    assert _surely_off(off, dtype)
    assert grid_bits(np.concatenate([g[:100], off[:1]]).astype(np.float64), dtype) is None


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["float32", "bfloat16", "float16", "mixed"]), st.integers(1, 300), st.integers(0, 2**32 - 1))
def test_grids_holding_is_each_grid_checked_alone(kind: str, n: int, seed: int) -> None:
    """The shared quick reject never drops a grid that holds every value (values stored as
    float32/float64, on either 16-bit grid, on both, on neither, or all but one on a grid)."""
    from verifier.stats.grid import grid_bits, grids_holding

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(np.float32)
    if kind == "bfloat16":
        x = (x.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
    elif kind == "float16":
        x = x.astype(np.float16).astype(np.float32)
    elif kind == "mixed":
        x = x.astype(np.float16).astype(np.float32)
        x[rng.integers(n)] = np.float32(1.0 + 2.0**-20)
    for values in (x, x.astype(np.float64)):
        assert grids_holding(values) == tuple(g for g in ("bfloat16", "float16") if grid_bits(values, g) is not None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=70), st.sampled_from(["bfloat16", "float16"]),
       st.integers(0, 2**32 - 1))
def test_quick_reject_is_the_fraction_bit_test_and_sound(patterns: list[int], dtype: str, seed: int) -> None:
    """The quick reject (its first value alone, then all of them) is exactly "a finite value has a
    fraction bit set that no ``dtype`` value has", and never rejects values the full test accepts:
    random float64 bit patterns (NaN, ±inf, subnormals included), half of them cut to ``dtype``'s
    precision (fraction bits cleared, grid values among them)."""
    from verifier.stats.grid import _LOW_BITS, _surely_off, grid_bits

    rng = np.random.default_rng(seed)
    bits = np.array(patterns, dtype=np.uint64)
    cut = rng.random(bits.size) < 0.5
    bits[cut] &= ~np.uint64(_LOW_BITS[dtype])
    h = bits.view(np.float64)
    with np.errstate(invalid="ignore"):
        want = bool(np.any(np.isfinite(h) & ((bits & np.uint64(_LOW_BITS[dtype])) != 0)))
    assert _surely_off(h, dtype) == want
    if want:
        with np.errstate(all="ignore"):
            assert grid_bits(h, dtype) is None
