"""The forest plot: log axis, one linked row per case, groups, clipped intervals."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from verifier.report.forest import ForestRow, forest_svg, log_ticks

_NS = "{http://www.w3.org/2000/svg}"


def _rows(n=5, group=None):
    return [ForestRow(f"t{i}", 1.0 + 0.01 * i, 0.99 + 0.01 * i, 1.01 + 0.01 * i, "PASS", f"case-{i}", group)
            for i in range(n)]


def test_one_link_per_row_and_escaped():
    rows = _rows() + [ForestRow("<b>x</b>", 3.0, 2.5, 3.5, "FAIL", "case-9")]
    svg = forest_svg(rows)
    root = ET.fromstring(f"<div>{svg}</div>")
    links = root.findall(f".//{_NS}a")
    assert [a.get("href") for a in links] == [f"#case-{i}" for i in range(5)] + ["#case-9"]
    assert "<b>x</b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg


def test_log_axis_symmetric_about_one():
    svg = forest_svg([ForestRow("a", 2.0, 1.9, 2.1, "FAIL", "a"), ForestRow("b", 1.0, 0.99, 1.01, "PASS", "b")])
    root = ET.fromstring(f"<div>{svg}</div>")
    circles = [float(c.get("cx")) for c in root.iter(f"{_NS}circle")]
    ticks = {t.text: float(t.get("x")) for t in root.iter(f"{_NS}text") if t.get("text-anchor") == "middle"}
    # ×2 and ×½ are equally far from 1
    assert math.isclose(ticks["2"] - ticks["1"], ticks["1"] - ticks["0.5"], rel_tol=1e-6)
    assert math.isclose(circles[0], ticks["2"], abs_tol=0.1) and math.isclose(circles[1], ticks["1"], abs_tol=0.1)


def test_groups_and_clipped_intervals():
    rows = _rows(2, "layer1") + _rows(2, "layer2") + [ForestRow("tiny", 1.0, 0.0, math.inf, "PASS", "z", "layer2")]
    svg = forest_svg(rows)
    root = ET.fromstring(f"<div>{svg}</div>")
    heads = [t.text for t in root.iter(f"{_NS}text") if t.get("class") == "fg"]
    assert heads == ["layer1", "layer2"]
    assert len(list(root.iter(f"{_NS}path"))) == 2  # both ends of the unbounded interval get an arrow


def test_text_at_least_10px_and_empty():
    svg = forest_svg(_rows())
    assert "font:11px" in svg
    assert svg.startswith('<svg class="forest axis"') and svg.count("<svg") == 2  # the axis header stays in view
    assert forest_svg([]) == ""


def test_ticks():
    assert 1.0 in log_ticks(0.5, 2.0) and len(log_ticks(0.01, 100)) <= 9
