"""JUnit XML: one testcase per case, so any CI system shows conformance like tests.

A failure is a ``<failure>`` with the verdict text; a documented known deviation of the library is
reported the way pytest reports an xfail, a ``<skipped type="known-deviation">`` with the
explanation and the verdict text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from .cases import KNOWN, PASS, failed_checks_text, shape_text, status, target

__all__ = ["render_junit"]


def render_junit(results: Sequence[Any], *, suite: str = "verifier", time: float | None = None) -> str:
    """The JUnit XML document as a string."""
    n = len(results)
    failures = sum(1 for r in results if status(r) not in (PASS, KNOWN))
    skipped = sum(1 for r in results if status(r) == KNOWN)
    root = ET.Element("testsuites", name=suite, tests=str(n), failures=str(failures), errors="0",
                      skipped=str(skipped))
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(n), failures=str(failures), errors="0",
                       skipped=str(skipped), time=f"{time or 0:.3f}")
    for r in results:
        tc = ET.SubElement(ts, "testcase", classname=f"{suite}.{target(r)}",
                           name=f"{target(r)} [{shape_text(r)}, {r.sample.dtype}] ~ {r.expected}")
        st = status(r)
        if st == KNOWN:
            sk = ET.SubElement(tc, "skipped", type="known-deviation", message=f"known deviation: {r.known_deviation}")
            sk.text = str(r)
        elif st != PASS:
            fl = ET.SubElement(tc, "failure", type="NonConformance", message=failed_checks_text(r))
            fl.text = str(r)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
