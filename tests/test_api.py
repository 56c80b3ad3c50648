"""The public API: verifier.check / assert_conforms, end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import verifier
import verifier.stats.grid
from verifier.errors import FanError, InputTypeError, SourceError, SpecError

SPECS = ["he_normal", "he_uniform", "xavier_normal", "xavier_uniform", "lecun_normal", "lecun_uniform",
         "he_normal(truncated=True)", "xavier_normal(truncated=True)", "variance_scaling(2.0, 'fan_out', 'uniform')"]


@given(
    spec=st.sampled_from(SPECS),
    shape=st.tuples(st.integers(8, 200), st.integers(8, 200)),
    seed=st.integers(0, 2**31 - 1),
)
def test_correct_draws_pass_on_random_shapes_and_seeds(spec: str, shape: tuple[int, int], seed: int) -> None:
    dist = verifier.as_spec(spec).distribution(shape)

    def init(shape, rng):
        return dist.ppf(rng.uniform(size=shape))

    assert verifier.check(init, spec, shape=shape, seed=seed).passed


def test_same_seed_same_verdict_and_different_seed_different_values() -> None:
    pytest.importorskip("torch")
    a = verifier.check("torch.nn.init.kaiming_normal_", "he_normal", shape=(64, 32), seed=3)
    b = verifier.check("torch.nn.init.kaiming_normal_", "he_normal", shape=(64, 32), seed=3)
    c = verifier.check("torch.nn.init.kaiming_normal_", "he_normal", shape=(64, 32), seed=4)
    assert a == b
    assert a.check("ks").statistic != c.check("ks").statistic


def test_spec_objects_and_strings_are_interchangeable() -> None:
    pytest.importorskip("torch")
    a = verifier.check("torch.nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu')",
                       "he_normal(mode='fan_out', nonlinearity='relu')", shape=(128, 64))
    b = verifier.check("torch.nn.init.kaiming_normal_(mode='fan_out', nonlinearity='relu')",
                       verifier.he_normal(mode="fan_out", nonlinearity="relu"), shape=(128, 64))
    assert a == b and a.passed


def test_draws_pool_small_tensors() -> None:
    pytest.importorskip("torch")
    v = verifier.check("torch.nn.init.xavier_uniform_", "xavier_uniform", shape=(4, 5), draws=500)
    assert v.passed and v.sample.n == 10_000 and v.sample.draws == 500


def test_verdict_text_states_the_essentials() -> None:
    pytest.importorskip("torch")
    v = verifier.check("torch.nn.init.kaiming_uniform_", "he_uniform", shape=(256, 512))
    text = str(v)
    for part in ("PASS", "kaiming_uniform_", "256×512", "U(", "std =", "99% CI", "Holm", "ks", "ad", "variance", "power"):
        assert part in text


def test_assert_conforms_raises_with_the_verdict_text() -> None:
    def too_wide(shape, rng):
        return rng.normal(0, 2 * math.sqrt(2 / shape[1]), size=shape)

    with pytest.raises(AssertionError, match="FAIL") as info:
        verifier.assert_conforms(too_wide, "he_normal", shape=(128, 128))
    assert "variance" in str(info.value)
    assert verifier.assert_conforms(np.random.default_rng(0).normal(0, 0.1, (100, 100)), "normal(0, 0.1)").passed


def test_values_are_checked_with_explicit_fans() -> None:
    x = np.random.default_rng(1).normal(0, math.sqrt(2 / 300), size=5000)
    with pytest.raises(FanError, match="fan_in= and fan_out="):
        verifier.check(x, "he_normal")
    assert verifier.check(x, "he_normal", fan_in=300, fan_out=10).passed


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"expect": "he_norml"}, SpecError, "he_normal"),
        ({"expect": "he_normal(modee='fan_in')"}, SpecError, "mode"),
        ({"expect": "he_normal", "alpha": 2.0}, SpecError, "alpha"),
        ({"expect": "he_normal", "layout": "nchw"}, SpecError, "torch"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs: dict, error: type, words: str) -> None:
    x = np.random.default_rng(0).normal(size=(20, 20))
    with pytest.raises(error, match=words):
        verifier.check(x, **kwargs)


def test_bad_values_raise_typed_errors() -> None:
    with pytest.raises(InputTypeError):
        verifier.check(np.arange(100).reshape(10, 10), "he_normal")
    with pytest.raises(InputTypeError):
        verifier.check(np.ones((10, 10), dtype=complex), "he_normal")
    with pytest.raises(SourceError, match="empty"):
        verifier.check(np.zeros((0, 10)), "he_normal")
    with pytest.raises(SourceError):
        verifier.check(np.float32(1.0), "normal(0, 1)")
    assert issubclass(InputTypeError, TypeError) and issubclass(SourceError, ValueError)


def test_nan_is_a_verdict_not_a_crash() -> None:
    x = np.random.default_rng(0).normal(0, 0.1, size=(100, 100))
    x[0, 0] = np.nan
    v = verifier.check(x, "normal(0, 0.1)")
    assert not v.passed and not v.check("finite").passed and "NaN 1" in v.check("finite").detail


def test_gpu_tensor_is_checked_on_its_device() -> None:
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    t = torch.empty(512, 256, device="cuda")
    torch.nn.init.kaiming_normal_(t)
    assert verifier.check(t, "he_normal").passed


TORCH_CASES = [
    ("xavier_uniform_", "xavier_uniform", {}),
    ("xavier_normal_", "xavier_normal", {}),
    ("xavier_uniform_", "xavier_uniform(nonlinearity='tanh')", {"gain": 5 / 3}),
    ("kaiming_uniform_", "he_uniform", {}),
    ("kaiming_normal_", "he_normal", {}),
    ("kaiming_uniform_", "he_uniform(mode='fan_out', nonlinearity='relu')", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", "he_normal(mode='fan_out', nonlinearity='relu')", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", "he_normal(nonlinearity='tanh')", {"nonlinearity": "tanh"}),
    ("kaiming_uniform_", "he_uniform(a=0.2)", {"a": 0.2}),
    ("kaiming_normal_", "he_normal(nonlinearity='selu')", {"nonlinearity": "selu"}),
    ("kaiming_uniform_", "he_uniform(a=sqrt(5))", {"a": math.sqrt(5)}),
]


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("shape", [(256, 512), (64, 32, 3, 3), (32, 16, 5)])
@pytest.mark.parametrize("fn, spec, kwargs", TORCH_CASES)
def test_torch_initializers_conform(fn: str, spec: str, kwargs: dict, shape: tuple, dtype: str) -> None:
    torch = pytest.importorskip("torch")
    init = getattr(torch.nn.init, fn)

    def f(t):
        return init(t, **kwargs)

    v = verifier.check(f, spec, shape=shape, dtype=dtype, convention="torch")
    if v.passed:
        return
    # torch's documented low-precision uniform_ deviation (suites/torch.py KNOWN_DEVIATIONS): the
    # top grid value never occurs, which the range check sees from 131k values in float16
    assert "uniform" in fn and dtype != "float32", str(v)
    assert {c.name for c in v.failed} <= {"range", "mean", "ks", "ad", "cvm", "shape"}, str(v)
    assert v.summary.max < verifier.stats.grid.round_to_dtype(v.distribution.support[1], dtype)


BIG_CASES = [("kaiming_normal_", "he_normal"), ("xavier_normal_", "xavier_normal"),
             ("kaiming_uniform_", "he_uniform"), ("xavier_uniform_", "xavier_uniform")]


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("fn, spec", BIG_CASES)
def test_torch_initializers_at_4096x4096(fn: str, spec: str, dtype: str) -> None:
    """Every case passes, except torch's known low-precision uniform_ deviation (see the
    next test), which must show its exact signature instead of passing."""
    pytest.importorskip("torch")
    v = verifier.check(f"torch.nn.init.{fn}", spec, shape=(4096, 4096), dtype=dtype)
    if v.passed:
        return
    assert "uniform" in fn and dtype != "float32", str(v)
    assert {c.name for c in v.failed} <= {"mean", "ks", "ad", "cvm", "shape", "range"}, str(v)
    top = verifier.stats.grid.round_to_dtype(v.distribution.support[1], dtype)
    assert v.summary.max < top  # the top grid value never occurs


@pytest.mark.slow
def test_naive_ks_false_alarms_on_bfloat16_where_the_rounded_null_does_not() -> None:
    torch = pytest.importorskip("torch")
    from scipy import stats as sst

    v = verifier.check("torch.nn.init.kaiming_normal_", "he_normal", shape=(4096, 4096), dtype="bfloat16")
    assert v.passed and v.check("ks").pvalue > 1e-3
    t = torch.empty(4096, 4096, dtype=torch.bfloat16)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        torch.nn.init.kaiming_normal_(t)
    naive = sst.kstest(t.float().numpy().ravel(), "norm", args=(0, math.sqrt(2 / 4096)))
    assert naive.pvalue < 1e-6  # the continuous null is wrong for values on the bf16 grid


@pytest.mark.slow
@pytest.mark.parametrize("dtype, side", [("bfloat16", 2048), ("float16", 4096)])
def test_torch_low_precision_uniform_deviation_is_detected(dtype: str, side: int) -> None:
    """torch 2.13's CPU uniform_ in bf16/fp16 maps values that would round up to the upper
    bound onto the lower bound. The rounded null gives round(b) its half-interval of mass;
    torch gives it none and doubles the mass at -b: a mean shift of about
    P(round(b))·2b, which the mean, KS and AD checks see at a few million values in bf16
    (8 significant bits) and ~1.7e7 in float16 (11 bits). The check is not weakened to
    hide it."""
    pytest.importorskip("torch")
    v = verifier.check("torch.nn.init.uniform_(a=-0.1, b=0.1)", "uniform(-0.1, 0.1)", shape=(side, side), dtype=dtype)
    assert not v.passed
    rejected = {c.name for c in v.failed}
    assert "mean" in rejected and "ks" in rejected
    top = verifier.stats.grid.round_to_dtype(0.1, dtype)
    assert v.summary is not None and v.summary.max < top  # the top grid value never occurs
