"""Every machine-readable output validates against the JSON Schema shipped in the package."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

jsonschema = pytest.importorskip("jsonschema")

from verifier.cli import main  # noqa: E402

pytest_plugins = ["pytester"]
from verifier.schemas import KINDS, schema_for, validate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _json_of(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_schema_is_a_valid_schema(kind: str) -> None:
    schema = schema_for(kind)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["$id"].startswith("urn:verifier:schema:")


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    path = tmp_path / "w.npy"
    np.save(path, np.random.default_rng(0).normal(0.0, 0.1, (64, 64)).astype(np.float32))
    return path


def test_check_json_pass_and_fail(capsys: pytest.CaptureFixture[str], weights: Path) -> None:
    code, doc = _json_of(capsys, ["check", str(weights), "--expect", "normal(0, 0.1)", "--format", "json"])
    assert code == 0 and doc["schema"] == "verifier.report/2"
    validate(doc)
    assert doc["verdicts"][0]["shape"] == [64, 64] and doc["verdicts"][0]["status"] == "pass"
    code, doc = _json_of(capsys, ["check", str(weights), "--expect", "normal(0, 0.05)", "--format", "json"])
    assert code == 1
    validate(doc)
    (verdict,) = doc["verdicts"]
    assert verdict["status"] == "fail"
    assert set(verdict["diagnosis"]) >= {"cause", "predicted_ratio", "observed_ratio", "text"}
    assert verdict["diagnosis"]["observed_ratio"] == pytest.approx(2.0, rel=0.05)
    assert verdict["headline"].startswith(("std ×1.99", "std ×2.0")) and "normal(std=0.05) expected" in verdict["headline"]


def test_exact_spec_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "z.npy"
    np.save(path, np.zeros((8, 8), dtype=np.float32))
    code, doc = _json_of(capsys, ["check", str(path), "--expect", "zeros", "--format", "json"])
    assert code == 0
    validate(doc)
    assert doc["verdicts"][0]["kind"] == "exact"


def test_verdict_to_dict() -> None:
    import verifier

    v = verifier.check(np.random.default_rng(1).normal(0, 1, 1000), "normal(0, 1)")
    doc = v.to_dict()
    validate(doc)
    assert doc["schema"] == "verifier.verdict/1"


def test_suite_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, doc = _json_of(capsys, ["suite", "numpy", "--format", "json", "--out", str(tmp_path)])
    assert code == 0
    validate(doc)


def test_identify_json_accepts_saved_tensors(capsys: pytest.CaptureFixture[str], weights: Path) -> None:
    code, doc = _json_of(capsys, ["identify", str(weights), "--format", "json"])
    assert code == 0 and doc["schema"] == "verifier.identify/1"
    validate(doc)


def test_compare_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json_of(capsys, ["compare", "he_normal", "--format", "json"])
    assert code == 0
    validate(doc)


def test_specs_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json_of(capsys, ["specs", "--format", "json"])
    assert code == 0
    validate(doc)
    assert {"zeros", "ones", "constant", "eye", "dirac"} <= {s["name"] for s in doc["specs"]}


def test_audit_json(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    code, doc = _json_of(capsys, ["audit", "tests/auditing/models.py:BROKEN", "--format", "json"])
    assert code == 1
    validate(doc)


def test_plugin_report_json(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inits="""
        import numpy as np

        def good(shape, rng):
            return rng.normal(0.0, (2.0 / shape[1]) ** 0.5, size=shape)

        def test_good(conformance):
            conformance.check(good, "he_normal", shape=(64, 64))
    """)
    result = pytester.runpytest("--verifier-report", "out", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    doc = json.loads((pytester.path / "out" / "report.json").read_text())
    validate(doc)
    assert doc["verdicts"][0]["nodeid"] == "test_inits.py::test_good"
