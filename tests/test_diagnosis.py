"""verifier.diagnose: each usual bug is named when the buggy draw is checked against the right spec."""

from __future__ import annotations

import math

import numpy as np
import pytest

import verifier
from verifier.diagnosis import FAMILY_KURTOSIS

SHAPE = (128, 640)  # torch layout: fan_in 640, fan_out 128 — every bug predicts a different ratio
FAN_IN, FAN_OUT = 640, 128
SIGMA = math.sqrt(2 / FAN_IN)  # he_normal


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _names(w: np.ndarray, spec: str, **kwargs: object) -> tuple[str, ...]:
    v = verifier.check(w, spec, **kwargs)
    assert not v.passed
    assert v.diagnosis is not None and "diagnosis" in str(v)
    return v.diagnosis.names


def test_fans_swapped() -> None:
    w = rng().normal(0, math.sqrt(2 / FAN_OUT), SHAPE)
    assert "fans swapped" in _names(w, "he_normal")
    assert _names(w, "he_normal")[:2] in {("fans swapped", "wrong layout"), ("wrong layout", "fans swapped")}


def test_fans_swapped_not_for_xavier() -> None:
    w = rng().normal(0, 1.3 * math.sqrt(2 / (FAN_IN + FAN_OUT)), SHAPE)
    v = verifier.check(w, "xavier_normal")
    assert "fans swapped" not in v.diagnosis.names


def test_gain_missing() -> None:
    w = rng(1).normal(0, math.sqrt(1 / FAN_IN), SHAPE)
    assert _names(w, "he_normal") == ("gain missing",)


def test_gain_doubled() -> None:
    w = rng(2).normal(0, 2 * math.sqrt(1 / FAN_IN), SHAPE)  # gain² = 2 used as gain
    assert _names(w, "he_normal") == ("gain doubled",)


def test_uniform_bound_used_as_std() -> None:
    b = math.sqrt(6 / FAN_IN)
    v = verifier.check(rng(3).normal(0, b, SHAPE), "he_uniform")
    assert v.diagnosis.names == ("uniform bound used as std",)
    assert "looks normal" in v.diagnosis.shape


def test_std_used_as_bound() -> None:
    w = rng(4).uniform(-SIGMA, SIGMA, SHAPE)
    assert _names(w, "he_uniform") == ("std used as uniform bound",)


def test_variance_passed_as_std() -> None:
    w = rng(5).normal(0, SIGMA**2, SHAPE)
    assert _names(w, "he_normal") == ("variance passed as std",)


def test_truncation_correction_missing() -> None:
    from scipy import stats

    w = stats.truncnorm.rvs(-2, 2, scale=SIGMA, size=SHAPE, random_state=6)  # no /0.8796
    assert _names(w, "he_normal(truncated=True)") == ("truncation correction missing",)


def test_truncation_correction_without_truncation() -> None:
    w = rng(7).normal(0, SIGMA / 0.87962566103423978, SHAPE)
    assert _names(w, "he_normal") == ("truncation correction without truncation",)


def test_wrong_layout_conv() -> None:
    shape = (3, 3, 64, 128)  # a Keras conv kernel checked as if it were torch layout
    w = rng(8).normal(0, math.sqrt(2 / (3 * 3 * 64)), shape)
    assert _names(w, "he_normal") == ("wrong layout",)
    assert verifier.check(w, "he_normal", layout="keras").passed


@pytest.mark.parametrize(("draw", "spec", "looks"), [
    (lambda g: g.normal(0, SIGMA, SHAPE), "he_normal(truncated=True)", "looks normal"),
    (lambda g: g.uniform(-math.sqrt(3) * SIGMA, math.sqrt(3) * SIGMA, SHAPE), "he_normal", "looks uniform"),
    (lambda g: g.normal(0, math.sqrt(3) * SIGMA, SHAPE) / math.sqrt(3), "he_uniform", "looks normal"),
])
def test_shape_hint_when_variance_passes(draw, spec: str, looks: str) -> None:  # noqa: ANN001
    v = verifier.check(draw(rng(9)), spec)
    assert not v.passed and v.check("variance").passed
    assert looks in v.diagnosis.shape and "variance is right" in v.diagnosis.shape
    assert v.diagnosis.names == ()


def test_truncated_drawn_where_untruncated_expected() -> None:
    from scipy import stats

    w = stats.truncnorm.rvs(-2, 2, scale=SIGMA / 0.87962566103423978, size=SHAPE, random_state=10)
    v = verifier.check(w, "he_normal")
    assert "looks truncated normal" in v.diagnosis.shape


def test_family_kurtosis() -> None:
    assert FAMILY_KURTOSIS["uniform"] == 1.8 and FAMILY_KURTOSIS["normal"] == 3.0
    from scipy import stats

    excess = float(stats.truncnorm(-2, 2).stats(moments="k"))
    assert FAMILY_KURTOSIS["truncated normal (±2σ)"] == pytest.approx(3.0 + excess, rel=1e-9)  # 2.3655


def test_passed_verdict_has_no_diagnosis_and_constant_tensor_is_explained() -> None:
    ok = verifier.check(rng(11).normal(0, SIGMA, SHAPE), "he_normal")
    assert ok.passed and ok.diagnosis is None and verifier.diagnose(ok) is None
    v = verifier.check(np.zeros(SHAPE), "he_normal")
    assert "constant tensor" in str(v.diagnosis)


