"""Power: deliberately broken initializers at 256×512 (n = 131,072) fail at the default α.

Each case is a real bug seen in the wild, drawn with a fixed seed and checked against the
spec it claims. The correct initializer is checked too, so a check that always fails
cannot pass this file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import verifier

SHAPE = (256, 512)  # torch layout: fan_out 256, fan_in 512
FAN_IN, FAN_OUT = 512, 256
SIGMA = math.sqrt(2 / FAN_IN)  # he_normal, fan_in, gain √2


def correct(shape, rng):
    return rng.normal(0.0, SIGMA, size=shape)


def fans_swapped(shape, rng):
    return rng.normal(0.0, math.sqrt(2 / FAN_OUT), size=shape)


def variance_as_std(shape, rng):
    return rng.normal(0.0, 2 / FAN_IN, size=shape)


def gain_missing(shape, rng):
    return rng.normal(0.0, math.sqrt(1 / FAN_IN), size=shape)


def scale_3_percent(shape, rng):
    return rng.normal(0.0, 1.03 * SIGMA, size=shape)


def uniform_same_variance(shape, rng):
    b = math.sqrt(3) * SIGMA
    return rng.uniform(-b, b, size=shape)


def keras_truncated(shape, rng):
    dist = verifier.he_normal(truncated=True).distribution(shape)
    return dist.ppf(rng.uniform(size=shape))


def rows_repeated(shape, rng):
    return np.tile(rng.normal(0.0, SIGMA, size=(1, shape[1])), (shape[0], 1))


def one_nan(shape, rng):
    w = rng.normal(0.0, SIGMA, size=shape)
    w[17, 42] = np.nan
    return w


def all_zeros(shape, rng):
    return np.zeros(shape)


BUGS: dict[str, Callable] = {
    "fan_in/fan_out swapped": fans_swapped,
    "variance passed as std": variance_as_std,
    "√2 gain missing": gain_missing,
    "3 % scale error": scale_3_percent,
    "uniform where normal is expected": uniform_same_variance,
    "Keras-truncated where plain normal is expected": keras_truncated,
    "every row the same": rows_repeated,
    "one NaN": one_nan,
    "all zeros": all_zeros,
}


def test_correct_initializer_passes() -> None:
    assert verifier.check(correct, "he_normal", shape=SHAPE).passed


@pytest.mark.parametrize("bug", list(BUGS))
def test_bug_is_caught(bug: str) -> None:
    verdict = verifier.check(BUGS[bug], "he_normal", shape=SHAPE)
    assert not verdict.passed, str(verdict)


def test_keras_layout_conv_kernel_read_as_torch_layout_is_caught() -> None:
    # A Keras conv kernel (kh, kw, in, out) drawn correctly for its layout...
    shape = (3, 3, 64, 256)

    def keras_he_normal(shape, rng):
        fan_in = shape[0] * shape[1] * shape[2]
        return rng.normal(0.0, math.sqrt(2 / fan_in), size=shape)

    assert verifier.check(keras_he_normal, "he_normal", shape=shape, layout="keras").passed
    # ... but read with torch's (out, in, kh, kw) convention the fans are wrong.
    assert not verifier.check(keras_he_normal, "he_normal", shape=shape, layout="torch").passed


@pytest.mark.parametrize("bug", ["variance passed as std", "√2 gain missing", "3 % scale error", "fan_in/fan_out swapped"])
def test_scale_bugs_are_reported_as_std_ratio(bug: str) -> None:
    verdict = verifier.check(BUGS[bug], "he_normal", shape=SHAPE)
    var = verdict.check("variance")
    assert var is not None and not var.passed
    assert not (var.effect.low <= 1.0 <= var.effect.high)


def test_scale_error_of_5_percent_fails_from_1e5_values() -> None:
    # The acceptance bar: a ×1.05 scale error fails at n ≥ 1e5, for every family.
    for spec in ("he_normal", "he_uniform", "he_normal(truncated=True)"):
        dist = verifier.as_spec(spec).distribution((316, 317))
        rng = np.random.default_rng(11)
        x = dist.ppf(rng.uniform(size=(316, 317))) * 1.05
        assert not verifier.check(x.astype(np.float32), spec).passed, spec


# ---- power not given away (issue 15) ----------------------------------------------------------

def _holm_all_seven(v: verifier.Verdict, alpha: float) -> bool:
    """The former decision: Holm over every check, deterministic ones included."""
    from verifier.stats.decision import holm

    old = [c for c in v.checks if c.name != "shape"]
    return not any(holm([c.pvalue for c in old], alpha))


SHAPE_ERRORS = {
    "uniform vs normal, n = 800": (800, lambda rng, k: rng.uniform(-math.sqrt(3), math.sqrt(3), k)),
    "Student-t(5) vs normal, n = 1500": (1500, lambda rng, k: rng.standard_t(5, k) / math.sqrt(5 / 3)),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(SHAPE_ERRORS))
def test_shape_power_gain_over_holm_of_all_checks(case: str) -> None:
    """The issue's figures at the default α: Holm over seven checks gave 0.38 (uniform) and
    0.15 (t5) where AD alone gives 0.785 and 0.375. With the deterministic checks out of the α
    budget the verdict must gain power over that decision on the same samples (the omnibus
    helps at α = 0.05/0.01; at 1e-4 its simulated tail is not resolved, so KS/AD/CvM stay
    separate there)."""
    n, gen = SHAPE_ERRORS[case]
    rng = np.random.default_rng(2026)
    reps = 300
    new = old = ad = 0
    for _ in range(reps):
        v = verifier.check(gen(rng, n), "normal(0, 1)")
        new += not v.passed
        old += not _holm_all_seven(v, verifier.DEFAULT_ALPHA)
        ad += v.check("ad").pvalue <= 1e-4
    # measured (seed 2026, 300 reps): uniform 0.507 vs 0.463 before; t5 0.180 vs 0.143; AD alone 0.80 / 0.36
    assert new > old, (new, old)
    assert new / reps >= 0.45 * ad / reps, (new, ad)


# torch 2.11.0's CPU float16/bfloat16 uniform_/normal_ (seed 0), captured as bit patterns on the
# lent H100 machine's CPU (its image ships torch 2.11; benchmarks/README.md, "Results (GPU)"): the
# draws sit on a coarse grid (bfloat16 uniform_: 256 distinct values) and hold exact zeros.
TORCH_2_11 = Path(__file__).parent / "data" / "torch_2_11_cpu_lowp_draws.npz"
TORCH_2_11_SPECS = {"normal": "normal(0, 0.158)", "uniform": "uniform(-0.27, 0.27)", "kaiming_normal": "he_normal"}


def _torch_2_11_draws(key: str) -> np.ndarray:
    """The captured values, decoded exactly: bfloat16 bits are float32's top half."""
    with np.load(TORCH_2_11, allow_pickle=False) as d:
        bits = d[key]
    if key.startswith("bfloat16"):
        return (bits.astype(np.uint32) << 16).view(np.float32)
    return bits.view(np.float16)


