from __future__ import annotations

import math

import pytest

from verifier.errors import FanError, SpecError
from verifier.theory import (
    TRUNCATION_STD_FACTOR,
    Normal,
    SpecInfo,
    TruncatedNormal,
    Uniform,
    as_spec,
    available_specs,
    he_normal,
    he_uniform,
    kaiming_normal,
    lecun_normal,
    lecun_uniform,
    normal,
    spec_names,
    trunc_normal,
    uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)

SHAPE = (64, 32, 3, 3)  # fan_in 288, fan_out 576


def test_formulas() -> None:
    assert xavier_uniform().distribution(SHAPE) == Uniform(-math.sqrt(3) * math.sqrt(2 / 864), math.sqrt(3) * math.sqrt(2 / 864))
    assert xavier_normal(gain=2.0).distribution(SHAPE).std == pytest.approx(2 * math.sqrt(2 / 864), rel=1e-15)
    assert he_normal().distribution(SHAPE).std == pytest.approx(math.sqrt(2 / 288), rel=1e-15)
    d = he_normal(mode="fan_out", nonlinearity="relu").distribution(SHAPE)
    assert isinstance(d, Normal) and d.mean == 0 and d.std == pytest.approx(math.sqrt(2) / math.sqrt(64 * 9), rel=1e-15)
    assert he_uniform(a=math.sqrt(5)).distribution((10, 100)).support == pytest.approx((-0.1, 0.1), rel=1e-15)
    assert lecun_normal().distribution(SHAPE).std == pytest.approx(1 / math.sqrt(288), rel=1e-15)
    assert lecun_uniform(mode="fan_out").distribution(SHAPE).std == pytest.approx(1 / math.sqrt(576), rel=1e-14)
    t = he_normal(truncated=True).distribution(SHAPE)
    assert isinstance(t, TruncatedNormal)
    assert t.std == pytest.approx(math.sqrt(2 / 288), rel=1e-12)
    assert t.high == pytest.approx(2 * math.sqrt(2 / 288) / TRUNCATION_STD_FACTOR, rel=1e-15)
    assert xavier_uniform().distribution(SHAPE, "keras") == xavier_uniform().distribution((3, 3, 32, 64), "torch")


def test_variance_scaling() -> None:
    v = 2.0 / 432
    assert variance_scaling(2.0, "fan_avg", "uniform").distribution(SHAPE).variance == pytest.approx(v, rel=1e-14)
    tn = variance_scaling(2.0, "fan_avg").distribution(SHAPE)
    assert isinstance(tn, TruncatedNormal) and tn.variance == pytest.approx(v, rel=1e-12)
    assert variance_scaling(mode="fan_out", distribution="normal") == variance_scaling(
        mode="fan_out", distribution="untruncated_normal"
    )
    assert variance_scaling(distribution="normal").distribution(SHAPE) == Normal(0.0, math.sqrt(1 / 288))


def test_plain_specs() -> None:
    assert not uniform().needs_fans
    assert uniform(-0.05, 0.05).distribution() == Uniform(-0.05, 0.05)
    assert normal(1.0, 2.0).distribution((3,)) == Normal(1.0, 2.0)
    assert normal(truncated=True).distribution() == TruncatedNormal(0.0, 1.0, -2.0, 2.0)
    assert trunc_normal(0.0, 0.02, -0.04, 0.04).distribution() == TruncatedNormal(0.0, 0.02, -0.04, 0.04)


