"""Spec arithmetic: + - * / **, sqrt, numbers and caller-given names, parsed with ast and never
evaluated; everything else refused with a one-line SpecError."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier.errors import SpecError
from verifier.theory.parsing import UnknownNameError, evaluate_number, parse_spec


def test_gpt2_depth_scaled_std():
    spec = parse_spec("normal(std=0.02/sqrt(2*12))")
    assert math.isclose(spec.distribution().std, 0.02 / math.sqrt(24))
    named = parse_spec("normal(std=initializer_range/sqrt(2*n_layer))", {"initializer_range": 0.02, "n_layer": 12})
    assert named.distribution().std == spec.distribution().std


@pytest.mark.parametrize("text,value", [
    ("1 + 2 * 3", 7.0), ("(1 + 2) * 3", 9.0), ("2 ** 10", 1024.0), ("-2 ** 2", -4.0), ("1 / 4", 0.25),
    ("sqrt(16) - 1", 3.0), ("math.sqrt(2) ** 2", 2.0000000000000004), ("+3 - -3", 6.0),
])
def test_evaluate_number(text, value):
    assert evaluate_number(text) == value


@given(st.floats(1e-6, 1e3), st.integers(1, 1000))
def test_arithmetic_matches_python(s, n):
    assert math.isclose(evaluate_number(f"{s!r} / sqrt(2 * n)", {"n": n}), s / math.sqrt(2 * n))


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "(1).__class__", "[1][0]", "{'a': 1}['a']", "abs(-1)", "pow(2, 3)",
    "lambda: 1", "x if 1 else 2", "1 < 2", "2 // 1", "5 % 3", "1 @ 2", "~1", "not 1", "'a' * 3", "True + 1",
    "[i for i in (1,)]", "math.pi", "sqrt(4, 2)", "sqrt(x=4)",
])
def test_anything_but_arithmetic_is_refused(text):
    with pytest.raises(SpecError):
        evaluate_number(text)
    with pytest.raises(SpecError):
        parse_spec(f"normal(std={text})")


@pytest.mark.parametrize("text,match", [
    ("1 / 0", "division by zero"), ("10 ** 10 ** 10", "too large"), ("(10 ** 64) ** 64", "overflow"),
    ("(-8) ** 0.5", "not a finite real"), ("sqrt(-1)", "non-negative"),
])
def test_arithmetic_errors_are_one_line(text, match):
    with pytest.raises(SpecError, match=match) as e:
        evaluate_number(text)
    assert "\n" not in str(e.value)


def test_unknown_names_say_which_are_known():
    with pytest.raises(UnknownNameError, match="'n_layer'.*known names: initializer_range") as e:
        parse_spec("normal(std=0.02/sqrt(2*n_layer))", {"initializer_range": 0.02})
    assert e.value.names == ("n_layer",)
