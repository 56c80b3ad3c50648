"""Statistics never crash on numbers: every value a float can hold gives a verdict or a SpecError.

The rescaled domain is exact: multiplying values and law by a power of two changes no statistic,
so the verdict on ``x · 2^k`` against ``N(0, 2^k)`` is the verdict on ``x`` against ``N(0, 1)``,
p-value for p-value (which also carries the calibration of the unscaled checks over).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import verifier
from verifier.errors import VerifierError


def _normal(shape=(64, 64), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


@pytest.mark.parametrize("k", [-1000, -400, -101, 101, 400, 1000])
@pytest.mark.parametrize("spec", ["normal(0, {s})", "uniform(-{s}, {s})", "trunc_normal(std={s}, a=-{t}, b={t})"])
def test_rescaled_domain_is_exact(k: int, spec: str) -> None:
    s = math.ldexp(1.0, k)
    t = 2 * s
    x = _normal()
    if spec.startswith("uniform"):
        x = np.random.default_rng(0).uniform(-1, 1, size=(64, 64))
    if spec.startswith("trunc"):
        x = np.clip(x, -2, 2)  # a deviation: both verdicts must see it alike
    base = verifier.check(x, spec.format(s=1.0, t=2.0))
    scaled = verifier.check(x * s, spec.format(s=repr(s), t=repr(t)))
    assert scaled.passed == base.passed
    assert [c.name for c in scaled.checks] == [c.name for c in base.checks]
    for a, b in zip(scaled.checks, base.checks):
        assert a.pvalue == pytest.approx(b.pvalue, rel=1e-9, abs=1e-300), a.name
    assert "e" in str(scaled.distribution)  # the verdict keeps the original (unscaled) law


@pytest.mark.parametrize("std", [1e-300, 1e-200, 1e150, 1e300])
def test_correct_draws_at_extreme_scales_pass(std: float) -> None:
    torch = pytest.importorskip("torch")
    v = verifier.check(f"torch.nn.init.normal_(std={std!r})", f"normal(0, {std!r})", shape=(128, 64),
                       dtype="float64")
    assert v.passed, str(v)
    del torch


def _garbage() -> np.ndarray:
    bits = np.random.default_rng(0).integers(-2**63, 2**63 - 1, size=(64, 64), dtype=np.int64)
    return bits.view(np.float64)


CASES = {
    "unfilled float64 (every bit pattern)": _garbage(),
    "values above 1e154": _normal() * 1e160,
    "values near the float64 max": np.r_[_normal((100,)).ravel(), 1.7e308, -1.7e308],
    "denormals": _normal() * 1e-310,
    "float16 near its max": np.full((64, 64), 65504, np.float16) * np.sign(_normal()).astype(np.float16),
    "infinities": np.r_[_normal((100,)).ravel(), np.inf, -np.inf],
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("spec", ["normal(0, 0.02)", "uniform(-1, 1)", "trunc_normal(std=0.02)", "normal(0, 1e-300)",
                                  "normal(0, 1e150)", "xavier_uniform(gain=1e308)"])
def test_extreme_values_fail_with_a_reason(name: str, spec: str) -> None:
    values = CASES[name]
    try:
        v = verifier.check(values, spec)
    except VerifierError:  # e.g. fans of a 1-D tensor: an input error, never a crash
        return
    assert not v.passed
    assert v.failed and all(c.detail for c in v.failed)
    str(v)


@pytest.mark.parametrize("spec", ["he_normal(gain=1e308)", "normal(0, 1e-320)", "normal(0, 1e999)",
                                  "uniform(-1e308, 1e308)"])
def test_extreme_specs_give_a_verdict_or_a_spec_error(spec: str) -> None:
    try:
        v = verifier.check(_normal(), spec)
    except VerifierError:
        return
    assert isinstance(v.passed, bool)
    str(v)


@pytest.mark.parametrize("order", [">", "<"])
@pytest.mark.parametrize("dtype", ["f2", "f4", "f8"])
@pytest.mark.parametrize("shape", [(1000,), (40, 60), (300, 400)])
def test_either_byte_order_gives_the_native_verdict(order: str, dtype: str, shape: tuple[int, ...]) -> None:
    """A big-endian array (a file written on another machine, read with numpy) is values like any
    other: the verdict, check for check, is the native array's, in the exact and streamed paths and
    the slice tests of 2-D arrays. (numba's kernels read native byte order only: big-endian values
    reached them unconverted and raised numba's TypingError.)"""
    native = np.random.default_rng(1).normal(size=shape).astype(dtype)
    swapped = native.astype(order + dtype)
    a, b = verifier.check(swapped, "normal(0, 1)"), verifier.check(native, "normal(0, 1)")
    assert [(c.name, c.statistic, c.pvalue, c.passed) for c in a.checks] == \
        [(c.name, c.statistic, c.pvalue, c.passed) for c in b.checks]
    assert a.passed
