"""JUnit XML: one testcase per case, so any CI system shows conformance like tests.

A failure is a ``<failure>`` with the verdict text; a documented known deviation of the library is
reported the way pytest reports an xfail, a ``<skipped type="known-deviation">`` with the
explanation and the verdict text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from .cases import KNOWN, PASS, failed_checks_text, shape_text, status, target
from .format import headline

__all__ = ["render_junit"]


def _classname(suite: str, text: str) -> str:
    """A CI-friendly class name: dotted words, no spaces or brackets (``torch_nn_init.kaiming_normal_``)."""
    words = re.sub(r"[^A-Za-z0-9_.]+", "_", text).strip("_.")
    return ".".join(w for w in (re.sub(r"[^A-Za-z0-9_]+", "_", suite).strip("_"), words) if w) or "verifier"


def render_junit(results: Sequence[Any], *, suite: str = "verifier", time: float | None = None,
                 ids: Sequence[str] | None = None) -> str:
    """The JUnit XML document as a string; a failure's ``message`` starts with the verdict's headline.
    With ``ids`` (pytest node ids), each testcase is named by its node id."""
    n = len(results)
    failures = sum(1 for r in results if status(r) not in (PASS, KNOWN))
    skipped = sum(1 for r in results if status(r) == KNOWN)
    root = ET.Element("testsuites", name=suite, tests=str(n), failures=str(failures), errors="0",
                      skipped=str(skipped))
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(n), failures=str(failures), errors="0",
                       skipped=str(skipped), time=f"{time or 0:.3f}")
    for i, r in enumerate(results):
        name = f"{target(r)} [{shape_text(r)}, {r.sample.dtype}] ~ {r.expected}"
        if ids is not None:
            name = f"{ids[i]} :: {name}"
        tc = ET.SubElement(ts, "testcase", classname=_classname(suite, target(r).split("(", 1)[0]), name=name)
        st = status(r)
        if st == KNOWN:
            sk = ET.SubElement(tc, "skipped", type="known-deviation", message=f"known deviation: {r.known_deviation}")
            sk.text = str(r)
        elif st != PASS:
            fl = ET.SubElement(tc, "failure", type="NonConformance",
                               message=f"{headline(r)} ({failed_checks_text(r)})")
            fl.text = str(r)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