def test_normalisation_and_str() -> None:
    assert he_normal() == he_normal(nonlinearity="leaky_relu", a=0) == kaiming_normal()
    assert str(he_normal()) == "he_normal"
    assert str(he_normal(mode="fan_out", nonlinearity="relu")) == "he_normal(mode='fan_out', nonlinearity='relu')"
    assert str(xavier_uniform(gain=1.0)) == "xavier_uniform"
    assert str(uniform(-1, 1)) == "uniform(low=-1.0)"
    assert xavier_normal(nonlinearity="leaky_relu").a == 0.01


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: he_normal(gain=1.0, nonlinearity="relu"), "not both"),
        (lambda: he_normal(mode="fan_avg"), "valid values: fan_in, fan_out"),
        (lambda: he_normal(nonlinearity="rleu"), "did you mean 'relu'"),
        (lambda: xavier_uniform(a=0.1), "needs nonlinearity='leaky_relu'"),
        (lambda: he_normal(nonlinearity="relu", a=0.1), "only to nonlinearity='leaky_relu'"),
        (lambda: xavier_normal(gain=-1.0), "> 0"),
        (lambda: xavier_normal(gain=math.nan), "finite"),
        (lambda: he_normal(truncated=1), "True or False"),
        (lambda: uniform(1.0, 0.0), "low < high"),
        (lambda: normal(std=0.0), "> 0"),
        (lambda: trunc_normal(a=50.0, b=60.0), "1e-300"),
        (lambda: variance_scaling(distribution="gauss"), "valid values"),
        (lambda: variance_scaling(scale=0.0), "> 0"),
    ],
)
def test_validation(call: object, match: str) -> None:
    with pytest.raises(SpecError, match=match) as e:
        call()  # type: ignore[operator]
    assert "\n" not in str(e.value)


def test_needs_fans() -> None:
    with pytest.raises(FanError, match="fewer than 2"):
        he_normal().distribution((10,))
    assert he_normal().distribution((10,), fan_in=4, fan_out=4).std == pytest.approx(math.sqrt(0.5))


def test_registry() -> None:
    names = spec_names()
    assert names[:6] == ["xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal"]
    infos = available_specs()
    assert all(isinstance(i, SpecInfo) for i in infos) and [i.name for i in infos] == names
    he = next(i for i in infos if i.name == "he_normal")
    assert "kaiming_normal" in he.aliases and "kaiming_normal_" in he.aliases
    assert [p[0] for p in he.parameters] == ["a", "mode", "nonlinearity", "gain", "truncated"]


def test_describe() -> None:
    assert he_normal().describe() == "N(0, σ²), σ = gain/√fan_in, gain = √2 (leaky_relu, a=0)"
    assert "fan_in+fan_out" in xavier_uniform().describe()


def test_as_spec() -> None:
    s = he_normal()
    assert as_spec(s) is s
    assert as_spec("kaiming_normal_") == s
    with pytest.raises(SpecError, match="expected a Spec or a spec string"):
        as_spec(3)  # type: ignore[arg-type]


TORCH_CASES = [
    ("xavier_uniform_", {}, xavier_uniform()),
    ("xavier_normal_", {"gain": 2.0}, xavier_normal(gain=2.0)),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, he_uniform(a=math.sqrt(5))),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, he_uniform(mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal_", {}, he_normal()),
    ("kaiming_normal_", {"nonlinearity": "tanh"}, he_normal(nonlinearity="tanh")),
    ("uniform_", {"a": -0.3, "b": 0.1}, uniform(-0.3, 0.1)),
    ("normal_", {"mean": 0.0, "std": 0.02}, normal(0.0, 0.02)),
    ("trunc_normal_", {"std": 0.02, "a": -0.03, "b": 0.05}, trunc_normal(0.0, 0.02, -0.03, 0.05)),
]


@pytest.mark.parametrize(("fn", "kwargs", "spec"), TORCH_CASES, ids=lambda c: str(c))
def test_std_matches_torch(fn: str, kwargs: dict[str, object], spec: object) -> None:
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    w = torch.empty(1000, 500)
    getattr(torch.nn.init, fn)(w, **kwargs, generator=g)
    d = spec.distribution(tuple(w.shape))  # type: ignore[attr-defined]
    assert w.double().std().item() == pytest.approx(d.std, rel=0.01)
    assert w.double().mean().item() == pytest.approx(d.mean, abs=0.01 * d.std)
