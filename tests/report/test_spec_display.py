"""Spec display names (``xavier_uniform(gain=√2)``, ``uniform(±1/√512)``) in every table and text
output, not only in headlines and JSON; the canonical string stays in machine-readable output."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import verifier
from verifier.report import render_html, render_markdown, render_text, to_json
from verifier.report.format import fmt_float, format_expected, format_spec
from verifier.theory.parsing import parse_spec

GAIN = "xavier_uniform(gain=sqrt(2))"
LONG = "1.4142135623730951"


@pytest.fixture(scope="module")
def verdict():
    rng = np.random.default_rng(0)
    b = math.sqrt(6.0 / (256 + 512)) * math.sqrt(2.0)
    return verifier.check(rng.uniform(-b, b, size=(256, 512)).astype(np.float32), GAIN, layout="torch")


def test_format_spec_prints_exact_forms() -> None:
    assert format_spec(parse_spec("he_uniform(a=sqrt(5))")) == "he_uniform(a=√5)"
    assert format_spec(parse_spec(GAIN)) == "xavier_uniform(gain=√2)"
    assert format_spec(parse_spec("uniform(-1/sqrt(512), 1/sqrt(512))")) == "uniform(±1/√512)"
    assert format_spec(parse_spec("normal(std=0.02)")) == "normal(std=0.02)"


@given(st.integers(2, 10_000).filter(lambda k: round(math.sqrt(k)) ** 2 != k))
def test_fmt_float_round_trips_square_roots(k: int) -> None:
    assert fmt_float(math.sqrt(k)) == f"√{k}"
    assert fmt_float(1 / math.sqrt(k)) == f"1/√{k}"


def test_format_expected_keeps_a_label_that_is_not_the_spec(verdict) -> None:
    import dataclasses

    assert format_expected(verdict) == "xavier_uniform(gain=√2)"
    labelled = dataclasses.replace(verdict, expected="tied to 0.weight")
    assert format_expected(labelled) == "tied to 0.weight"


def test_text_markdown_and_html_tables_print_the_display_name(verdict) -> None:
    for text in (render_text([verdict]), str(verdict), render_markdown([verdict], title="t"),
                 render_html([verdict], title="t", plots="none")):
        assert "xavier_uniform(gain=√2)" in text
        assert LONG not in text
    doc = to_json([verdict], title="t")
    case = doc["verdicts"][0]
    assert case["spec"]["text"] == str(parse_spec(GAIN)) and LONG in case["spec"]["text"]  # canonical, parses back
    assert case["spec"]["display"] == "xavier_uniform(gain=√2)"


def test_audit_table_prints_the_display_name() -> None:
    torch = pytest.importorskip("torch")
    from verifier.auditing import audit

    torch.manual_seed(0)
    m = torch.nn.Linear(512, 256)
    torch.nn.init.xavier_uniform_(m.weight, gain=math.sqrt(2))
    report = audit(m, rules={"weight": GAIN, "bias": "uniform(-1/sqrt(512), 1/sqrt(512))"}, seed=0)
    for text in (report.to_text(), report.to_markdown()):
        assert "xavier_uniform(gain=√2) = U(-0.125, 0.125)" in text
        assert "uniform(±1/√512) = U(-0.04419, 0.04419)" in text
        assert LONG not in text


def test_identification_and_compare_print_display_names() -> None:
    rng = np.random.default_rng(1)
    result = verifier.identify(rng.uniform(-0.05, 0.05, size=(300, 200)))
    fitted = next(m for m in result.matches if m.fitted and m.spec.startswith("uniform"))
    assert fitted.label.startswith("uniform(±") and fitted.label.endswith("(fitted)")
    assert "sqrt(" not in str(result)
    from verifier.frameworks import compare

    text = str(compare("xavier_uniform"))
    assert "textbook = xavier_uniform = " in text
