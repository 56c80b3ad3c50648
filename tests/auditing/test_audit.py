"""Model audits: default torch rules, deliberate faults, fan traps, corrections."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import verifier  # noqa: E402
from verifier.auditing import AuditReport, Rule, audit  # noqa: E402
from verifier.auditing.report import adjusted_pvalues  # noqa: E402
from verifier.errors import SourceError, SpecError  # noqa: E402

from .models import attention_net, broken_net, conv_net, good_net  # noqa: E402


def test_default_model_passes_and_lists_buffers():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Linear(64, 128), nn.BatchNorm1d(128), nn.LSTM(32, 64), nn.PReLU(), nn.Bilinear(16, 32, 64))
    report = audit(m)
    assert report.passed, report
    reasons = {r.name: r.reason for r in report.not_checked}
    assert reasons["1.running_mean"].startswith("buffer")
    assert "fewer than 2 values" in reasons["3.weight"]  # PReLU: one value
    assert report.row("1.weight").expected == "ones"
    assert report.row("0.bias").expected == "U(±1/√fan_in), fan_in 64"


def test_broken_layers_are_flagged_and_nothing_else():
    report = audit(broken_net())
    assert not report.passed
    assert {r.name for r in report.failed} == {"2.weight", "4.weight"}
    w = report.row("2.weight")
    est, low, high = w.std_ratio
    assert low <= 2.0 <= high and est == pytest.approx(2.0, rel=0.05)
    assert report.row("4.weight").verdict.checks[0].detail.startswith("64 of 64 values differ from 1")
    assert all(r.status == "pass" for r in report.checked if r.name not in {"2.weight", "4.weight"})
    # the padding row is checked exactly and left out of the N(0, 1) checks
    emb = report.row("5.weight")
    assert emb.verdict.check("padding_row").passed and emb.verdict.sample.n == 199 * 64
    text = str(report)
    assert "AUDIT FAIL" in text and "Holm across" in text and "α = 0.0001" in text


def test_good_model_passes():
    assert audit(good_net()).passed


def test_embedding_padding_row_must_be_zero():
    torch.manual_seed(0)
    emb = nn.Embedding(256, 64, padding_idx=3)
    with torch.no_grad():
        emb.weight[3, 0] = 0.1
    report = audit(emb)
    assert [r.name for r in report.failed] == ["weight"]
    assert report.row("weight").verdict.check("padding_row").passed is False


def test_transposed_and_grouped_convs_pass_with_torchs_fans():
    torch.manual_seed(0)
    report = audit(conv_net())
    assert report.passed, report
    t = report.row("0.weight")  # ConvTranspose2d(32, 64, 3, groups=4): weight (32, 16, 3, 3)
    assert t.shape == (32, 16, 3, 3)
    assert (t.fans.fan_in, t.fans.fan_out) == (16 * 9, 32 * 9)  # what torch computes
    assert t.true_fans == (32 // 4 * 9, 16 * 9)  # in/groups·rf, out/groups·rf
    assert "ConvTranspose" in t.note and "U(±1/√144)" in t.note
    assert t.verdict.distribution.high == pytest.approx(1 / math.sqrt(144))
    g = report.row("1.weight")  # Conv2d(32, 64, 3, groups=8): weight (64, 4, 3, 3)
    assert (g.fans.fan_in, g.fans.fan_out) == (36, 576) and g.true_fans == (36, 72)
    assert "grouped" in g.note
    assert report.row("2.weight").true_fans == (9, 9)  # depthwise
    assert report.row("4.bias").verdict.distribution.high == pytest.approx(1 / math.sqrt(128 * 9))


def test_transposed_conv_with_true_fans_would_fail():
    """The trap matters: expecting U(±1/√(in·rf)) for a ConvTranspose default init fails."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.ConvTranspose2d(64, 256, 3))  # torch fan_in 256·9, true fan_in 64·9
    wrong = audit(m, [Rule("0.weight", "he_uniform(a=sqrt(5))", fan_in=64 * 9)])
    assert [r.name for r in wrong.failed] == ["0.weight"]
    assert wrong.row("0.weight").std_ratio[0] == pytest.approx(0.5, rel=0.05)
    assert audit(m).passed


def test_multihead_attention_defaults():
    torch.manual_seed(0)
    report = audit(attention_net())
    assert report.passed, report
    ip = report.row("1.in_proj_weight")
    assert (ip.fans.fan_in, ip.fans.fan_out) == (64, 192) and ip.true_fans == (64, 64)
    assert ip.verdict.distribution.high == pytest.approx(math.sqrt(6 / (64 + 192)))
    assert report.row("1.in_proj_bias").expected == "zeros"
    assert report.row("1.out_proj.bias").expected == "zeros"
    assert report.row("1.out_proj.weight").expected.startswith("kaiming_uniform")


