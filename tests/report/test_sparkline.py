"""The compact plot of passing cases: F_n − F in band units, small, drawn without matplotlib."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from verifier.report import render_html
from verifier.report.cases import PASS, status
from verifier.report.plots import ecdf_difference
from verifier.report.sparkline import sparkline_svg


@pytest.mark.parametrize("mode", ["exact", "pit", "grid"])
def test_sparkline_says_how_close_to_the_band(results, mode):
    r = next(r for r in results if r.summary is not None and r.summary.mode == mode and r.passed)
    e = ecdf_difference(r)
    svg = sparkline_svg(e)
    root = ET.fromstring(svg)
    assert f"largest excursion {e.statistic / e.band:.2f}" in root.get("aria-label")
    assert len(svg.encode()) < 2500
    # inside the band for a passing case: every polygon point between the dashed ±1 lines
    ns = "{http://www.w3.org/2000/svg}"
    lines = [float(ln.get("y1")) for ln in root.iter(f"{ns}line") if ln.get("stroke-dasharray")]
    ys = [float(p.split(",")[1]) for p in root.find(f"{ns}polygon").get("points").split()]
    assert min(lines) - 1 <= min(ys) and max(ys) <= max(lines) + 1


def test_passes_get_compact_plots_failures_full(results):
    pytest.importorskip("matplotlib")
    html = render_html(results, plots="failures")
    with_summary = [r for r in results if r.summary is not None]
    passes = sum(1 for r in with_summary if status(r) == PASS)
    assert html.count('<svg class="spark"') == passes
    assert html.count("data:image/png;base64,") == len(with_summary) - passes
    assert '<svg class="spark"' not in render_html(results, plots="none")
    assert '<svg class="spark"' not in render_html(results, plots="all")


def test_without_matplotlib_every_case_gets_the_compact_plot(results, monkeypatch):
    import verifier.report.html as h

    monkeypatch.setattr(h, "have_matplotlib", lambda: False)
    html = h.render_html(results)
    assert len(re.findall('<svg class="spark"', html)) == sum(1 for r in results if r.summary is not None)
