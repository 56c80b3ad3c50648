"""The inline stylesheet and script of the HTML report: dependency-free, no network access, so the
file works offline and from disk (``file://``).

The script (vanilla JavaScript, no framework):

- filters the cases by verdict (buttons ``data-filter``: all, FAIL, KNOWN, PASS) and by a text
  search, hiding both the table rows and the case sections, and says how many are shown;
- sorts the table by a column on a click on its header (numbers by their ``data-v`` value,
  text otherwise; a second click reverses), with ``aria-sort`` set;
- opens the ``<details>`` of a case when its anchor is followed (table link, forest plot row,
  or a URL with ``#case-N``), clearing a filter that would hide it.
"""

from __future__ import annotations

__all__ = ["CSS", "JS"]

CSS = """
:root{--pass:#2e7d32;--fail:#c0392b;--known:#b76e00;--ink:#1d1d1f;--muted:#5c5c66;--line:#d9dbe1;--bg2:#f6f7f9}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);background:#fff}
main{max-width:1500px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:20px;margin:4px 0 10px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg2);padding:1px 4px;border-radius:3px}
.banner{border-radius:8px;padding:14px 18px;margin:8px 0 14px;color:#fff;display:flex;flex-wrap:wrap;gap:6px 28px;align-items:baseline}
.banner.PASS{background:var(--pass)}.banner.FAIL{background:var(--fail)}.banner.KNOWN{background:var(--known)}
.banner .status{font-size:26px;font-weight:700;letter-spacing:.02em}
.banner .counts{font-size:16px;font-weight:600}
.banner .meta{flex-basis:100%;font-size:13px;opacity:.95}
.banner code{background:rgba(255,255,255,.18);color:#fff}
.banner .env{font-size:12px;opacity:.9}
.notes{font-size:13px;color:#333}.notes li{margin:2px 0}
.note{background:#fff6e0;border-left:4px solid #e0a000;padding:6px 10px;margin:8px 0;font-size:13px}
.bar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0;position:sticky;top:0;background:#fff;
 padding:8px 0;z-index:3;border-bottom:1px solid var(--line)}
.bar button{font:inherit;font-size:13px;border:1px solid var(--line);background:var(--bg2);border-radius:16px;
 padding:3px 12px;cursor:pointer;color:var(--ink)}
.bar button[aria-pressed=true]{background:var(--ink);color:#fff;border-color:var(--ink)}
.bar input{font:inherit;font-size:13px;padding:4px 8px;border:1px solid var(--line);border-radius:6px;min-width:260px}
.bar .shown{font-size:13px;color:var(--muted)}
.badge{display:inline-block;font-size:11px;font-weight:700;border-radius:4px;padding:1px 6px;color:#fff;white-space:nowrap}
.badge.PASS{background:var(--pass)}.badge.FAIL{background:var(--fail)}.badge.KNOWN{background:var(--known)}
.tablewrap{overflow-x:auto}
table.cases{border-collapse:collapse;font-size:12.5px;width:100%}
table.cases th,table.cases td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
table.cases th{background:var(--bg2);position:sticky;top:0;z-index:2;white-space:nowrap}
table.cases th button{all:unset;cursor:pointer;font-weight:600}
table.cases th[aria-sort=ascending] button::after{content:" \\25B2"}
table.cases th[aria-sort=descending] button::after{content:" \\25BC"}
table.cases td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
table.cases td.diag{max-width:340px;overflow-wrap:break-word}
table.cases td.case{max-width:380px;overflow-wrap:break-word}
table.cases td.spec{max-width:240px;overflow-wrap:break-word}
table.cases tr.FAIL td:first-child{box-shadow:inset 4px 0 var(--fail)}
table.cases tr.KNOWN td:first-child{box-shadow:inset 4px 0 var(--known)}
.sub{color:var(--muted);font-size:11.5px}
.empty{color:var(--muted);font-style:italic;margin:8px 0}
.forestwrap{max-height:75vh;overflow:auto;border:1px solid var(--line);border-radius:6px;padding:0 4px 4px;display:inline-block;max-width:100%}
.forestwrap svg{display:block}.forestwrap svg.axis{position:sticky;top:0;background:#fff;z-index:1;box-shadow:0 1px 0 var(--line)}
details.case{border:1px solid var(--line);border-radius:6px;margin:8px 0;background:#fff}
details.case[open]{box-shadow:0 1px 3px rgba(0,0,0,.06)}
details.case>summary{cursor:pointer;padding:6px 10px;font-size:13.5px;overflow-wrap:anywhere}
details.case>summary .sub{margin-left:6px}
details.case.FAIL{border-left:4px solid var(--fail)}details.case.KNOWN{border-left:4px solid var(--known)}
details.case .body{padding:0 12px 10px}
details.case img{max-width:100%;height:auto;display:block;margin:6px 0}
details.case svg.spark{display:block;margin:6px 0;max-width:100%;height:auto}
pre.verdict{background:var(--bg2);padding:8px;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
 white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0}
table.plain{border-collapse:collapse;font-size:12.5px}
table.plain th,table.plain td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
[hidden]{display:none!important}
"""

