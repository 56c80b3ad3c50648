from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from tests.strategies import named_specs, plain_specs, specs
from verifier.errors import SpecError
from verifier.theory import (
    SPEC_ALIASES,
    Normal,
    Spec,
    Uniform,
    he_normal,
    he_uniform,
    parse_spec,
    uniform,
    xavier_normal,
)


@settings(max_examples=150, deadline=None)
@given(specs)
def test_round_trip(spec: Spec) -> None:
    assert parse_spec(str(spec)) == spec


@settings(max_examples=50, deadline=None)
@given(named_specs())
def test_round_trip_via_repr_free_text(spec: Spec) -> None:
    assert parse_spec("  " + str(spec).replace(",", " ,  ") + " ") == spec


@settings(max_examples=50, deadline=None)
@given(plain_specs())
def test_plain_round_trip(spec: Spec) -> None:
    assert parse_spec(str(spec)) == spec


def test_examples() -> None:
    assert parse_spec("uniform(-0.05, 0.05)").distribution() == Uniform(-0.05, 0.05)
    d = parse_spec("he_normal(mode='fan_out', nonlinearity='relu')").distribution((64, 32, 3, 3))
    assert isinstance(d, Normal) and d.mean == 0
    assert d.std == pytest.approx(math.sqrt(2) / math.sqrt(64 * 9), rel=1e-15)
    assert parse_spec("kaiming_uniform(a=sqrt(5))") == he_uniform(a=math.sqrt(5))
    assert parse_spec("kaiming_uniform_(a=math.sqrt(5))") == he_uniform(a=math.sqrt(5))
    assert parse_spec("uniform_(a=-1, b=2)") == uniform(-1.0, 2.0)
    assert parse_spec("xavier_normal(2.0)") == xavier_normal(gain=2.0)
    assert parse_spec(" he_normal ") == he_normal()
    assert parse_spec("he_normal(a=-0.5)") == he_normal(a=-0.5)
    assert parse_spec('he_normal(mode="fan_out", truncated=True)') == he_normal(mode="fan_out", truncated=True)


@pytest.mark.parametrize("alias", sorted(a for a, name in SPEC_ALIASES.items() if name != "constant"))
def test_aliases(alias: str) -> None:
    spec = parse_spec(alias)
    assert spec.name == SPEC_ALIASES[alias]
    assert parse_spec(alias) == parse_spec(SPEC_ALIASES[alias])


@pytest.mark.parametrize("alias", sorted(a for a, name in SPEC_ALIASES.items() if name == "constant"))
def test_constant_needs_its_value(alias: str) -> None:
    with pytest.raises(SpecError, match="constant needs its value"):
        parse_spec(alias)
    assert parse_spec(f"{alias}(0.25)") == parse_spec("constant(value=0.25)")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("he_normal(", r"cannot parse spec 'he_normal\('"),
        ("1 + 2", "cannot parse spec"),
        ("xavier_unifrom", "unknown spec 'xavier_unifrom'; did you mean 'xavier_uniform'.*valid specs: xavier_uniform"),
        ("he_normal(foo=1)", "unknown parameter 'foo' for he_normal; valid parameters: a, mode, nonlinearity"),
        ("uniform(1, 2, 3)", "too many positional arguments for uniform: takes at most 2"),
        ("uniform(low=x)", "'x'.*is not a literal"),
        ("uniform(low=__import__('os'))", "is not a literal"),
        ("uniform(*[1, 2])", "not allowed"),
        ("uniform(**{'low': 1})", "not allowed"),
        ("uniform(0.0, low=1.0)", "given twice"),
        ("uniform(low=sqrt(-1))", "non-negative"),
        ("uniform(low=-'a')", "unary minus"),
        ("normal(std=-1)", "> 0"),
        ("he_normal(mode='fan_avg')", "valid values: fan_in, fan_out"),
    ],
)
def test_errors(text: str, match: str) -> None:
    with pytest.raises(SpecError, match=match) as e:
        parse_spec(text)
    assert "\n" not in str(e.value)


def test_not_a_string() -> None:
    with pytest.raises(SpecError, match="must be a string"):
        parse_spec(3)  # type: ignore[arg-type]


def test_parsed_specs_are_cached_and_errors_are_not() -> None:
    """A spec string parses once (specs are frozen, so the cached object is safe to share); a
    bad string raises on every call, and names= bypass the cache."""
    assert parse_spec("he_normal(mode='fan_out')") is parse_spec("he_normal(mode='fan_out')")
    for _ in range(2):
        with pytest.raises(SpecError):
            parse_spec("he_normal(mode='sideways')")
    assert parse_spec("normal(0, r)", {"r": 0.02}) == parse_spec("normal(0, 0.02)")
