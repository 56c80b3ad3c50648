"""State-dict audits (.safetensors, .pt) with a rules file."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from verifier.auditing import audit, load_rules  # noqa: E402
from verifier.errors import SourceError, SpecError  # noqa: E402

RULES = '''
[rules]
"1.weight" = "ones"
"1.bias" = "zeros"
"0.bias" = "uniform(-0.125, 0.125)"
"2.bias" = { spec = "skip", reason = "checked elsewhere" }
"*.weight" = "he_uniform(a=sqrt(5))"
'''


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.LayerNorm(128), nn.Linear(128, 64))


@pytest.fixture
def rules_file(tmp_path):
    p = tmp_path / "rules.toml"
    p.write_text(RULES)
    return p


def test_safetensors_state_dict(tmp_path, rules_file):
    from safetensors.torch import save_file

    path = tmp_path / "model.safetensors"
    save_file(_model().state_dict(), str(path))
    report = audit(path, rules_file)
    assert report.passed, report
    assert report.mode == "state dict"
    assert report.row("2.bias").reason == 'skipped by rule [rules] "2.bias": checked elsewhere'
    assert report.row("0.weight").module_type == "—"
    assert report.row("0.weight").fans.fan_in == 64


def test_pt_state_dict_flags_a_broken_tensor(tmp_path, rules_file):
    sd = _model().state_dict()
    sd["2.weight"] = sd["2.weight"] * 2
    sd["extra"] = torch.randn(10, 10)
    sd["step"] = torch.tensor(3)
    path = tmp_path / "model.pt"
    torch.save(sd, path)
    report = audit(str(path), rules_file)
    assert [r.name for r in report.failed] == ["2.weight"]
    reasons = {r.name: r.reason for r in report.not_checked}
    assert reasons["extra"].startswith("no rule matches this name")
    assert reasons["step"].startswith("integer tensor")


def test_state_dict_needs_rules(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(_model().state_dict(), path)
    with pytest.raises(SourceError, match="no module types"):
        audit(path)


def test_pickled_model_is_refused(tmp_path, rules_file):
    path = tmp_path / "model.pt"
    torch.save(_model(), path)  # a whole pickled module, not a state dict
    with pytest.raises(SourceError, match="weights_only=True"):
        audit(path, rules_file)


def test_missing_file(tmp_path, rules_file):
    with pytest.raises(SourceError, match="not found"):
        audit(tmp_path / "nope.safetensors", rules_file)


def test_rules_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_rules(bad)
    bad.write_text('[rulez]\n"a" = "zeros"\n')
    with pytest.raises(SpecError, match="unknown table"):
        load_rules(bad)
    bad.write_text('[rules]\n"a" = "he_nromal"\n')
    with pytest.raises(SpecError):
        load_rules(bad)
    with pytest.raises(SpecError):
        load_rules(tmp_path / "missing.toml")


def test_rules_file_order_types_and_settings(tmp_path):
    p = tmp_path / "r.toml"
    p.write_text('[types]\n"Linear.weight" = "normal(std=0.02)"\n[rules]\n"0.weight" = "skip"\n'
                 '[audit]\nalpha = 0.01\ncorrection = "bh"\n')
    rs = load_rules(p)
    assert [r.kind for r in rs.rules] == ["type", "name"] and rs.alpha == 0.01 and rs.correction == "bh"
    m = _model()
    report = audit(m, p)
    assert report.alpha == 0.01 and report.correction == "bh"
    assert report.row("0.weight").status == "fail"  # the [types] rule comes first in the file
    assert report.row("1.weight").status == "pass"  # LayerNorm: no user rule, torch default


def test_fan_error_is_reported_not_raised():
    report = audit({"b": torch.rand(64) - 0.5, "w": torch.rand(8, 8)}, {"b": "he_uniform", "w": "uniform"})
    assert "fans are undefined" in report.row("b").reason
    report = audit({"b": torch.rand(64) - 0.5}, {"b": {"spec": "he_uniform", "fan_in": 3, "fan_out": 3}})
    assert report.row("b").checked
