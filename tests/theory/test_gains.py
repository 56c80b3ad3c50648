from __future__ import annotations

import math

import pytest

from verifier.errors import SpecError
from verifier.theory.gains import NONLINEARITIES, calculate_gain


def test_table() -> None:
    assert calculate_gain("linear") == 1
    assert calculate_gain("sigmoid") == 1
    assert calculate_gain("conv_transpose3d") == 1
    assert calculate_gain("tanh") == 5 / 3
    assert calculate_gain("relu") == math.sqrt(2)
    assert calculate_gain("selu") == 0.75
    assert calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01**2))
    assert calculate_gain("leaky_relu", 0) == math.sqrt(2)
    assert calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    assert calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name), rel=1e-15)


@pytest.mark.parametrize("slope", [0, 0.01, 0.2, 1, -0.3, 3, math.sqrt(5)])
def test_leaky_slopes_match_torch(slope: float) -> None:
    torch = pytest.importorskip("torch")
    assert calculate_gain("leaky_relu", slope) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", slope), rel=1e-15
    )


def test_unknown_lists_valid_names() -> None:
    with pytest.raises(SpecError, match="did you mean 'tanh'.*valid nonlinearities: linear") as e:
        calculate_gain("tahn")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("bad", [True, "0.1", float("nan"), [0.1]])
def test_bad_slope(bad: object) -> None:
    with pytest.raises(SpecError, match="negative slope"):
        calculate_gain("leaky_relu", bad)  # type: ignore[arg-type]