def test_transformer_reinitialises_with_xavier():
    torch.manual_seed(0)
    t = nn.Transformer(d_model=64, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=128,
                       batch_first=True)
    report = audit(t)
    assert report.passed, report
    assert report.row("encoder.layers.0.linear1.weight").expected == "xavier_uniform"
    assert report.row("encoder.layers.0.linear1.bias").expected.startswith("U(±1/√fan_in)")


def test_unknown_module_and_tied_weights_are_listed():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.gain = nn.Parameter(torch.randn(64))

    torch.manual_seed(0)
    emb = nn.Embedding(128, 64)
    head = nn.Linear(64, 128, bias=False)
    head.weight = emb.weight
    m = nn.Sequential(emb, Scale(), head)
    report = audit(m)
    reasons = {r.name: r.reason for r in report.not_checked}
    assert reasons["1.gain"] == "no rule for module type Scale"
    assert reasons["2.weight"] == "same tensor as 0.weight (tied; checked there)"
    assert report.passed


def test_user_rules_take_precedence_first_match_wins():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(64, 128), nn.Linear(128, 128))
    with torch.no_grad():
        nn.init.normal_(m[0].weight, std=0.02)
    rules = {"0.weight": "normal(std=0.02)", "*.weight": "normal(std=1)", "*.bias": "skip(reason='not mine')"}
    report = audit(m, rules)
    assert report.row("0.weight").status == "pass"
    assert report.row("0.weight").rule == '[rules] "0.weight"'
    assert report.row("1.weight").status == "fail"  # "*.weight" matched before the default
    assert report.row("1.bias").reason == "skipped by rule [rules] \"*.bias\": not mine"
    # type rules
    report = audit(m, {"type:Linear.weight": "normal(std=0.02)"})
    assert {r.name for r in report.failed} == {"1.weight"}


def test_bh_rejects_more_than_holm():
    gen = torch.Generator().manual_seed(4)
    sd = {f"t{i}": torch.randn(64, 64, generator=gen) * (1.04 if i < 8 else 1.0) for i in range(20)}
    holm = audit(sd, {"*": "normal(std=1)"}, alpha=0.05)
    bh = audit(sd, {"*": "normal(std=1)"}, alpha=0.05, correction="bh")
    holm_failed = {r.name for r in holm.failed}
    bh_failed = {r.name for r in bh.failed}
    assert holm_failed < bh_failed
    assert bh_failed <= {f"t{i}" for i in range(8)}
    assert "Benjamini–Hochberg" in str(bh) and "false discovery rate α = 0.05" in str(bh)
    assert "Holm" in str(holm)
    # the per-tensor p is the same; only the adjustment differs
    assert [r.pvalue for r in holm.rows] == [r.pvalue for r in bh.rows]


def test_adjusted_pvalues():
    p = [0.01, 0.02, 0.03, 0.04]
    assert adjusted_pvalues(p, "holm") == pytest.approx([0.04, 0.06, 0.06, 0.06])
    assert adjusted_pvalues(p, "bh") == pytest.approx([0.04, 0.04, 0.04, 0.04])


def test_report_formats_json_markdown_html(tmp_path):
    report = audit(broken_net())
    d = json.loads(report.to_json())
    assert d["passed"] is False and d["correction"] == "holm" and d["counts"]["failed"] == 2
    by_name = {t["name"]: t for t in d["tensors"]}
    assert by_name["2.weight"]["status"] == "fail" and by_name["2.weight"]["std_ratio"]["estimate"] > 1.9
    md = report.to_markdown()
    assert md.startswith("## AUDIT FAIL") and "| 2.weight | Linear | 256×128 |" in md
    html = report.to_html()
    assert "<table class=\"cases\">" in html
    pytest.importorskip("matplotlib")
    assert "data:image/png;base64," in html
    paths = report.write(tmp_path)
    names = {p.name for p in paths}
    assert {"audit.txt", "audit.json", "audit.md", "audit.html"} <= names


def test_errors():
    with pytest.raises(SpecError):
        audit(good_net(), correction="bonferroni")
    with pytest.raises(SpecError):
        audit(good_net(), alpha=2.0)
    with pytest.raises(SourceError, match="rules by name"):
        audit({"w": torch.randn(8, 8)})
    with pytest.raises(SourceError):
        audit(42)
    with pytest.raises(SourceError, match="not a state dict file"):
        audit(Path("model.py"))
    with pytest.raises(SourceError, match="factory"):
        audit(good_net(), lazy=True)


def test_public_api():
    assert verifier.audit is audit
    assert verifier.AuditReport is AuditReport
