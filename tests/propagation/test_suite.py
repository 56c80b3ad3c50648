"""The propagation suite reproduces Glorot & Bengio (2010) and He et al. (2015): every claim holds,
judged from the measured intervals (quick sizes), and `verifier suite propagation` writes its reports."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from verifier.cli import main
from verifier.suites import available_suites
from verifier.suites import propagation as suite


@pytest.fixture(scope="module")
def results():
    return {r.experiment.key: r for r in suite.run(quick=True, seeds=4, batch=64)}


def test_registered() -> None:
    assert "propagation" in available_suites()


def test_glorot_standard_init_shrinks_the_activations_layer_after_layer(results) -> None:
    r = results["glorot_standard"].report
    assert results["glorot_standard"].holds
    assert r.forward.per_layer.high < 0.4 and r.forward.per_layer.contains(1 / 3)  # ×1/3 in the linear regime
    variances = [row.var.high for row in r.chain_layers]
    lows = [row.var.low for row in r.chain_layers]
    assert all(hi < lo for lo, hi in zip(lows, variances[1:]))  # every layer's interval below the previous one
    assert r.backward.status == "vanishing"
    assert "Xavier" in r.diagnosis.hint
    # Glorot & Bengio's eq. 14: the weight-gradient variance is the same at every layer
    wv = [p.grad_var.estimate for p in r.params if len(p.shape) == 2]
    assert len(wv) == 5 and max(wv) / min(wv) < 1.3


def test_glorot_normalized_init_keeps_the_gradients_level(results) -> None:
    r = results["glorot_normalized"].report
    assert results["glorot_normalized"].holds
    assert r.backward.status == "kept" and 0.9 < r.backward.per_layer.low and r.backward.per_layer.high < 1.1
    assert results["glorot_normalized_unit_inputs"].holds


def test_he_xavier_halves_and_he_keeps(results) -> None:
    xav, he = results["he_xavier"], results["he_he"]
    assert xav.holds and he.holds, (xav.evidence, he.evidence)
    assert len(xav.report.chain) >= 30
    assert xav.report.forward.per_layer.contains(0.5) or 0.45 < xav.report.forward.per_layer.low
    assert he.report.forward.per_layer.contains(1.0) or he.report.forward.per_layer.low > 0.97


def test_suite_command_writes_reports(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(suite, "run", lambda **kw: list(_cached.values()))
    assert main(["suite", "propagation", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("HOLDS") == 5
    names = {p.name for p in tmp_path.iterdir()}
    assert {"propagation.json", "propagation.md", "propagation.html"} <= names
    doc = json.loads((tmp_path / "propagation.json").read_text())
    assert doc["schema"] == suite.SUITE_SCHEMA and doc["all_claims_hold"]
    jsonschema = pytest.importorskip("jsonschema")
    from verifier.propagation import json_schema

    for exp in doc["experiments"]:
        jsonschema.validate(exp["report"], json_schema())


_cached: dict = {}


@pytest.fixture(autouse=True)
def _cache(results):
    _cached.update(results)
