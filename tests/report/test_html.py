"""The HTML report's structure (parsed, no browser): banner, one row per case with its facts,
details open for failures, forest plot, audits grouped by module, offline (no external URL)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from verifier.report import render_html
from verifier.report.cases import KNOWN, PASS, overall, status
from verifier.report.html import plot_choice


class _Tree(HTMLParser):
    """Collects rows, details, banner text and every URL-bearing attribute."""

    def __init__(self):
        super().__init__()
        self.rows, self.details, self.urls, self.banner = [], [], [], []
        self._in_banner = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "case-row" in (a.get("class") or ""):
            self.rows.append(a)
        if tag == "details":
            self.details.append(a)
        for key in ("src", "href"):
            if key in a:
                self.urls.append(a[key])
        if a.get("id") == "banner":
            self._in_banner = 1
        elif self._in_banner:
            self._in_banner += tag not in ("br", "img")

    def handle_endtag(self, tag):
        if self._in_banner:
            self._in_banner -= 1

    def handle_data(self, data):
        if self._in_banner:
            self.banner.append(data)


def _parse(html):
    t = _Tree()
    t.feed(html)
    return t


def test_banner_rows_and_details(results):
    html = render_html(results, title="T", alpha=1e-4, seed=0, plots="none")
    t = _parse(html)
    banner = " ".join(t.banner)
    assert banner.startswith("FAIL") and f"{len(results)} cases" in banner and "α = 0.0001" in banner
    assert "Environment: verifier" in banner and "numpy" in banner and "Python" in banner
    assert len(t.rows) == len(t.details) == len(results)
    # failures first; failures and deviations open, passes collapsed
    order = [r["data-status"] for r in t.rows]
    assert order == sorted(order, key=["FAIL", "KNOWN", "PASS"].index)
    assert all(("open" in d) == ("PASS" not in d["class"]) for d in t.details)
    # offline: only data: URLs and in-page anchors
    assert all(u.startswith(("data:", "#")) for u in t.urls)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)


def test_row_explains_itself(results):
    html = render_html(results, plots="none")
    bad = next(r for r in results if status(r) == "FAIL" and r.check("variance").passed is False)
    row = re.search(r'<tr class="case-row FAIL".*?</tr>', html, re.DOTALL).group(0)
    assert "variance" in row  # the rejected check
    lo, hi = bad.check("variance").effect.low, bad.check("variance").effect.high
    assert f"[{lo:.4f}, {hi:.4f}]" in row  # the std ratio's interval
    assert bad.diagnosis.short[:30] in row
    assert "%" in row  # smallest detectable error


def test_status_words():
    class R:
        def __init__(self, passed, known=None):
            self.passed, self.known_deviation = passed, known

    assert overall([R(True), R(False, "doc")]) == "PASS WITH KNOWN DEVIATIONS"
    assert overall([R(True)]) == PASS and overall([R(True), R(False)]) == "FAIL"
    assert status(R(False, "doc")) == KNOWN


def test_pass_with_known_deviations_banner(results):
    subset = [r for r in results if status(r) != "FAIL"]
    t = _parse(render_html(subset, plots="none"))
    assert " ".join(t.banner).startswith("PASS WITH KNOWN DEVIATIONS")


def test_forest_plot_links_every_ratio(results):
    html = render_html(results, plots="none")
    forest = re.search(r'<svg class="forest".*?</svg>', html, re.DOTALL).group(0)
    with_ratio = [r for r in results if r.check("variance") is not None and r.check("variance").effect is not None]
    assert forest.count("<a href=\"#case-") == len(with_ratio)


def test_plot_choice():
    assert plot_choice(True) == "failures" and plot_choice(False) == "none" and plot_choice("all") == "all"
    with pytest.raises(ValueError):
        plot_choice("some")


def test_groups_and_not_checked(results):
    groups = [f"m{i % 2}" for i in range(len(results))]
    html = render_html(results, groups=groups, not_checked=[("emb.weight", "Embedding", "10×4", "no rule")],
                       correction="Holm across 7 tensors")
    assert "grouped by module" in html and 'class="fg"' in html
    assert "Not checked (1)" in html and "no rule" in html and "Holm across 7 tensors" in html
    with pytest.raises(ValueError):
        render_html(results, groups=["x"])


def test_audit_report_structure(tmp_path):
    torch = pytest.importorskip("torch")
    from torch import nn

    from verifier.auditing import audit

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.Embedding(10, 4))
    with torch.no_grad():
        net[2].weight.mul_(3.0)
    report = audit(net)
    html = report.to_html()
    t = _parse(html)
    assert " ".join(t.banner).startswith("FAIL") and "Holm across" in " ".join(t.banner)
    assert f"{len(report.checked)} tensors: " in " ".join(t.banner)
    assert len(t.rows) == len(report.checked)
    assert ">0</text>" in html or 'class="fg"' in html  # module group headings in the forest plot
    paths = report.write(tmp_path, plots="none")
    assert {"audit.html", "report.html"} <= {p.name for p in paths}
    assert "data:image/png" not in (tmp_path / "report.html").read_text()
