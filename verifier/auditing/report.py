"""The result of an audit: one row per tensor and the model-level decision.

Per tensor, the checks of its :class:`~verifier.verdict.Verdict` give one p-value: the
Holm-adjusted minimum over the tensor's ``m`` checks, ``p = min(1, m·min p)`` (exact checks
have p 0 or 1). Across tensors, Holm's procedure (family-wise error rate ≤ α, the default) or
Benjamini–Hochberg (false discovery rate ≤ α) decides which tensors fail. Reports only render
these rows; nothing is computed here that the rows do not already hold.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from verifier.errors import SpecError
from verifier.stats.checks import CONFIDENCE
from verifier.report.json_report import json_safe
from verifier.stats.decision import benjamini_hochberg, holm
from verifier.theory.fans import Fans
from verifier.verdict import Verdict

__all__ = ["AuditRow", "AuditReport", "RuleUsage", "CORRECTIONS", "canonical_correction", "adjusted_pvalues", "tensor_pvalue"]

#: Corrections across tensors: name → description.
CORRECTIONS = {
    "holm": "Holm (family-wise error rate)",
    "bh": "Benjamini–Hochberg (false discovery rate)",
}
_ALIASES = {"holm": "holm", "bh": "bh", "benjamini_hochberg": "bh", "benjamini-hochberg": "bh", "fdr_bh": "bh",
            "fdr": "bh"}


def canonical_correction(name: str | None) -> str:
    """``'holm'`` (default) or ``'bh'``."""
    if name is None:
        return "holm"
    key = str(name).strip().lower()
    if key not in _ALIASES:
        raise SpecError(f"unknown correction {name!r}; valid corrections: holm (family-wise), bh (false discovery rate)")
    return _ALIASES[key]


def tensor_pvalue(verdict: Verdict) -> float:
    """One p-value per tensor: Holm-adjusted minimum over its checks, ``min(1, m·min p)``.

    A check rejected but within the verdict's tolerance counts as p = 1 (its effect does not
    matter), so a tolerated tensor cannot fail the model."""
    ps = [1.0 if c.within_tolerance else c.pvalue for c in verdict.checks]
    return min(1.0, len(ps) * min(ps)) if ps else 1.0


@dataclass(frozen=True)
class RuleUsage:
    """How the user's rules were used: rules that matched no tensor, and rules that matched only
    tensors an earlier rule already decided (``(rule, the rule that won, how many tensors)``)."""

    total: int = 0
    unmatched: tuple[str, ...] = ()
    shadowed: tuple[tuple[str, str, int], ...] = ()

    @property
    def clean(self) -> bool:
        return not self.unmatched and not self.shadowed

    def lines(self) -> list[str]:
        """One warning per unmatched or shadowed rule (rendered by :mod:`verifier.report.audit`)."""
        from ..report.audit import rule_warnings

        return rule_warnings(self)

    def summary(self) -> str:
        return "; ".join(self.lines())

    def to_dict(self) -> dict[str, Any]:
        return {"rules": self.total, "unmatched": list(self.unmatched),
                "shadowed": [{"rule": r, "by": w, "tensors": n} for r, w, n in self.shadowed]}


def diagnosis_text(verdict: Verdict | None) -> str:
    """The diagnosis of a failed verdict in one line ('' for a pass): the usual-bug diagnosis,
    or the failing exact/structural check's own detail."""
    if verdict is None:
        return ""
    if verdict.diagnosis is not None:
        return str(verdict.diagnosis)
    bad = [c for c in verdict.checks if c.passed is False and not c.within_tolerance]
    return "; ".join(c.detail for c in bad)


