"""The HTML reports in a real browser: headless Chromium (Debian's ``chromium`` package, found on
the machine; never downloaded) driven by playwright, loading each kind of report from disk.

Per report: no console errors, the banner's text, the "failures" filter hides passing rows, a
collapsed case opens on click, every ``<img>`` has decoded, no text smaller than 10 px. A
screenshot of each kind and the measured load times (recorded, not asserted: speed is not a
unit-test property) go to ``test-artifacts/browser/`` (``$VERIFIER_TEST_ARTIFACTS`` overrides).

Without playwright or a Chromium the tests skip and say why; with ``VERIFIER_REQUIRE_BROWSER=1``
(CI) they fail instead, so a CI run cannot pass without having looked at the reports.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from verifier.report import render_html, write_reports
from verifier.report.cases import PASS, status

ARTIFACTS = Path(os.environ.get("VERIFIER_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")
SHOTS = ARTIFACTS / "browser"


def _chromium() -> str | None:
    """A Chromium executable: $VERIFIER_CHROMIUM, Debian's binary (not its wrapper script), or PATH."""
    candidates = [os.environ.get("VERIFIER_CHROMIUM"), "/usr/lib/chromium/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


def _unavailable(reason: str) -> None:
    if os.environ.get("VERIFIER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (VERIFIER_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install playwright (it drives the system Chromium)")
    exe = _chromium()
    if exe is None:
        _unavailable("no Chromium on this machine: apt-get install chromium (or set VERIFIER_CHROMIUM)")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
    except Exception as exc:  # noqa: BLE001 - any launch failure means no browser here
        pw.stop()
        _unavailable(f"Chromium at {exe} does not start: {str(exc).splitlines()[0]}")
    yield b
    b.close()
    pw.stop()


class Loaded:
    """A report opened in a fresh page, with the console errors seen while loading and using it."""

    def __init__(self, browser, path: Path):
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def js(self, code: str):
        return self.page.evaluate(code)

    def timing(self) -> dict:
        return self.js("(() => { const t = performance.getEntriesByType('navigation')[0];"
                       " return {dom_content_loaded_ms: t.domContentLoadedEventEnd, load_ms: t.loadEventEnd,"
                       " bytes: t.decodedBodySize}; })()")

    def visible_rows(self) -> dict:
        return self.js("(() => { const c = {FAIL: 0, KNOWN: 0, PASS: 0};"
                       " document.querySelectorAll('tr.case-row').forEach(r => { if (!r.hidden) c[r.dataset.status]++; });"
                       " return c; })()")


def _record(kind: str, loaded: Loaded, record_property) -> None:
    """The top of the page as first seen, and the load timing (recorded, never asserted)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    loaded.page.evaluate("window.scrollTo(0, 0)")
    loaded.page.screenshot(path=str(SHOTS / f"{kind}-top.png"))
    timing = loaded.timing()
    record_property(f"{kind}_timing", timing)
    path = SHOTS / "timings.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[kind] = timing
    path.write_text(json.dumps(data, indent=2) + "\n")


def _check_report(loaded: Loaded, *, banner: str, counts: dict, images: int) -> None:
    """The assertions every kind of report must meet."""
    page = loaded.page
    assert loaded.errors == []
    assert page.inner_text("#banner").startswith(banner)
    # every image has decoded (data: URLs; decode() rejects on a broken image)
    decoded = loaded.js("Promise.all(Array.from(document.images).map(i => i.decode().then(() => i.naturalWidth > 0,"
                        " () => false)))")
    assert len(decoded) == images and all(decoded)
    # no text under 10 px at 100 % zoom (text in <svg> included)
    smallest = loaded.js("(() => { let m = 1e9; const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
                         " while (w.nextNode()) { const n = w.currentNode; if (!n.textContent.trim()) continue;"
                         " const el = n.parentElement; if (el.closest('script,style')) continue;"
                         " m = Math.min(m, parseFloat(getComputedStyle(el).fontSize)); } return m; })()")
    assert smallest >= 10
    assert loaded.visible_rows() == counts
    # the "failures" filter hides passing rows (and their case sections)
    page.click('[data-filter="FAIL"]')
    assert loaded.visible_rows() == {"FAIL": counts["FAIL"], "KNOWN": 0, "PASS": 0}
    assert loaded.js("Array.from(document.querySelectorAll('details.case.PASS')).every(d => d.hidden)")
    assert page.is_visible("#empty") == (counts["FAIL"] == 0)
    page.click('[data-filter="KNOWN"]')
    assert loaded.visible_rows() == {"FAIL": 0, "KNOWN": counts["KNOWN"], "PASS": 0}
    page.click('[data-filter="all"]')
    assert loaded.visible_rows() == counts
    SHOTS.mkdir(parents=True, exist_ok=True)
    # a collapsed case opens on click
    if counts["PASS"]:
        case_id = loaded.js("document.querySelector('details.case:not([open])').id")
        page.click(f"#{case_id} > summary")
        assert loaded.js(f"document.getElementById('{case_id}').open") is True
    assert loaded.errors == []


def _kinds(results) -> dict:
    return {c: sum(1 for r in results if {"PASS": "PASS", "FAIL": "FAIL"}.get(status(r), "KNOWN") == c)
            for c in ("FAIL", "KNOWN", "PASS")}


def test_suite_report(browser, results, tmp_path, record_property):
    pytest.importorskip("matplotlib")
    write_reports(results, tmp_path, title="mixed cases", seed=0, alpha=1e-4, command="verifier suite example")
    loaded = Loaded(browser, tmp_path / "report.html")
    plotted = sum(1 for r in results if r.summary is not None and status(r) != PASS)
    _check_report(loaded, banner="FAIL", counts=_kinds(results), images=plotted)
    page = loaded.page
    # text search narrows the rows; clearing it restores them
    page.fill("#search", "float16")
    shown = loaded.visible_rows()
    assert sum(shown.values()) == sum(1 for r in results if r.sample.dtype == "float16")
    page.fill("#search", "")
    # sorting by the std-ratio column orders the rows by their ratio
    page.click("th:nth-child(6) button")
    ratios = loaded.js("Array.from(document.querySelectorAll('tr.case-row td:nth-child(6)'))"
                       ".map(td => td.dataset.v).filter(v => v).map(Number)")
    assert ratios == sorted(ratios) and len(ratios) >= 3
    # the forest plot's sticky axis header lines up with its grid (same scale, same ticks)
    centers = loaded.js("['svg.forest.axis', 'svg.forest:not(.axis)'].map(sel => Array.from(document.querySelectorAll("
                        "sel + ' text[text-anchor=middle]')).map(t => { const b = t.getBoundingClientRect();"
                        " return Math.round(b.left + b.width / 2); }))")
    head, grid = centers
    assert head and all(abs(a - b) <= 1 for a, b in zip(head, grid[: len(head)]))
    # a forest-plot row opens its (collapsed) case
    target = loaded.js("Array.from(document.querySelectorAll('.forest a')).map(a => a.getAttribute('href'))"
                       ".find(h => !document.querySelector(h).open)")
    page.click(f'.forest a[href="{target}"]')
    assert loaded.js(f"document.querySelector('{target}').open") is True
    _record("suite", loaded, record_property)
    page.locator("details.case[open]").first.screenshot(path=str(SHOTS / "suite-failure.png"))
    page.locator(".forestwrap").screenshot(path=str(SHOTS / "suite-forest.png"))
    assert loaded.errors == []


def test_check_report_single_case(browser, results, tmp_path, record_property):
    """What `verifier check --out` writes: one case, no forest plot."""
    path = tmp_path / "report.html"
    path.write_text(render_html([results[0]], title="verifier check", alpha=1e-4, plots="all"), encoding="utf-8")
    loaded = Loaded(browser, path)
    _check_report(loaded, banner="PASS", counts={"FAIL": 0, "KNOWN": 0, "PASS": 1}, images=1)
    assert loaded.js("document.querySelector('.forest')") is None
    _record("check", loaded, record_property)


def test_audit_500_report(browser, audit_500_dir, record_property):
    out, report = audit_500_dir
    loaded = Loaded(browser, out / "audit.html")
    counts = {"FAIL": len(report.failed), "KNOWN": 0, "PASS": len(report.checked) - len(report.failed)}
    _check_report(loaded, banner="FAIL", counts=counts, images=len(report.failed))
    _record("audit500", loaded, record_property)
    loaded.page.locator(".forestwrap").screenshot(path=str(SHOTS / "audit500-forest.png"))
    # the first failing tensor's case, with its plots
    loaded.page.locator("details.case.FAIL").first.screenshot(path=str(SHOTS / "audit500-failure.png"))


@pytest.mark.slow
def test_torch_suite_report(browser, torch_suite_dir, record_property):
    import re

    html = (torch_suite_dir / "report.html").read_text(encoding="utf-8")
    counts = {k: len(re.findall(f'<tr class="case-row {k}"', html)) for k in ("FAIL", "KNOWN", "PASS")}
    loaded = Loaded(browser, torch_suite_dir / "report.html")
    _check_report(loaded, banner="PASS WITH KNOWN DEVIATIONS", counts=counts, images=counts["KNOWN"])
    _record("torch_suite", loaded, record_property)
    loaded.page.locator("details.case.KNOWN").first.screenshot(path=str(SHOTS / "torch_suite-deviation.png"))


def test_propagation_report(browser, tmp_path, record_property):
    """The propagation report (verifier suite propagation / propagate --out): banner, every figure
    decoded, a passing model collapsed and opening on click, a failing one open."""
    torch = pytest.importorskip("torch")
    from verifier import propagate
    from verifier.report.propagation import render_html as render_propagation

    def net(init: str):
        layers = []
        for _ in range(6):
            lin = torch.nn.Linear(128, 128, bias=False)
            (torch.nn.init.kaiming_normal_ if init == "he" else torch.nn.init.xavier_normal_)(lin.weight)
            layers += [lin, torch.nn.ReLU()]
        return torch.nn.Sequential(*layers)

    reports = [propagate(lambda: net("he"), batch=256, seeds=4), propagate(lambda: net("xavier"), batch=256, seeds=4)]
    path = tmp_path / "propagation.html"
    path.write_text(render_propagation(reports, title="propagation"), encoding="utf-8")
    loaded = Loaded(browser, path)
    assert loaded.errors == []
    assert loaded.page.inner_text("#banner").startswith("FAIL")
    decoded = loaded.js("Promise.all(Array.from(document.images).map(i => i.decode().then(() => i.naturalWidth > 0,"
                        " () => false)))")
    assert decoded and all(decoded)
    assert loaded.js("document.getElementById('model-1').open") is True
    assert loaded.js("document.getElementById('model-0').open") is False
    loaded.page.click("#model-0 > summary")
    assert loaded.js("document.getElementById('model-0').open") is True
    assert loaded.errors == []
    _record("propagation", loaded, record_property)
