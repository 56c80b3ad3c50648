"""Rules that fail silently no more: unmatched and shadowed rules are listed (an error with
strict), an audit that checked nothing is an error, structural checks survive user rules,
tolerance per audit and per rule, and spec arithmetic in rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from verifier.auditing import NothingCheckedError, Rule, audit  # noqa: E402
from verifier.cli import main  # noqa: E402
from verifier.errors import SpecError  # noqa: E402

from .models import small_net  # noqa: E402

MODELS = Path(__file__).with_name("models.py")


def _net():
    torch.manual_seed(0)
    return small_net()


def test_unmatched_rule_is_listed_in_every_format():
    report = audit(_net(), {"encoder.*.weight": "normal(std=0.02)"})
    assert report.passed
    assert report.rule_usage.unmatched == ('[rules] "encoder.*.weight"',)
    assert 'rule [rules] "encoder.*.weight" matches no tensor' in report.to_text()
    assert "encoder.*.weight" in report.to_markdown() and "encoder.*.weight" in report.to_html()
    d = json.loads(report.to_json())
    assert d["rule_usage"]["unmatched"] == ['[rules] "encoder.*.weight"']


def test_shadowed_rule_is_listed():
    # the type rule decides every Linear weight before the name rule can
    rules = [Rule("Linear.weight", "he_uniform(a=sqrt(5))", kind="type"), Rule("0.weight", "normal(std=1)")]
    report = audit(_net(), rules)
    assert report.passed  # the winning rule is right
    ((rule, winner, n),) = report.rule_usage.shadowed
    assert rule == '[rules] "0.weight"' and winner == '[types] "Linear.weight"' and n == 1
    assert "is shadowed" in report.to_text()


def test_rule_used_once_is_not_shadowed():
    rules = [Rule("0.weight", "he_uniform(a=sqrt(5))"), Rule("Linear.weight", "he_uniform(a=sqrt(5))", kind="type")]
    report = audit(_net(), rules)
    assert report.rule_usage.clean


def test_strict_turns_unused_rules_into_an_error(capsys):
    with pytest.raises(SpecError, match="strict: rule .*typo.* matches no tensor"):
        audit(_net(), {"typo.weight": "zeros"}, strict=True)
    assert main(["audit", f"{MODELS}:GOOD", "--strict"]) == 0
    capsys.readouterr()


def test_strict_from_the_rules_file(tmp_path, capsys):
    f = tmp_path / "rules.toml"
    f.write_text('[rules]\n"nothing.here" = "zeros"\n[audit]\nstrict = true\n')
    assert main(["audit", f"{MODELS}:GOOD", "--rules", str(f)]) == 2
    assert "strict" in capsys.readouterr().err


def test_nothing_checked_is_an_error_not_a_pass(capsys):
    with pytest.raises(NothingCheckedError, match="nothing was checked"):
        audit(nn.Sequential(nn.ReLU()))
    with pytest.raises(NothingCheckedError, match="skipped by rule"):
        audit(_net(), {"*": "skip"})
    f = MODELS.parent / "models.py"
    assert main(["audit", f"{f}:GOOD", "--preset", "none"]) == 2
    assert "nothing was checked" in capsys.readouterr().err


def test_padding_row_is_checked_under_a_user_rule():
    torch.manual_seed(0)
    emb = nn.Embedding(300, 64, padding_idx=3)
    nn.init.normal_(emb.weight, std=0.02)  # a user init that forgets the padding row
    report = audit(nn.Sequential(emb), {"0.weight": "normal(std=0.02)"})
    row = report.row("0.weight")
    assert row.status == "fail"
    assert "padding_idx" in row.diagnosis and "non-zero" in row.diagnosis
    report_text = {fmt: report.render(fmt) for fmt in ("text", "json", "markdown", "html")}
    assert all("non-zero value" in text for text in report_text.values())
    with torch.no_grad():
        emb.weight[3].zero_()
    assert audit(nn.Sequential(emb), {"0.weight": "normal(std=0.02)"}).passed


def test_tolerance_on_the_audit_and_per_rule():
    torch.manual_seed(0)
    lin = nn.Linear(512, 512)
    with torch.no_grad():
        lin.weight.normal_(0, 0.02 * 1.02)  # 2 % too wide: detectable with 262144 values
        lin.bias.zero_()
    rules = {"0.bias": "zeros", "0.weight": "normal(std=0.02)"}
    assert not audit(nn.Sequential(lin), rules).passed
    assert audit(nn.Sequential(lin), rules, tolerance=0.05).passed
    assert not audit(nn.Sequential(lin), rules, tolerance=0.005).passed
    per_rule = {"0.bias": "zeros", "0.weight": {"spec": "normal(std=0.02)", "tolerance": 0.05}}
    assert audit(nn.Sequential(lin), per_rule).passed
    # a per-rule tolerance overrides the audit's
    tight = {"0.bias": "zeros", "0.weight": {"spec": "normal(std=0.02)", "tolerance": 0.001}}
    assert not audit(nn.Sequential(lin), tight, tolerance=0.05).passed


def test_tolerance_never_excuses_an_exact_or_structural_failure():
    net = _net()
    with torch.no_grad():
        net[1].weight.fill_(1.001)
    assert not audit(net, tolerance=0.5).passed


def test_spec_arithmetic_in_rules():
    torch.manual_seed(0)
    lin = nn.Linear(256, 256)
    with torch.no_grad():
        lin.weight.normal_(0, 0.02 / (2 * 12) ** 0.5)
        lin.bias.zero_()
    report = audit(nn.Sequential(lin), {"0.weight": "normal(std=0.02/sqrt(2*12))", "0.bias": "constant(0*1)"})
    assert report.passed, report


def test_config_names_need_a_preset_that_knows_them():
    with pytest.raises(SpecError, match="'n_layer' is not in"):
        audit(_net(), {"0.weight": "normal(std=0.02/sqrt(2*n_layer))"})


def test_cli_tolerance_and_preset_flags(capsys):
    assert main(["audit", f"{MODELS}:BROKEN", "--tolerance", "2"]) == 2  # not a relative error
    capsys.readouterr()
    assert main(["audit", f"{MODELS}:GOOD", "--preset", "torch", "--tolerance", "0.01"]) == 0
    assert "preset: torch" in capsys.readouterr().out
    assert main(["audit", f"{MODELS}:GOOD", "--preset", "transformers"]) == 2
    assert "needs a transformers PreTrainedModel" in capsys.readouterr().err
