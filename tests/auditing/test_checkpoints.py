"""Sharded checkpoints (model.safetensors.index.json, directories of shards): the audit equals
the single-file audit of the same tensors, with one or several processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
nn = torch.nn

from safetensors.torch import save_file

from verifier.auditing import audit
from verifier.cli import main
from verifier.errors import SourceError, SpecError

RULES = '''
[rules]
"*.bias" = "uniform(-0.0625, 0.0625)"
"0.weight" = "he_uniform(a=sqrt(5))"
"*.weight" = "he_normal"
'''


def _state_dict() -> dict:
    torch.manual_seed(0)
    layers = [nn.Linear(256, 256) for _ in range(6)]
    sd = {}
    for i, layer in enumerate(layers):
        if i:
            nn.init.kaiming_normal_(layer.weight)
        nn.init.uniform_(layer.bias, -0.0625, 0.0625)
        sd[f"{i}.weight"] = layer.weight.detach().clone()
        sd[f"{i}.bias"] = layer.bias.detach().clone()
    sd["5.weight"] = sd["5.weight"].to(torch.bfloat16)
    return sd


def write_sharded(sd: dict, out: Path, shards: int = 3) -> Path:
    """Write ``sd`` the way transformers does: model-0000k-of-0000n.safetensors + index."""
    out.mkdir(parents=True, exist_ok=True)
    names = list(sd)
    weight_map = {}
    for k in range(shards):
        part = names[k::shards]
        fname = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        save_file({n: sd[n].contiguous() for n in part}, str(out / fname))
        weight_map.update({n: fname for n in part})
    index = out / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}))
    return index


def _rows(report) -> list:
    return sorted((r.name, r.status, r.reason, r.pvalue, r.adjusted) for r in report.rows)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    sd = _state_dict()
    single = tmp_path / "model.safetensors"
    save_file(sd, str(single))
    index = write_sharded(sd, tmp_path / "sharded")
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    return single, index, rules


def test_sharded_audit_equals_single_file_audit(files) -> None:
    single, index, rules = files
    ref = audit(single, rules)
    assert ref.passed, ref
    by_index = audit(index, rules)
    by_dir = audit(index.parent, rules)
    assert _rows(by_index) == _rows(ref) == _rows(by_dir)
    assert by_index.passed and "3 shard file(s)" in " ".join(by_index.notes)


def test_jobs_give_the_same_report(files) -> None:
    single, index, rules = files
    assert _rows(audit(index, rules, jobs=2)) == _rows(audit(single, rules))


def test_a_broken_tensor_in_one_shard_fails(tmp_path: Path, files) -> None:
    _, _, rules = files
    sd = _state_dict()
    sd["3.weight"] = sd["3.weight"] * 1.1
    index = write_sharded(sd, tmp_path / "broken")
    report = audit(index, rules, jobs=2)
    assert [r.name for r in report.failed] == ["3.weight"]
    assert main(["audit", str(index), "--rules", str(rules), "--jobs", "2"]) == 1
    assert main(["audit", str(files[1]), "--rules", str(rules)]) == 0


def test_bad_checkpoints_are_one_line_errors(tmp_path: Path, files) -> None:
    _, index, rules = files
    bad = tmp_path / "bad.safetensors.index.json"
    bad.write_text("{not json")
    with pytest.raises(SourceError, match="cannot read checkpoint index"):
        audit(bad, rules)
    escape = tmp_path / "sharded" / "escape.safetensors.index.json"
    escape.write_text(json.dumps({"weight_map": {"0.weight": "../model.safetensors"}}))
    with pytest.raises(SourceError, match="outside its directory"):
        audit(escape, rules)
    missing = tmp_path / "sharded" / "missing.safetensors.index.json"
    missing.write_text(json.dumps({"weight_map": {"0.weight": "nope.safetensors"}}))
    with pytest.raises(SourceError, match="not found"):
        audit(missing, rules)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SourceError, match="no .safetensors shards"):
        audit(empty, rules)
    with pytest.raises(SpecError, match="jobs"):
        audit(index, rules, jobs=0)
    assert main(["audit", str(bad), "--rules", str(rules)]) == 2
