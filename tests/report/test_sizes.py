"""Size and count of the big reports: the torch suite report (at most 2 MB) and a generated
500-tensor audit (at most 5 MB). Plots only for failures and deviations by default."""

from __future__ import annotations

import re

import pytest

from verifier.report.markdown import MAX_LINE

MB = 1_000_000


def _count(html: str, pattern: str) -> int:
    return len(re.findall(pattern, html))


def test_audit_500_size_and_counts(audit_500_dir):
    out, report = audit_500_dir
    for name in ("audit.html", "report.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert len(html.encode()) <= 5 * MB
        assert _count(html, r'<tr class="case-row ') == len(report.checked) == 500
        assert _count(html, r"<details class=\"case ") == 500
        assert _count(html, r"<details class=\"case [A-Z]+\" id=\"case-\d+\" open>") == len(report.failed) == 2
        assert html.count("data:image/png;base64,") == 2  # plots for the two failing tensors only
        with_ratio = sum(1 for r in report.checked if r.std_ratio is not None)
        assert _count(html, r'<a href="#case-\d+"><title>') == with_ratio  # one forest row each
        # module groups of the forest plot: 100 blocks × attn, mlp (LayerNorm's ones/zeros are exact checks)
        assert html.count('class="fg"') == 200


@pytest.mark.slow
def test_torch_suite_report_size_and_counts(torch_suite_dir):
    html = (torch_suite_dir / "report.html").read_text(encoding="utf-8")
    md = (torch_suite_dir / "report.md").read_text(encoding="utf-8")
    assert len(html.encode()) <= 2 * MB
    rows = _count(html, r'<tr class="case-row ')
    known = _count(html, r'<tr class="case-row KNOWN"')
    assert rows >= 200 and _count(html, r'<tr class="case-row FAIL"') == 0
    assert html.count("data:image/png;base64,") == known > 0  # full plots for deviations only
    assert max(map(len, md.splitlines())) <= MAX_LINE
