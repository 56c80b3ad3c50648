"""``verifier audit`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from verifier.cli import main  # noqa: E402

MODELS = Path(__file__).with_name("models.py")


def test_broken_model_fails_with_exit_1(capsys):
    assert main(["audit", f"{MODELS}:BROKEN"]) == 1
    out = capsys.readouterr().out
    assert "AUDIT FAIL" in out and "2.weight" in out and "4.weight" in out


def test_factory_passes_with_exit_0(capsys):
    assert main(["audit", f"{MODELS}:conv_net", "--seed", "1"]) == 0
    assert "AUDIT PASS" in capsys.readouterr().out


def test_json_and_markdown_output(capsys):
    assert main(["audit", f"{MODELS}:BROKEN", "--format", "json", "--correction", "bh", "--alpha", "0.01"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["correction"] == "bh" and d["alpha"] == 0.01
    assert sorted(t["name"] for t in d["tensors"] if t["status"] == "fail") == ["2.weight", "4.weight"]
    assert main(["audit", f"{MODELS}:GOOD", "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("## AUDIT PASS")


def test_out_dir_writes_reports(tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["audit", f"{MODELS}:BROKEN", "--out", str(out)]) == 1
    files = {p.name for p in out.iterdir()}
    assert {"audit.txt", "audit.json", "audit.md", "audit.html"} <= files
    assert json.loads((out / "audit.json").read_text())["passed"] is False


def test_lazy_flag(capsys):
    assert main(["audit", f"{MODELS}:small_net", "--lazy", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "lazy"


def test_state_dict_with_rules(tmp_path, capsys):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    lin = torch.nn.Linear(64, 128)
    path = tmp_path / "w.safetensors"
    save_file(lin.state_dict(), str(path))
    rules = tmp_path / "rules.toml"
    rules.write_text('[rules]\n"weight" = "he_uniform(a=sqrt(5))"\n"bias" = "uniform(-0.125, 0.125)"\n')
    assert main(["audit", str(path), "--rules", str(rules)]) == 0
    assert main(["audit", str(path)]) == 2  # a state dict needs rules
    assert "no module types" in capsys.readouterr().err


def test_usage_errors(capsys):
    assert main(["audit", f"{MODELS}:GOOD", "--correction", "fdr"]) == 2
    assert main(["audit", "no_such_module_xyz:net"]) == 2
    assert main(["audit", f"{MODELS}:GOOD", "--rules", "/nonexistent/rules.toml"]) == 2
