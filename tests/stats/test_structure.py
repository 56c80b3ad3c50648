"""Structure checks (ties, bound atoms, blocks): regressions with the exact inputs of issue 15,
calibration by seeded simulation (false alarms ≤ α), power on broken initializers at 256×512."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats as st

import verifier
from verifier.sources import from_values
from verifier.stats.structure import cell_model, detect_grid, structure_checks, ulp
from verifier.stats.summary import summarize
from verifier.theory.distributions import Normal, TruncatedNormal, Uniform

torch = pytest.importorskip("torch")

ALPHAS = (0.05, 0.01)


def structure_p(values, dist) -> dict[str, float]:
    sample = from_values(values)
    return {c.name: c.pvalue for c in structure_checks(sample, dist, summarize(sample, dist))}


def not_above(rejections: int, reps: int, alpha: float) -> bool:
    """The false-alarm count is not significantly above ``alpha`` (one-sided binomial, 1e-3)."""
    return st.binom.sf(rejections - 1, reps, alpha) > 1e-3


# ---- the model ---------------------------------------------------------------------------


def test_ulp_matches_numpy_spacing() -> None:
    x = np.array([1e-30, 1e-6, 0.02, 0.5, 1.0, 3.0, 1e5])
    assert np.array_equal(ulp(x, "float32"), np.spacing(x.astype(np.float32)).astype(np.float64))
    assert np.array_equal(ulp(x, "float64"), np.spacing(x))
    x16 = np.array([1e-7, 1e-5, 0.02, 0.5, 1.0, 3.0, 1000.0])
    assert np.array_equal(ulp(x16, "float16"), np.spacing(x16.astype(np.float16)).astype(np.float64))
    assert ulp(1.0, "bfloat16") == 2.0**-7 and ulp(0.0, "bfloat16") == 2.0**-133


def test_cell_model_bounds_the_true_collision_rate() -> None:
    """s₂ bounds Σp² of torch's and numpy's float32 generators (measured by ties of 2^17 draws)."""
    n = 1 << 17
    g = torch.Generator().manual_seed(0)
    cases = [
        (torch.empty(n).uniform_(-0.1, 0.1, generator=g).numpy(), Uniform(-0.1, 0.1)),
        (torch.empty(n).normal_(0, 0.02, generator=g).numpy(), Normal(0, 0.02)),
        (np.random.default_rng(0).uniform(-0.1, 0.1, n).astype(np.float32), Uniform(-0.1, 0.1)),
    ]
    for x, dist in cases:
        _, counts = np.unique(x, return_counts=True)
        ties = float(np.sum(counts * (counts - 1) / 2))
        expected = n * (n - 1) / 2 * cell_model(dist, ("float32",)).s2
        assert ties < expected / 2, (dist, ties, expected)


def test_detect_grid() -> None:
    x = torch.randn(1000).bfloat16().float().numpy()
    assert detect_grid(x.astype(np.float64), "float32")[:2] == ("float32", "bfloat16")  # (fp16 holds them too)
    assert detect_grid(x.astype(np.float64), "float64")[:3] == ("float64", "float32", "bfloat16")
    h = np.random.default_rng(0).normal(size=1000).astype(np.float16).astype(np.float32)
    assert detect_grid(h.astype(np.float64), "float32") == ("float32", "float16")
    assert detect_grid(np.random.default_rng(0).normal(size=1000), "float64") == ("float64",)


# ---- regressions: the exact inputs of issue 15 --------------------------------------------


def _flushed_fp16(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    w = torch.empty(1024, 1024).normal_(0.0, 0.02, generator=g).half()
    return torch.where(w.abs() < 2.0**-14, torch.zeros_like(w), w)  # subnormals flushed to zero


def test_flushed_subnormals_fail() -> None:
    """float16 N(0, 0.02) at 1024² with subnormals flushed: ~2,559 exact zeros where ~1 is expected."""
    w = _flushed_fp16(0)
    zeros = int((w == 0).sum())
    assert 2300 < zeros < 2800
    v = verifier.check(w, "normal(0, 0.02)")
    assert not v.passed and v.check("ties").passed is False
    assert "exact zeros" in v.check("ties").detail
    # the same draw without the flush conforms
    g = torch.Generator().manual_seed(0)
    ok = torch.empty(1024, 1024).normal_(0.0, 0.02, generator=g).half()
    assert verifier.check(ok, "normal(0, 0.02)").passed


def _shards_seeded_alike(seed: int, k: int = 4, axis: int = 0, shape: tuple[int, int] = (256, 512)) -> torch.Tensor:
    parts = []
    for _ in range(k):
        part_shape = (shape[0] // k, shape[1]) if axis == 0 else (shape[0], shape[1] // k)
        g = torch.Generator().manual_seed(seed)  # every shard seeded alike
        parts.append(torch.empty(part_shape).normal_(0.0, math.sqrt(2.0 / shape[1]), generator=g))
    return torch.cat(parts, dim=axis)


@pytest.mark.parametrize(("k", "axis"), [(4, 0), (2, 1), (8, 1)])
def test_identical_shards_fail(k: int, axis: int) -> None:
    """Four identical blocks (tensor-parallel shards seeded alike) passed 18 of 20 seeds."""
    for seed in range(20):
        v = verifier.check(_shards_seeded_alike(seed, k, axis), "he_normal")
        assert not v.passed and v.check("blocks").passed is False, str(v)


def test_repeated_rows_fail() -> None:
    g = torch.Generator().manual_seed(0)
    w = torch.nn.init.kaiming_uniform_(torch.empty(256, 512), generator=g)
    w[200] = w[17]  # one row repeated
    v = verifier.check(w, "he_uniform")
    assert not v.passed and "rows repeat" in v.check("blocks").detail
    w = torch.nn.init.kaiming_uniform_(torch.empty(1, 512), generator=g).repeat(256, 1)  # every row alike
    assert not verifier.check(w, he_uniform_fans(512)).passed


def he_uniform_fans(fan_in: int) -> str:
    b = math.sqrt(6.0 / fan_in)
    return f"uniform({-b!r}, {b!r})"


def test_quantised_uniform_fails() -> None:
    """A uniform on 4,096 levels (too few distinct values) has the right shape, not the right ties."""
    rng = np.random.default_rng(0)
    levels = 4096
    x = ((rng.integers(0, levels, size=(256, 512)) + 0.5) / levels * 0.2 - 0.1).astype(np.float32)
    v = verifier.check(x, "uniform(-0.1, 0.1)")
    assert not v.passed and v.check("ties").passed is False


def test_clamped_tail_fails_bound_atoms() -> None:
    """A truncated normal that clamps 0.05 % of its draws onto the bounds instead of redrawing."""
    rng = np.random.default_rng(0)
    dist = TruncatedNormal(0.0, 0.02, -0.04, 0.04)
    x = dist.ppf(rng.uniform(size=256 * 512)).astype(np.float32)
    idx = rng.choice(x.size, size=64, replace=False)
    x[idx[:32]], x[idx[32:]] = np.float32(-0.04), np.float32(0.04)
    p = structure_p(x.reshape(256, 512), dist)
    assert p["bound atoms"] < 1e-12
    assert verifier.check(x.reshape(256, 512), "trunc_normal(std=0.02, a=-0.04, b=0.04)").check("bound atoms").passed is False


def test_bf16_values_stored_as_float32_do_not_false_alarm() -> None:
    """A bf16-trained checkpoint saved in float32: ties are those of the bf16 grid, not a defect."""
    for seed in range(5):
        g = torch.Generator().manual_seed(seed)
        w = torch.empty(256, 512).normal_(0, 0.02, generator=g).bfloat16().float()
        p = structure_p(w, Normal(0, 0.02))
        assert min(p.values()) > 0.01, p


# ---- calibration: false alarms ≤ α ----------------------------------------------------------


def _draws(kind: str, shape: tuple[int, ...], seed: int) -> tuple[object, object]:
    g = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    if kind == "torch normal float32":
        return torch.empty(shape).normal_(0, 0.02, generator=g), Normal(0, 0.02)
    if kind == "torch uniform float32":
        return torch.empty(shape).uniform_(0.0, 1.0, generator=g), Uniform(0.0, 1.0)
    if kind == "torch trunc_normal float32":
        return torch.nn.init.trunc_normal_(torch.empty(shape), std=0.02, a=-0.04, b=0.04, generator=g), \
            TruncatedNormal(0, 0.02, -0.04, 0.04)
    if kind == "numpy normal float64":
        return rng.normal(1.0, 0.5, size=shape), Normal(1.0, 0.5)
    if kind == "normal bfloat16":
        return torch.empty(shape).normal_(0, 0.02, generator=g).bfloat16(), Normal(0, 0.02)
    if kind == "uniform float16":
        return torch.empty(shape, dtype=torch.float64).uniform_(-0.1, 0.1, generator=g).half(), Uniform(-0.1, 0.1)
    if kind == "subnormal-scale float16":
        return torch.empty(shape).normal_(0, 1e-5, generator=g).half(), Normal(0, 1e-5)
    if kind == "bf16 grid stored as float32":
        return torch.empty(shape).normal_(0, 0.02, generator=g).bfloat16().float(), Normal(0, 0.02)
    raise AssertionError(kind)  # pragma: no cover


KINDS = ("torch normal float32", "torch uniform float32", "torch trunc_normal float32", "numpy normal float64",
         "normal bfloat16", "uniform float16", "subnormal-scale float16", "bf16 grid stored as float32")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", [(2,), (5,), (10,), (30,), (8, 16), (64, 64)])
def test_calibration_small_and_medium(kind: str, shape: tuple[int, ...]) -> None:
    reps = 150
    rejected = {(name, a): 0 for name in ("ties", "bound atoms", "blocks") for a in ALPHAS}
    for seed in range(reps):
        values, dist = _draws(kind, shape, seed)
        for name, p in structure_p(values, dist).items():
            for a in ALPHAS:
                rejected[(name, a)] += p <= a
    for (name, a), k in rejected.items():
        assert not_above(k, reps, a), (kind, shape, name, a, k)


@pytest.mark.parametrize("kind", KINDS)
def test_calibration_large(kind: str) -> None:
    reps = 12
    worst = 1.0
    for seed in range(reps):
        values, dist = _draws(kind, (256, 512), 1000 + seed)
        worst = min(worst, *structure_p(values, dist).values())
    assert worst > 0.01 / reps, (kind, worst)  # no false alarm at α = 0.01 in 12 draws of 131,072


def test_calibration_subsampled_and_draws() -> None:
    """Above the exact summary (2^20 values) ties read a random subset; still no false alarm."""
    values, dist = _draws("torch normal float32", (1100, 1000), 7)
    assert min(structure_p(values, dist).values()) > 0.01
    v = verifier.check("torch.nn.init.kaiming_normal_", "he_normal", shape=(64, 128), draws=3)
    assert v.passed and v.check("blocks") is not None


# ---- power at 256×512 ------------------------------------------------------------------------


def test_power_summary() -> None:
    """Each blind spot of issue 15 is caught at 256×512 (or 1024² for the flushed subnormals) in 5 of 5 seeds."""
    for seed in range(5):
        assert not verifier.check(_shards_seeded_alike(seed), "he_normal", seed=seed).passed
        g = torch.Generator().manual_seed(seed)
        row = torch.empty(1, 512).normal_(0, math.sqrt(2 / 512), generator=g)
        assert not verifier.check(row.repeat(256, 1).contiguous(), "he_normal").passed
    assert not verifier.check(_flushed_fp16(3), "normal(0, 0.02)").passed
    # a point mass away from 0: 1 % of the values replaced by one constant
    g = torch.Generator().manual_seed(0)
    w = torch.nn.init.kaiming_normal_(torch.empty(256, 512), generator=g)
    w.view(-1)[torch.randperm(w.numel(), generator=g)[:1311]] = 0.05
    assert verifier.check(w, "he_normal").check("ties").passed is False


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_tensor_same_result_as_cpu() -> None:
    w = _shards_seeded_alike(0)
    dist = Normal(0, math.sqrt(2 / 512))
    assert structure_p(w.cuda(), dist) == structure_p(w, dist)


def test_correlated_shards_fail() -> None:
    """Shards seeded alike but scaled differently share no value, yet are perfectly correlated."""
    w = _shards_seeded_alike(0, 4, 0)
    for j in range(4):
        w[64 * j:64 * (j + 1)] *= 1.0 + 0.01 * j
    v = verifier.check(w, "he_normal")
    assert not v.passed and "correlation +1.000" in v.check("blocks").detail


# ---- the values read: sorted with repeats (no counts) equal distinct values with counts -------


def _dense(x: np.ndarray):  # noqa: ANN202
    """The values read as distinct values with their counts (the representation of a 16-bit
    histogram, and of every sample before the counts were dropped), from sorted finite ``x``."""
    from verifier.stats.structure import _tied_pairs, _Values

    same = x[1:] == x[:-1]
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    counts = np.diff(np.append(starts, x.size)).astype(np.int64)
    return _Values(x[starts], counts, _tied_pairs(counts), int(x.size), f"all {x.size:,} values")


@settings(max_examples=150, deadline=None)
@given(hs.integers(2, 3000), hs.integers(0, 2**32 - 1),
       hs.sampled_from(["continuous", "few ties", "runs", "integers", "constant", "zeros"]))
def test_sorted_values_give_the_checks_of_the_counts(n: int, seed: int, kind: str) -> None:
    """The ties and bound-atom checks of the sorted values with repeats (tied pairs from the runs of
    equal values, counts by binary search) are those of the distinct values with their counts, bit
    for bit: continuous float32 data (no tie), a few ties, long runs (more than 64 tied positions),
    integers, a constant, and ±0 mixed with support bounds; and so are the distinct values with
    counts that samples too large for an exact float64 sum of their tied pairs keep."""
    from verifier.stats import structure
    from verifier.stats.structure import _distinct, _run_pairs, check_bound_atoms, check_ties

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(np.float32).astype(np.float64)
    if kind == "few ties":
        x[rng.integers(n, size=3)] = x[rng.integers(n, size=3)]
    elif kind == "runs":
        x = np.round(x * rng.choice([2.0, 30.0, 1000.0])) / 64.0
    elif kind == "integers":
        x = rng.integers(-3, 4, n).astype(np.float64)
    elif kind == "constant":
        x[:] = 0.25
    elif kind == "zeros":
        x = np.clip(x, -1.0, 1.0)
        x[rng.random(n) < 0.2] = 0.0
        x[rng.random(n) < 0.2] = -0.0
    x = np.sort(x)
    dist = TruncatedNormal(0.0, 1.0, -1.0, 1.0) if kind == "zeros" else Normal(0.0, 1.0)
    got = _distinct(from_values(x), summarize(from_values(x), dist))
    assert got.counts is None and got.m == n
    want = _dense(x)
    assert got.ties == want.ties == _run_pairs(x[1:] == x[:-1])
    for v in (0.0, -0.0, 1.0, -1.0, 0.25, float(x[0]), float(x[-1]), float(x[n // 2]), 7.5):
        assert got.count(v) == want.count(v) == int(np.count_nonzero(x == v))
    model = cell_model(dist, ("float64",))
    assert check_ties(got, model) == check_ties(want, model)
    assert check_bound_atoms(got, model, "float64") == check_bound_atoms(want, model, "float64")
    with pytest.MonkeyPatch.context() as patch:  # above EXACT_PAIRS values: the counts, summed in their order
        patch.setattr(structure, "EXACT_PAIRS", 1)
        dense = _distinct(from_values(x), summarize(from_values(x), dist))
    assert (dense.counts is None) == (want.ties == 0.0)
    assert check_ties(dense, model) == check_ties(want, model)
    assert check_bound_atoms(dense, model, "float64") == check_bound_atoms(want, model, "float64")
