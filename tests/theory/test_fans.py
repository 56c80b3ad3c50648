from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from tests.strategies import shapes
from verifier.errors import FanError, SpecError
from verifier.theory.fans import LAYOUTS, Fans, canonical_layout, compute_fans


def test_layouts() -> None:
    assert canonical_layout("torch") == "torch"
    for alias in ("keras", "tf", "tensorflow", "jax", "flax", "JAX"):
        assert canonical_layout(alias) == "keras"
    assert set(LAYOUTS.values()) == {"torch", "keras"}
    with pytest.raises(SpecError, match="did you mean 'torch'.*valid layouts: torch, keras"):
        canonical_layout("troch")


def test_conv_fans() -> None:
    f = compute_fans((64, 32, 3, 3))
    assert f == Fans(fan_in=288, fan_out=576, receptive_field=9, layout="torch")
    assert f.fan_avg == 432.0
    assert f.get("fan_in") == 288 and f.get("fan_out") == 576 and f.get("fan_avg") == 432
    with pytest.raises(SpecError, match="valid modes"):
        f.get("fan_sum")
    assert compute_fans((3, 3, 32, 64), "keras") == Fans(288, 576, 9, "keras")


@settings(max_examples=60, deadline=None)
@given(shapes(2, 5))
def test_torch_layout_matches_torch(shape: tuple[int, ...]) -> None:
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    f = compute_fans(shape, "torch")
    assert (f.fan_in, f.fan_out) == expected
    assert f.receptive_field == math.prod(shape[2:])


@settings(max_examples=60, deadline=None)
@given(shapes(2, 5))
def test_keras_layout_is_reversed_torch(shape: tuple[int, ...]) -> None:
    torch = pytest.importorskip("torch")
    keras_shape = tuple(reversed(shape))
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    f = compute_fans(keras_shape, "keras")
    assert (f.fan_in, f.fan_out) == expected


def test_one_dim_message() -> None:
    with pytest.raises(FanError) as e:
        compute_fans((10,))
    assert str(e.value) == (
        "fans are undefined for shape (10,) (fewer than 2 dimensions); pass fan_in= and fan_out= "
        "explicitly (--fan-in/--fan-out on the command line)"
    )


def test_explicit_fans() -> None:
    assert compute_fans((10,), fan_in=3, fan_out=4) == Fans(3, 4, 1, "torch")
    assert compute_fans(None, "jax", fan_in=3, fan_out=4) == Fans(3, 4, 1, "keras")
    assert compute_fans((64, 32, 3, 3), fan_in=7) == Fans(7, 576, 9, "torch")
    assert compute_fans((64, 32, 3, 3), fan_out=7) == Fans(288, 7, 9, "torch")
    with pytest.raises(FanError, match="fewer than 2"):
        compute_fans((10,), fan_in=3)
    with pytest.raises(FanError, match="without a shape"):
        compute_fans(None)


@pytest.mark.parametrize("bad", [0, -1, 2.5, 3.0, True, "3"])
def test_bad_explicit_fans(bad: object) -> None:
    with pytest.raises(FanError, match="positive integer"):
        compute_fans((4, 4), fan_in=bad)  # type: ignore[arg-type]


def test_bad_shapes() -> None:
    with pytest.raises(FanError, match="empty"):
        compute_fans((0, 3))
    with pytest.raises(FanError, match="non-negative integers"):
        compute_fans((3, -1))
    with pytest.raises(FanError, match="non-negative integers"):
        compute_fans((3, 2.5))  # type: ignore[arg-type]