JS = r"""
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case-row"));
  var cases = {};
  document.querySelectorAll("details.case").forEach(function (d) { cases[d.id] = d; });
  var filter = "all", query = "";
  var shown = document.getElementById("shown");
  var empty = document.getElementById("empty");
  function apply() {
    var n = 0;
    rows.forEach(function (tr) {
      var ok = (filter === "all" || tr.dataset.status === filter) &&
               (!query || tr.dataset.text.indexOf(query) !== -1);
      tr.hidden = !ok;
      var d = cases[tr.dataset.case];
      if (d) { d.hidden = !ok; }
      if (ok) { n += 1; }
    });
    if (shown) { shown.textContent = "showing " + n + " of " + rows.length; }
    if (empty) { empty.hidden = n !== 0; }
  }
  document.querySelectorAll("[data-filter]").forEach(function (b) {
    b.addEventListener("click", function () {
      filter = b.dataset.filter;
      document.querySelectorAll("[data-filter]").forEach(function (o) {
        o.setAttribute("aria-pressed", String(o === b));
      });
      apply();
    });
  });
  var search = document.getElementById("search");
  if (search) {
    search.addEventListener("input", function () { query = search.value.trim().toLowerCase(); apply(); });
  }
  var table = document.querySelector("table.cases");
  if (table) {
    var tbody = table.tBodies[0];
    table.querySelectorAll("th").forEach(function (th, col) {
      var b = th.querySelector("button");
      if (!b) { return; }
      b.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        function key(tr) {
          var td = tr.cells[col];
          var v = td.getAttribute("data-v");
          if (v !== null && v !== "") { return [0, parseFloat(v), ""]; }
          return [1, 0, td.textContent.trim().toLowerCase()];
        }
        var sorted = rows.slice().sort(function (a, b2) {
          var x = key(a), y = key(b2), c = 0;
          if (x[0] !== y[0]) { return x[0] - y[0]; }  // numbers before blanks, whatever the direction
          c = x[0] === 0 ? x[1] - y[1] : (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0);
          return asc ? c : -c;
        });
        sorted.forEach(function (tr) { tbody.appendChild(tr); });
      });
    });
  }
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var d = id && document.getElementById(id);
    if (!d || d.tagName !== "DETAILS") { return; }
    if (d.hidden) {
      var all = document.querySelector('[data-filter="all"]');
      if (search) { search.value = ""; query = ""; }
      if (all) { all.click(); } else { apply(); }
    }
    d.open = true;
    d.scrollIntoView();
  }
  window.addEventListener("hashchange", openTarget);
  apply();
  openTarget();
})();
"""