def adjusted_pvalues(pvalues: Sequence[float], correction: str) -> list[float]:
    """Holm or Benjamini–Hochberg adjusted p-values (reject where adjusted ≤ α)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adj = [1.0] * m
    if correction == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, min(1.0, (m - rank) * pvalues[i]))
            adj[i] = running
    else:
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, min(1.0, m * pvalues[i] / (rank + 1)))
            adj[i] = running
    return adj


@dataclass(frozen=True)
class AuditRow:
    """One tensor of the model.

    ``status`` is ``'pass'``, ``'fail'`` or ``'not checked'`` (then ``reason`` says why).
    ``fans`` are the fans the expected distribution uses (torch's own computation for the
    defaults); ``true_fans`` the real connectivity where it differs, explained in ``note``.
    ``pvalue`` is the tensor's p-value, ``adjusted`` the same after the correction across tensors.
    """

    name: str
    module_type: str
    shape: tuple[int, ...]
    dtype: str
    status: str
    reason: str = ""
    expected: str = ""
    rule: str = ""
    fans: Fans | None = None
    true_fans: tuple[int, int] | None = None
    note: str = ""
    verdict: Verdict | None = field(default=None, repr=False)
    pvalue: float | None = None
    adjusted: float | None = None

    @property
    def diagnosis(self) -> str:
        """Why the tensor failed, in one line ('' unless it failed)."""
        return diagnosis_text(self.verdict) if self.status == "fail" else ""

    @property
    def checked(self) -> bool:
        return self.verdict is not None

    @property
    def passed(self) -> bool | None:
        return None if self.status == "not checked" else self.status == "pass"

    @property
    def distribution(self) -> str:
        return str(self.verdict.distribution) if self.verdict is not None else ""

    def _effect(self) -> Any:
        if self.verdict is None:
            return None
        c = self.verdict.check("variance")
        return c.effect if c is not None else None

    @property
    def expected_std(self) -> float | None:
        law = self.verdict.distribution if self.verdict is not None else None
        return law.std if law is not None else None

    @property
    def std_ratio(self) -> tuple[float, float, float] | None:
        """Observed/expected std with its confidence interval ``(estimate, low, high)``."""
        e = self._effect()
        return None if e is None else (e.estimate, e.low, e.high)

    @property
    def ks_pvalue(self) -> float | None:
        c = self.verdict.check("ks") if self.verdict is not None else None
        return None if c is None else c.pvalue

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "module_type": self.module_type,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "status": self.status,
        }
        if self.reason:
            d["reason"] = self.reason
        if self.expected:
            d["expected"] = self.expected
            d["rule"] = self.rule
        if self.fans is not None:
            d["fans"] = {"fan_in": self.fans.fan_in, "fan_out": self.fans.fan_out}
        if self.true_fans is not None:
            d["true_fans"] = {"fan_in": self.true_fans[0], "fan_out": self.true_fans[1]}
        if self.note:
            d["note"] = self.note
        if self.verdict is not None:
            v = self.verdict
            d["distribution"] = str(v.distribution)
            d["n"] = v.sample.n
            expected_std = self.expected_std
            d["expected_std"] = _num(expected_std) if expected_std is not None else None
            r = self.std_ratio
            if r is not None and expected_std is not None:
                d["std_ratio"] = {"estimate": _num(r[0]), "low": _num(r[1]), "high": _num(r[2]), "confidence": CONFIDENCE}
                d["observed_std"] = _num(r[0] * expected_std)
            d["ks_pvalue"] = self.ks_pvalue
            d["pvalue"] = self.pvalue
            d["adjusted_pvalue"] = self.adjusted
            d["checks"] = [
                {"name": c.name, "statistic": _num(c.statistic), "pvalue": c.pvalue, "passed": c.passed, "detail": c.detail}
                for c in v.checks
            ]
            if self.status == "fail":
                d["diagnosis"] = self.diagnosis
                if v.diagnosis is not None:
                    d["diagnosis_causes"] = list(v.diagnosis.names)
        return d


def _num(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class AuditReport:
    """An audit of a model: one :class:`AuditRow` per tensor and the model-level verdict.

    ``passed`` is true iff no tensor is rejected by ``correction`` (``'holm'``: family-wise
    error rate ≤ ``alpha``; ``'bh'``: false discovery rate ≤ ``alpha``) across the checked
    tensors. Tensors that were not checked are listed with the reason and do not fail the model.
    """

    model: str
    rows: tuple[AuditRow, ...]
    alpha: float
    correction: str
    seed: int | None = None
    mode: str = "eager"
    notes: tuple[str, ...] = ()
    rule_usage: RuleUsage = field(default_factory=RuleUsage)
    preset: str = "torch"

    @classmethod
    def decide(cls, model: str, rows: Sequence[AuditRow], *, alpha: float, correction: str,
               seed: int | None = None, mode: str = "eager", notes: Sequence[str] = (),
               rule_usage: RuleUsage | None = None, preset: str = "torch") -> AuditReport:
        """Apply the correction across the checked rows and set each row's status."""
        corr = canonical_correction(correction)
        checked = [i for i, r in enumerate(rows) if r.verdict is not None]
        ps = [tensor_pvalue(rows[i].verdict) for i in checked]  # type: ignore[arg-type]
        rejected = (holm if corr == "holm" else benjamini_hochberg)(ps, alpha) if ps else []
        adj = adjusted_pvalues(ps, corr) if ps else []
        out = list(rows)
        for k, i in enumerate(checked):
            out[i] = dataclasses.replace(rows[i], status="fail" if rejected[k] else "pass", pvalue=ps[k], adjusted=adj[k])
        return cls(model, tuple(out), alpha, corr, seed, mode, tuple(notes), rule_usage or RuleUsage(), preset)

    # ---- views -------------------------------------------------------------------------
    @property
    def passed(self) -> bool:
        return not any(r.status == "fail" for r in self.rows)

    @property
    def checked(self) -> tuple[AuditRow, ...]:
        return tuple(r for r in self.rows if r.verdict is not None)

    @property
    def failed(self) -> tuple[AuditRow, ...]:
        return tuple(r for r in self.rows if r.status == "fail")

    @property
    def not_checked(self) -> tuple[AuditRow, ...]:
        return tuple(r for r in self.rows if r.status == "not checked")

    def row(self, name: str) -> AuditRow:
        """The row of tensor ``name``."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __getitem__(self, name: str) -> AuditRow:
        return self.row(name)

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return True

    def verdicts(self) -> list[Verdict]:
        """The per-tensor verdicts, named by tensor, with ``passed`` set by the model-level
        decision (what :func:`verifier.report.write_reports` renders)."""
        out = []
        for r in self.checked:
            v = r.verdict
            assert v is not None
            info = dataclasses.replace(v.sample, source=f"{r.name} ({r.module_type})")
            out.append(dataclasses.replace(v, passed=r.status == "pass", sample=info, correction=self.correction))
        return out

    @property
    def correction_text(self) -> str:
        what = "family-wise error rate" if self.correction == "holm" else "false discovery rate"
        name = "Holm" if self.correction == "holm" else "Benjamini–Hochberg"
        return f"{name} across {len(self.checked)} tensors, {what} α = {self.alpha:g}"

    # ---- rendering (verifier.report.audit) ---------------------------------------------
    def headline(self) -> str:
        """``AUDIT PASS  model: ... tensors checked, ... failed, ... not checked (correction)``."""
        from verifier.report.audit import audit_headline

        return audit_headline(self)

    def to_text(self) -> str:
        """A plain-text report: headline, the table, tensors not checked, notes on traps."""
        from verifier.report.audit import render_audit_text

        return render_audit_text(self)

    def __str__(self) -> str:
        return self.to_text()

    def to_dict(self) -> dict[str, Any]:
        """JSON data, schema ``verifier.audit/1`` (``verifier/schemas/audit.schema.json``)."""
        return {
            "schema": "verifier.audit/1",
            "model": self.model,
            "passed": self.passed,
            "alpha": self.alpha,
            "correction": self.correction,
            "correction_text": self.correction_text,
            "seed": self.seed,
            "mode": self.mode,
            "notes": list(self.notes),
            "preset": self.preset,
            "rule_usage": self.rule_usage.to_dict(),
            "counts": {"checked": len(self.checked), "failed": len(self.failed), "not_checked": len(self.not_checked)},
            "tensors": [r.to_dict() for r in self.rows],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON (NaN and infinities as null)."""
        return json.dumps(json_safe(self.to_dict()), indent=indent, ensure_ascii=False, allow_nan=False)

    def to_markdown(self) -> str:
        """A Markdown report: headline, the table, tensors not checked, notes."""
        from verifier.report.audit import render_audit_markdown

        return render_audit_markdown(self)

    def to_html(self, *, command: str | None = None, plots: bool | str = "failures") -> str:
        """A standalone HTML page: banner, one row per tensor with its diagnosis, a forest plot
        of every tensor's std ratio grouped by module, plots of the failing tensors."""
        from verifier.report.audit import render_audit_html

        return render_audit_html(self, command=command, plots=plots)

    def render(self, fmt: str = "text") -> str:
        """``'text'``, ``'json'``, ``'markdown'`` (``'md'``) or ``'html'``."""
        from verifier.report.audit import render_audit

        return render_audit(self, fmt)

    def write(self, out_dir: str | Path, formats: Sequence[str] = ("text", "json", "markdown", "html"),
              *, command: str | None = None, plots: bool | str = "failures") -> list[Path]:
        """Write ``audit.txt/.json/.md/.html`` into ``out_dir``, and the per-tensor verdicts
        (report.json/md/html, junit.xml). Under torch.distributed only rank 0 writes."""
        from verifier.report.audit import write_audit_reports

        return write_audit_reports(self, out_dir, formats, command=command, plots=plots)