def test_no_usual_bug() -> None:
    v = verifier.check(rng(12).normal(0, 1.2 * SIGMA, SHAPE), "he_normal")
    assert v.diagnosis.names == ()
    assert "matches none of the usual bugs" in str(v.diagnosis)


def test_diagnosis_is_recomputable_and_not_compared() -> None:
    w = rng(13).normal(0, math.sqrt(1 / FAN_IN), SHAPE)
    v = verifier.check(w, "he_normal")
    assert verifier.diagnose(v) == v.diagnosis


# ---- what only the values tell, and the reading order (refine) -------------------------------------------
def _audit_failure(module, rules=None):
    torch = pytest.importorskip("torch")
    from verifier.auditing import audit

    report = audit(torch.nn.Sequential(module), {"0.bias": "skip", **(rules or {})})
    (row,) = report.failed
    return row


def test_scale_comes_before_the_mean():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lin = torch.nn.Linear(256, 256)
    with torch.no_grad():
        lin.weight.normal_(0.0, 50 / (3 * 256) ** 0.5)
    row = _audit_failure(lin, {"0.weight": "normal(std=0.036084)"})
    diag = row.verdict.diagnosis
    text = str(diag)
    assert text.startswith("std ×50"), text
    assert "mean shifted" in text and text.index("std ×") < text.index("mean shifted")
    assert diag.short.startswith("std ×50")


def test_he_normal_fan_out_is_named_not_a_sqrt3_coincidence():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(64, 128, 3)
    torch.nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
    row = _audit_failure(conv)  # checked against torch's default kaiming_uniform(a=√5)
    diag = row.verdict.diagnosis
    assert "he_normal(mode='fan_out')" in diag.looks_like
    assert str(diag).startswith("looks like") and diag.short.startswith("looks like")


def test_isolated_value_at_a_truncation_bound_is_named():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lin = torch.nn.Linear(384, 384)
    torch.nn.init.trunc_normal_(lin.weight, std=0.02)
    with torch.no_grad():
        lin.weight.view(-1)[123] = -2.0  # what uniform_ returning exactly -1 gives through the inverse CDF
    row = _audit_failure(lin, {"0.weight": "trunc_normal(std=0.02)"})
    diag = row.verdict.diagnosis
    assert diag.at_bound is not None and "1 value(s) exactly at the bound -2" in diag.at_bound
    assert "matches none of the usual bugs" not in str(diag)
    assert diag.looks_like is None  # a normal(std=0.02) is the expected law here, not another scheme


def test_refine_of_a_pass_is_none():
    from verifier.diagnosis import refine

    v = verifier.check(np.random.default_rng(0).normal(0, 0.02, 4096), "normal(std=0.02)")
    assert refine(verifier.diagnose(v), v, np.zeros(3)) is None


def test_value_at_a_truncation_bound_is_named_by_check_too():
    rng = np.random.default_rng(0)
    w = np.clip(rng.normal(0, 0.02, 100_000), -2, 2).astype(np.float32)
    w[17] = -2.0
    v = verifier.check(w, "trunc_normal(std=0.02)")
    assert not v.passed
    assert v.diagnosis.at_bound is not None and "1 value(s) exactly at the bound -2 of 100000" in v.diagnosis.at_bound
    assert str(v.diagnosis).startswith("1 value(s) exactly at the bound -2")


def test_constant_tensor_is_diagnosed_not_dropped() -> None:
    """Regression (found merging wave 2): an all-zero tensor has std ratio 0, and the scale-bug matcher
    divided by it; the ZeroDivisionError dropped the whole diagnosis."""
    import numpy as np

    import verifier

    v = verifier.check(np.zeros((128, 256), dtype=np.float32), "normal(0, 0.02)")
    assert v.diagnosis is not None and "constant" in str(v.diagnosis)


def _uniform_top_value_missing(n: int, low: float, high: float, seed: int) -> np.ndarray:
    """torch's float16 uniform_ (the suite's known deviation): float32 draws in [low, high) rounded
    to float16, those that round up to ``high`` moved to ``low``."""
    x = rng(seed).uniform(low, high, n).astype(np.float32).astype(np.float16)
    x[x == np.float16(high)] = np.float16(low)
    return x


def test_values_missing_at_one_end_are_named() -> None:
    v = verifier.check(_uniform_top_value_missing(131_072, 0.0, 1.0, 21), "uniform(0, 1)")
    assert "range" in {c.name for c in v.failed}, str(v)
    text = str(v.diagnosis)
    assert "no usual bug" not in text
    assert text.startswith("values missing at the upper end"), text
    assert v.diagnosis.short == "values missing at the upper end"


def test_values_missing_at_both_ends_are_named() -> None:
    v = verifier.check(rng(22).uniform(-0.099, 0.099, 20_000), "uniform(-0.1, 0.1)")
    assert "range" in {c.name for c in v.failed}, str(v)
    assert "values missing at both ends" in str(v.diagnosis), str(v.diagnosis)


def test_repeated_values_are_named() -> None:
    """torch 2.11's coarse CPU bfloat16 normal_ (captured draws, tests/data): exact zeros."""
    from tests.test_power import _torch_2_11_draws

    v = verifier.check(_torch_2_11_draws("bfloat16_normal"), "normal(0, 0.158)")
    assert {c.name for c in v.failed} == {"ties"}, str(v)
    text = str(v.diagnosis)
    assert text.startswith("repeated values"), text
    assert "exact zeros" in text and "too few random bits" in text
    assert v.diagnosis.short == "repeated values"
