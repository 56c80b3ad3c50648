"""The README's "Auditing a model" example, run as written."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")


def test_readme_auditing_a_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # --- README: Auditing a model ---------------------------------------------------
    import torch
    import torch.nn as nn

    import verifier

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 256), nn.LayerNorm(256), nn.Linear(256, 64))
    with torch.no_grad():
        model[2].weight.mul_(2)  # a bug: twice the default std

    report = verifier.audit(model)  # torch's documented defaults, Holm across tensors
    print(report)
    assert not report.passed
    assert [row.name for row in report.failed] == ["2.weight"]

    # your own rules (first match wins, before the defaults), e.g. from a TOML file
    report = verifier.audit(model, {"2.weight": "uniform(-0.125, 0.125)"})
    assert report.passed

    report.write("audit-report")  # audit.txt, audit.json, audit.md, audit.html (+ plot)
    # --- end of README ---------------------------------------------------------------
    assert (tmp_path / "audit-report" / "audit.html").exists()
