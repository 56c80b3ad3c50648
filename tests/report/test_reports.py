"""Report writers: JSON schema, Markdown, HTML (self-contained, escaped, one image per plotted case), JUnit."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

import verifier
from verifier.report import render_junit, render_markdown, render_text, to_json, write_reports
from verifier.report.plots import plot_data
from verifier.suites import ExactResult, exact_check
from verifier.verdict import SampleInfo


@pytest.fixture(scope="module")
def results():
    rng = np.random.default_rng(0)
    good = verifier.check(rng.normal(0, 0.05, size=(256, 128)).astype(np.float32), "normal(0, 0.05)")
    bad = verifier.check(rng.normal(0, 0.06, size=(256, 128)).astype(np.float32), "normal(0, 0.05)")
    bad = dataclasses.replace(bad, sample=dataclasses.replace(bad.sample, source="<script>alert(1)</script>"))
    big = verifier.check(rng.normal(0, 1, size=(1200, 1000)), "normal(0, 1)")  # pit mode
    assert big.summary.mode == "pit"
    exact = ExactResult("eye_", True, (exact_check("exact", False, 0.0, "all equal"),), "identity",
                        SampleInfo("eye_", (4, 4), "float32", 16))
    known = dataclasses.replace(bad, known_deviation="documented <deviation>")
    out = [good, bad, big, exact, known]
    try:
        import ml_dtypes  # noqa: F401
        grid = verifier.check(rng.normal(0, 0.1, size=(300, 300)).astype("bfloat16"), "normal(0, 0.1)")
        out.append(grid)
    except ImportError:
        pass
    torch = pytest.importorskip("torch") if False else None  # noqa: F841
    return out


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
    assert md.startswith("# T")
    assert f"{len(results)} cases:" in md.splitlines()[2]
    table = [line for line in md.splitlines() if line.startswith("| FAIL") or line.startswith("| PASS")]
    assert table[0].startswith("| FAIL")
    assert "Known deviations" in md and "documented <deviation>" in md


def test_junit(results):
    root = ET.fromstring(render_junit(results, suite="s"))
    cases = root.findall(".//testcase")
    assert len(cases) == len(results)
    assert len(root.findall(".//failure")) == 1
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
    plotted = sum(1 for r in results if getattr(r, "summary", None) is not None)
    assert len(parser.imgs) == plotted == html.count("data:image/png;base64,")
    assert all(src.startswith("data:image/png;base64,") for src in parser.imgs)
    assert parser.scripts == 0 and "&lt;script&gt;" in html and "<b>t</b>" not in html


def test_html_without_matplotlib(results, monkeypatch):
    import verifier.report.html as h

    monkeypatch.setattr(h, "have_matplotlib", lambda: False)
    html = h.render_html(results)
    assert "<img" not in html and "pip install verifier[plots]" in html


@pytest.mark.parametrize("mode", ["exact", "pit", "grid"])
def test_plot_data_from_summary(results, mode):
    # the conforming case of each summary mode (the grid case needs ml_dtypes for bf16 numpy)
    found = [r for r in results if getattr(r, "summary", None) is not None and r.summary.mode == mode and r.passed]
    if not found:
        pytest.skip(f"no {mode} case (ml_dtypes not installed)")
    r = found[0]
    d = plot_data(r)
    assert d is not None and d.mode == r.summary.mode
    width = np.diff(d.edges)
    assert abs(float(np.sum(d.observed * width)) - 1.0) < 0.02
    assert abs(float(np.sum(d.expected * width)) - 1.0) < 0.02
    assert np.all(np.diff(d.cdf_observed) >= 0)
    assert np.allclose(d.qq_observed, d.qq_theoretical, atol=0.1 * r.distribution.std + 1e-3)


def test_exact_has_no_plot(results):
    assert plot_data(results[3]) is None
