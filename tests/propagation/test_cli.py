"""`verifier propagate` and `verifier suite propagation` from the command line: exit codes and outputs."""

from __future__ import annotations

import json
import textwrap

import pytest

pytest.importorskip("torch")

from verifier.cli import main

MODELS = textwrap.dedent("""
    import torch
    from torch import nn

    def build(init="he", depth=8, width=128):
        layers = []
        for _ in range(depth):
            lin = nn.Linear(width, width)
            if init == "he":
                nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            else:
                nn.init.xavier_normal_(lin.weight)
            nn.init.zeros_(lin.bias)
            layers += [lin, nn.ReLU()]
        return nn.Sequential(*layers)

    def attention():
        return nn.Sequential(nn.MultiheadAttention(8, 2))
""")


@pytest.fixture
def models(tmp_path, monkeypatch):
    (tmp_path / "models.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_exit_codes_and_json(models, capsys) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from verifier.propagation import json_schema

    assert main(["propagate", "models.py:build(init='xavier')", "--batch", "32", "--seeds", "3"]) == 1
    out = capsys.readouterr().out
    assert "PROPAGATION FAIL" in out and "hint" in out and "He" in out
    assert main(["propagate", "models.py:build(width=256)", "--batch", "64", "--seeds", "5", "--format", "json",
                 "--out", "rep"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, json_schema())
    assert doc["passed"] is True
    assert {p.name for p in (models / "rep").iterdir()} == {"propagation.json", "propagation.md", "propagation.html"}


@pytest.mark.parametrize("argv, text", [
    (["propagate", "models.py:attention"], "cannot infer the input shape"),
    (["propagate", "models.py:build", "--seeds", "1"], "2 distinct seeds"),
    (["propagate", "models.py:nothing"], "nothing"),
    (["propagate", "models.py:build", "--input-shape", "3,a"], "not a shape"),
])
def test_bad_input_is_one_line_and_exit_2(models, capsys, argv, text) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert text in err and err.count("\n") == 1


def test_unavailable_device_is_exit_2(models, capsys) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert main(["propagate", "models.py:build", "--device", "cuda", "--seeds", "2"]) == 2
    err = capsys.readouterr().err
    assert "cuda" in err and err.count("\n") == 1
