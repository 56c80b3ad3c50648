"""The laws of verifier.propagation.theory: conv border terms against brute force, activation factors."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from verifier.propagation.theory import conv_backward_reads, conv_tap_fraction, law_for


def _brute(L: int, k: int, s: int, p: int, d: int) -> tuple[float, float]:
    out = (L + 2 * p - d * (k - 1) - 1) // s + 1
    reads = np.zeros(L)
    inside = 0
    for o in range(out):
        for j in range(k):
            i = o * s - p + j * d
            if 0 <= i < L:
                inside += 1
                reads[i] += 1
    return inside / (out * k), float(reads.mean())


@given(L=st.integers(3, 40), k=st.integers(1, 5), s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2))
def test_conv_border_terms_match_brute_force(L: int, k: int, s: int, p: int, d: int) -> None:
    if L + 2 * p - d * (k - 1) - 1 < 0:
        return
    frac, reads = _brute(L, k, s, p, d)
    assert math.isclose(conv_tap_fraction([L], [k], [s], [p], [d]), frac, rel_tol=1e-12)
    assert math.isclose(conv_backward_reads([L], [k], [s], [p], [d]), reads, rel_tol=1e-12)


def test_two_dimensions_are_separable() -> None:
    f1 = conv_tap_fraction([8], [3], [1], [1], [1])
    assert math.isclose(conv_tap_fraction([8, 8], [3, 3], [1, 1], [1, 1], [1, 1]), f1 * f1)


def test_activation_and_weight_laws() -> None:
    assert law_for("ReLU", {}).forward(2.0) == 1.0
    assert law_for("ReLU", {}).backward(2.0) == 1.0
    leaky = law_for("LeakyReLU", {"negative_slope": 0.2})
    assert math.isclose(leaky.fwd_gain, (1 + 0.04) / 2)
    assert law_for("Tanh", {}).forward(0.3) == 0.3
    assert math.isclose(law_for("Sigmoid", {}).forward(0.16), 0.25 + 0.01)
    lin = law_for("Linear", {"in_features": 100, "out_features": 50}, mean_w2=0.02, mean_b2=0.5)
    assert math.isclose(lin.forward(3.0), 100 * 0.02 * 3 + 0.5)
    assert math.isclose(lin.backward(1.0), 50 * 0.02)
    conv = law_for("Conv2d", {"in_channels": 4, "out_channels": 8, "kernel_size": (3, 3), "stride": (1, 1),
                              "padding": (0, 0), "dilation": (1, 1), "groups": 1, "padding_mode": "zeros"},
                   mean_w2=1.0, input_shape=(2, 4, 10, 10))
    assert math.isclose(conv.fwd_gain, 4 * 9)  # no padding: every tap inside
    assert law_for("BatchNorm2d", {}) is None
    assert law_for("Identity", {}).forward(1.7) == 1.7
