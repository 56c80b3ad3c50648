"""verifier compare: one name across torch, Keras and JAX."""

from __future__ import annotations

import json

import pytest

from verifier import frameworks
from verifier.cli import main
from verifier.frameworks import compare


def test_readme_comparing_frameworks() -> None:
    pytest.importorskip("torch")
    # README: "Comparing frameworks"
    from verifier.frameworks import compare

    table = compare("he_normal", fan_in=256, fan_out=512)
    print(table)
    torch_row = table.row("torch")
    assert torch_row.own.passed and torch_row.textbook.passed          # untruncated N(0, 2/fan_in)
    for fw in ("keras", "jax"):
        row = table.row(fw)
        if row.status == "not installed":
            continue
        assert row.implementation.truncated
        assert row.own.passed                                          # conforms to its own docs
        assert not row.textbook.passed                                 # but is not the paper's normal
        assert row.textbook.check("variance").passed                   # same variance, different shape
        assert "looks truncated normal" in row.textbook.diagnosis.shape


def test_not_installed_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frameworks, "is_installed", lambda fw: False)
    c = compare("glorot_uniform")
    assert [r.status for r in c.rows] == ["not installed"] * 3
    assert "not installed" in str(c) and c.conforms
    assert c.row("keras").implementation.api == "keras.initializers.GlorotUniform()"


def test_not_provided_and_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frameworks, "is_installed", lambda fw: False)
    c = compare("lecun_normal")
    assert c.row("torch").status == "not provided"
    assert compare("kaiming_uniform").name == "he_uniform"
    with pytest.raises(frameworks.VerifierError):
        compare("orthogonal")


def test_meanings() -> None:
    assert any("nn.Linear" in m for m in frameworks.meanings("he_uniform(a=sqrt(5))"))
    assert any("Keras Dense" in m for m in frameworks.meanings("xavier_uniform"))
    assert any("Flax" in m for m in frameworks.meanings("lecun_normal(truncated=True)"))


def test_cli_compare_json(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(frameworks, "is_installed", lambda fw: False)
    assert main(["compare", "he_normal", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["textbook"] == "he_normal" and len(data["rows"]) == 3


def test_cli_identify(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    assert main(["identify", "torch.nn.init.kaiming_uniform_(a=sqrt(5))", "--shape", "256,512"]) == 0
    assert "matches kaiming_uniform(a=√5)" in capsys.readouterr().out
    assert main(["identify", "torch.nn.init.xavier_normal_", "--shape", "64,96", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["matches"][0]["spec"] == "xavier_normal"
