"""Report writers: JSON schema, Markdown, HTML (self-contained, escaped, one image per plotted case), JUnit."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

from verifier.report import (
    render_html,
    render_junit,
    render_markdown,
    render_text,
    to_json,
    write_reports,
)
from verifier.report.cases import PASS, status
from verifier.report.markdown import MAX_LINE
from verifier.report.plots import plot_data


def test_json_schema(results):
    data = to_json(results, title="t", seed=1, alpha=1e-4, command="verifier x")
    json.dumps(data, allow_nan=False)  # strict JSON
    assert data["schema"] == "verifier.report/2"
    assert data["passed"] is False
    assert data["summary"]["cases"] == len(results)
    assert data["summary"]["known_deviations"] == 1
    env = data["environment"]
    assert env["seed"] == 1 and env["alpha"] == 1e-4
    assert {"platform", "cpu_count", "python"} <= set(env["machine"])
    assert "numpy" in env["libraries"] and "scipy" in env["libraries"]
    var = next(c for c in data["verdicts"][0]["checks"] if c["name"] == "variance")
    assert {"estimate", "low", "high", "expected"} <= set(var["effect"])
    assert all({"case", "name", "statistic", "pvalue", "passed"} <= set(c) for c in data["checks"])


def test_text_failures_first(results):
    text = render_text(results)
    lines = [line for line in text.splitlines() if line.startswith(("PASS", "FAIL", "KNOWN"))]
    assert lines[0].startswith("FAIL")
    assert text.rstrip().splitlines()[-1].startswith(f"{len(results)} cases:")
    assert "\x1b" not in text
    assert "\x1b[" in render_text(results, color=True)


def test_markdown(results):
    md = render_markdown(results, title="T", seed=0, alpha=1e-4)
    lines = md.splitlines()
    assert lines[0] == "# T"
    assert lines[2].startswith("**FAIL**: ") and f"{len(results)} cases:" in lines[2]
    table = [line for line in lines if line.startswith(("| 1 ", "| 2 ", "| 3 "))]
    assert "| FAIL " in table[0]
    assert "## Failures and known deviations" in md and "documented <deviation>" in md
    assert max(map(len, lines)) <= MAX_LINE
    # details live in lists, not table cells: the diagnosis is a list item, never in the table
    bad = next(r for r in results if not r.passed and r.diagnosis is not None and not r.known_deviation)
    assert f"- diagnosis: {str(bad.diagnosis)[:40]}" in md
    assert not any(str(bad.diagnosis)[:40] in line for line in lines if line.startswith("|"))


def test_markdown_wraps_long_prose(results):
    long = "word " * 400
    md = render_markdown(results, notes=[long, "x" * 500])
    assert max(map(len, md.splitlines())) <= MAX_LINE


def test_junit(results):
    root = ET.fromstring(render_junit(results, suite="s"))
    cases = root.findall(".//testcase")
    assert len(cases) == len(results)
    assert len(root.findall(".//failure")) == sum(1 for r in results if status(r) == "FAIL")
    assert len(root.findall(".//skipped")) == 1
    assert all("[" in c.get("name") for c in cases)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.scripts = [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.imgs.append(dict(attrs)["src"])
        if tag == "script":
            self.scripts += 1


def test_html_plots(results, tmp_path):
    pytest.importorskip("matplotlib")
    paths = write_reports(results, tmp_path, title="<b>t</b>", seed=0, alpha=1e-4)
    assert {p.name for p in paths} == {"report.json", "report.md", "report.html", "junit.xml"}
    html = (tmp_path / "report.html").read_text()
    parser = _Collector()
    parser.feed(html)
    # default plots='failures': failures and known deviations with a summary get the two panels
    plotted = sum(1 for r in results if getattr(r, "summary", None) is not None and status(r) != PASS)
    assert len(parser.imgs) == plotted == html.count("data:image/png;base64,")
    assert all(src.startswith("data:image/png;base64,") for src in parser.imgs)
    # the one script is ours (inline); user strings are escaped
    assert parser.scripts == 1 and "&lt;script&gt;" in html and "<b>t</b>" not in html
    assert "<script>alert" not in html
    everything = render_html(results, plots="all")
    assert everything.count("data:image/png;base64,") == sum(1 for r in results if r.summary is not None)
    assert "data:image/png" not in render_html(results, plots="none")


def test_html_without_matplotlib(results, monkeypatch):
    import verifier.report.html as h

    monkeypatch.setattr(h, "have_matplotlib", lambda: False)
    html = h.render_html(results)
    assert "<img" not in html and "pip install verifier[plots]" in html


@pytest.mark.parametrize("mode", ["exact", "pit", "grid"])
def test_plot_data_from_summary(results, mode):
    # the conforming case of each summary mode
    r = next(r for r in results if getattr(r, "summary", None) is not None and r.summary.mode == mode and r.passed)
    d = plot_data(r)
    assert d is not None and d.mode == r.summary.mode
    width = np.diff(d.edges)
    assert abs(float(np.sum(d.observed * width)) - 1.0) < 0.02
    assert abs(float(np.sum(d.expected * width)) - 1.0) < 0.02
    # a conforming case stays inside the KS band
    assert np.all(np.abs(d.ecdf.low) <= d.ecdf.band) and np.all(np.abs(d.ecdf.high) <= d.ecdf.band)


def test_exact_has_no_plot(results):
    assert plot_data(results[3]) is None