@pytest.mark.parametrize("key", [f"{d}_{law}" for d in ("bfloat16", "float16") for law in TORCH_2_11_SPECS])
def test_torch_2_11_coarse_low_precision_draws_are_caught(key: str) -> None:
    """Regression: torch 2.11's coarse CPU draws fail, through ties (exact zeros, excess tied pairs)."""
    x = _torch_2_11_draws(key)
    with np.load(TORCH_2_11, allow_pickle=False) as d:
        assert str(d["meta"]).startswith("torch 2.11.0")
    v = verifier.check(x, TORCH_2_11_SPECS[key.split("_", 1)[1]])
    assert not v.passed
    assert "ties" in {c.name for c in v.failed}, str(v)
    assert int((x == 0).sum()) > 0  # what the ties check's exact-zero count sees


@pytest.mark.parametrize("key", [f"{d}_{law}" for d in ("bfloat16", "float16") for law in ("normal", "kaiming_normal")])
def test_torch_current_low_precision_normal_draws_pass(key: str) -> None:
    """The control: the same draws from the installed torch (2.13 in CI: float32 draws rounded) pass."""
    torch = pytest.importorskip("torch")
    x = _torch_2_11_draws(key)
    torch.manual_seed(0)
    t = torch.empty(x.shape, dtype=torch.bfloat16 if key.startswith("bfloat16") else torch.float16)
    if key.endswith("kaiming_normal"):
        torch.nn.init.kaiming_normal_(t)
    else:
        t.normal_(0.0, 0.158)
    if int((t == 0).sum()):
        pytest.skip(f"torch {torch.__version__} still draws exact zeros in low precision on this CPU")
    assert verifier.check(t, TORCH_2_11_SPECS[key.split("_", 1)[1]]).passed
