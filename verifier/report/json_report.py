"""The JSON report (schema ``verifier.report/2``): every check of every case, and the environment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .cases import case_name, counts, finite_or_none as _f, summary_line, target
from .environment import environment
from .format import format_spec, headline, status_of

__all__ = ["json_safe", "SCHEMA", "VERDICT_SCHEMA", "to_json", "result_to_dict", "check_to_dict", "diagnosis_to_dict",
           "verdict_to_json"]

SCHEMA = "verifier.report/2"
"""A suite's or a session's report: every verdict, the checks, the environment."""

VERDICT_SCHEMA = "verifier.verdict/1"
"""One verdict on its own (``verifier check --format json``, ``Verdict.to_dict()``)."""


def json_safe(obj: Any) -> Any:
    """JSON-safe data: non-finite floats become null (JSON has no inf/NaN), tuples lists."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def diagnosis_to_dict(d: Any) -> dict[str, Any] | None:
    """The structured diagnosis of a failed verdict: the likeliest cause, the ratio it predicts, the
    observed ratio, every cause that fits, the shape hint and the readable text."""
    if d is None:
        return None
    best = d.causes[0] if d.causes else None
    return {
        "cause": d.short,
        "predicted_ratio": _f(best.predicted) if best is not None else None,
        "observed_ratio": _f(d.std_ratio),
        "interval": None if d.ci is None else [_f(d.ci[0]), _f(d.ci[1])],
        "causes": [{"name": c.name, "predicted_ratio": _f(c.predicted), "explanation": c.explanation}
                   for c in d.causes],
        "shape": d.shape,
        "other": list(d.other),
        "text": str(d),
    }


def check_to_dict(c: Any, case: str | None = None) -> dict[str, Any]:
    """One check: name, statistic, p-value, decision, detail, effect (estimate and interval)."""
    d: dict[str, Any] = {}
    if case is not None:
        d["case"] = case
    d.update(name=c.name, statistic=_f(float(c.statistic)), pvalue=_f(float(c.pvalue)), passed=c.passed,
             detail=c.detail)
    if getattr(c, "bound", None) is not None:
        d["bound"] = _f(float(c.bound))
    e = getattr(c, "effect", None)
    if e is not None:
        d["effect"] = {"name": e.name, "estimate": _f(e.estimate), "low": _f(e.low), "high": _f(e.high),
                       "expected": _f(e.expected)}
    return d


def _sample(s: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "source": s.source, "shape": list(s.shape), "dtype": s.dtype, "n": s.n,
        "draws": getattr(s, "draws", 1), "seed": getattr(s, "seed", None), "layout": getattr(s, "layout", None),
        "convention": getattr(s, "convention", None), "device": getattr(s, "device", None),
    }
    fans = getattr(s, "fans", None)
    d["fans"] = None if fans is None else {"fan_in": fans.fan_in, "fan_out": fans.fan_out,
                                            "receptive_field": getattr(fans, "receptive_field", None)}
    return d


def result_to_dict(r: Any) -> dict[str, Any]:
    """One case (a Verdict) as plain JSON data."""
    name = case_name(r)
    dist = getattr(r, "distribution", None)
    spec = getattr(r, "spec", None)
    d: dict[str, Any] = {
        "case": name,
        "target": target(r),
        "shape": [int(x) for x in r.sample.shape],
        "dtype": r.sample.dtype,
        "status": status_of(r),
        "passed": bool(r.passed),
        "headline": headline(r),
        "known_deviation": getattr(r, "known_deviation", None),
        "expected": r.expected,
        "spec": None if spec is None else {"name": spec.name, "text": str(spec), "display": format_spec(spec)},
        "kind": "exact" if getattr(spec, "exact", False) or dist is None else "statistical",
    }
    if dist is not None:
        d["distribution"] = {"text": str(dist), "type": type(dist).__name__, "mean": _f(dist.mean),
                             "std": _f(dist.std), "support": [_f(x) for x in dist.support]}
    d["sample"] = _sample(r.sample)
    if getattr(r, "alpha", None) is not None:
        d["alpha"] = r.alpha
    if hasattr(r, "correction"):
        d["correction"] = r.correction
    det = getattr(r, "detectable", None)
    if det is not None:
        d["detectable_std_error"] = {"down": _f(det[0]), "up": _f(det[1])}
    summary = getattr(r, "summary", None)
    if summary is not None:
        d["summary_mode"] = summary.mode
    d["checks"] = [check_to_dict(c) for c in r.checks]
    d["diagnosis"] = diagnosis_to_dict(getattr(r, "diagnosis", None))
    d["text"] = str(r)
    return d


def verdict_to_json(r: Any, *, nodeid: str | None = None) -> dict[str, Any]:
    """One verdict as a standalone document (schema :data:`VERDICT_SCHEMA`)."""
    d = {"schema": VERDICT_SCHEMA, **result_to_dict(r)}
    if nodeid is not None:
        d["nodeid"] = nodeid
    return d


def to_json(
    results: Sequence[Any],
    *,
    title: str | None = None,
    command: str | None = None,
    seed: int | None = None,
    alpha: float | None = None,
    notes: Sequence[str] = (),
    include_environment: bool = True,
    ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The whole report as a dict (``json.dumps`` it).

    Top level: ``schema``, ``passed`` (all cases passed), ``summary``, ``checks`` (every check of
    every case, each with its ``case``), ``verdicts`` (one object per case) and ``environment``.
    """
    n, passed, failed, known = counts(results)
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "title": title,
        "passed": all(bool(r.passed) for r in results),
        "summary": {"cases": n, "passed": passed, "failed": failed, "known_deviations": known,
                    "unexpected_failures": failed - known, "line": summary_line(results)},
        "checks": [check_to_dict(c, case_name(r)) for r in results for c in r.checks],
        "verdicts": [result_to_dict(r) for r in results],
    }
    if ids is not None:  # the pytest node id of each verdict (plugin reports)
        for verdict, nodeid in zip(out["verdicts"], ids):
            verdict["nodeid"] = nodeid
    if notes:
        out["notes"] = list(notes)
    if include_environment:
        out["environment"] = environment(seed=seed, alpha=alpha, command=command)
    return out
