"""The verdict: checks combined under multiple-testing control, with the stated power."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .stats import omnibus
from .stats.checks import CheckResult, NullModel, null_model, on_detected_grid, run_checks
from .stats.decision import detectable_std_error, event_share, holm_levels, role_and_share, role_of
from .stats.summary import Summary
from .stats.tolerance import Tolerance, apply_tolerance
from .theory.distributions import Distribution
from .theory.fans import Fans

if TYPE_CHECKING:
    from .diagnosis import Diagnosis
    from .theory.specs import Spec

__all__ = ["SampleInfo", "Verdict", "decide", "verify"]


@dataclass(frozen=True)
class SampleInfo:
    """What was sampled: the source, the shape of one draw, dtype, count and how."""

    source: str
    shape: tuple[int, ...]
    dtype: str
    n: int
    draws: int = 1
    seed: int | None = None
    convention: str = "values"
    device: str = "cpu"
    layout: str = "torch"
    fans: Fans | None = None

    def __str__(self) -> str:
        from .report.format import fmt_shape

        shape = fmt_shape(self.shape)
        parts = [f"shape {shape}", self.dtype, f"n={self.n:,}"]
        if self.draws > 1:
            parts.append(f"{self.draws} draws")
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        if self.device != "cpu":
            parts.append(self.device)
        return ", ".join(parts)


@dataclass(frozen=True)
class Verdict:
    """Whether a sample conforms to an expected distribution.

    ``passed`` is true iff no check is rejected by Holm's procedure at family-wise level
    ``alpha``. ``detectable`` gives the relative std errors (down, up) that this sample
    size detects with probability :data:`~verifier.stats.decision.POWER`, so a pass on a
    small tensor is not read as proof. A failed verdict carries a ``diagnosis``
    (:func:`verifier.diagnose`): the usual bug its std ratio or shape points to.
    """

    passed: bool
    checks: tuple[CheckResult, ...]
    expected: str
    distribution: Distribution | None
    sample: SampleInfo
    alpha: float
    detectable: tuple[float, float]
    correction: str = "holm"
    summary: Summary | None = field(default=None, repr=False, compare=False)
    diagnosis: Diagnosis | None = field(default=None, compare=False)
    known_deviation: str | None = field(default=None, repr=False, compare=False)
    """Set by conformance suites on a case where the library is documented to deviate:
    the explanation shown next to the (still failing) verdict in reports."""
    tolerance: Tolerance | None = field(default=None, compare=False)
    """The practical tolerance the verdict was decided with (``check(..., tolerance=)``)."""
    spec: Spec | None = field(default=None, compare=False)
    """The expected spec itself (``expected`` is its string form, or a rule's label)."""

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The rejected checks that fail the verdict (tolerated ones excluded)."""
        return tuple(c for c in self.checks if c.passed is False and not c.within_tolerance)

    @property
    def tolerated(self) -> tuple[CheckResult, ...]:
        """Checks rejected statistically whose effect lies within :attr:`tolerance`."""
        return tuple(c for c in self.checks if c.passed is False and c.within_tolerance)

    @property
    def status(self) -> str:
        """``'pass'`` (no detectable deviation), ``'within tolerance'`` (a deviation was
        detected and its size shown within :attr:`tolerance` by a TOST), ``'inconclusive'``
        (detected, neither shown within nor beyond the tolerance: not a pass) or ``'fail'``.
        Each rejected check is excused only by the equivalence test of an effect that sees what
        it saw (:mod:`verifier.stats.tolerance`): the std ratio, the mean, the support's scale, and
        for KS/AD/CvM the weighted CDF distance at every resolved quantile level and the extremes
        (:mod:`verifier.stats.equivalence`), never the KS distance alone."""
        if not self.passed:
            if self.tolerance is not None and all(
                    c.within_tolerance is None and (c.tolerance_detail or "").endswith("inconclusive")
                    for c in self.failed):
                return "inconclusive"
            return "fail"
        return "within tolerance" if self.tolerated else "pass"

    def to_dict(self) -> dict:
        """JSON data, schema ``verifier.verdict/1`` (``verifier/schemas/verdict.schema.json``)."""
        from .report.json_report import verdict_to_json

        return verdict_to_json(self)

    def check(self, name: str) -> CheckResult | None:
        """The check called ``name`` ('finite', 'degenerate', 'support', 'mean', 'variance', 'range', 'ks', 'ad',
        'cvm', and 'shape' when KS/AD/CvM were combined)."""
        return next((c for c in self.checks if c.name == name), None)

    @property
    def std_ratio(self) -> float | None:
        """Observed/expected std (None when the variance check did not run)."""
        c = self.check("variance")
        return c.effect.estimate if c is not None and c.effect is not None else None

    def __str__(self) -> str:
        from .report.text import render_verdict

        return render_verdict(self)


def _use_omnibus(n: int, level: float, k: int) -> bool:
    """Whether combining KS/AD/CvM into one omnibus (Holm over ``k − 2`` tests) rejects a
    member at a larger p-value than Holm over all ``k`` does (depends on n and α only)."""
    return omnibus.available() and omnibus.critical(level / (k - 2), n) >= level / k


def decide(checks: tuple[CheckResult, ...], alpha: float, n: int | None = None) -> tuple[CheckResult, ...]:
    """Decide each check at family-wise level ``alpha``.

    Deterministic checks (finite, support) fail when violated and spend none of α; event
    checks (degenerate) fail when ``p ≤ share·α``; the statistical checks share the rest,
    ``α·(1 − Σ shares)``, under Holm's procedure (see :data:`verifier.stats.decision.ROLES`).
    Given ``n``, KS, AD and CvM enter Holm as one omnibus check ``shape``
    (:mod:`verifier.stats.omnibus`, the smallest of their p-values by its null law) when
    that is the more powerful choice for this n and α; a member is then rejected when the
    omnibus is and its own p-value is within the omnibus' critical value. The family-wise
    false-alarm rate is at most ``alpha``.
    """
    checks = tuple(c for c in checks if c.name != "shape")
    roles = [role_and_share(c.name) for c in checks]
    level = alpha * (1.0 - event_share([c.name for c in checks]))
    family = [i for i, (role, _) in enumerate(roles) if role == "statistical"]
    members = [i for i in family if checks[i].name in omnibus.MEMBERS]
    shape: CheckResult | None = None
    if n is not None and n >= 1 and len(members) == len(omnibus.MEMBERS) and _use_omnibus(n, level, len(family)):
        min_p = min(checks[i].pvalue for i in members)
        shape = CheckResult("shape", min_p, omnibus.pvalue(min_p, n),
                            f"smallest of the KS/AD/CvM p-values, {min_p:.3g}, by its null law at n = {n:,}")
        family = [i for i in family if i not in members]
    pvals = [checks[i].pvalue for i in family] + ([shape.pvalue] if shape is not None else [])
    levels = holm_levels(pvals, level)
    out = list(checks)
    for i, lv in zip(family, levels):
        out[i] = checks[i].decided(lv is None)
    for i, (c, (role, share)) in enumerate(zip(checks, roles)):
        if role == "deterministic":
            out[i] = c.decided(c.pvalue > 0.0)
        elif role == "event":
            out[i] = c.decided(c.pvalue > share * alpha)
    if shape is not None:
        lv = levels[-1]
        crit = omnibus.critical(lv, n) if lv is not None else -1.0  # type: ignore[arg-type]
        for i in members:
            out[i] = checks[i].decided(not (lv is not None and checks[i].pvalue <= crit))
        out.insert(max(members) + 1, shape.decided(lv is None))
    return tuple(out)


def family_size(checks: tuple[CheckResult, ...]) -> int:
    """Number of p-values in the Holm family of a decided verdict."""
    k = sum(role_of(c.name) == "statistical" for c in checks)
    if any(c.name == "shape" for c in checks):
        k -= len(omnibus.MEMBERS) + 1 - 1
    return max(k, 1)


def verify(summary: Summary, dist: Distribution, *, sample: SampleInfo, alpha: float, spec: Spec | None = None,
           expected: str | None = None, tolerance: Tolerance | None = None,
           extra: tuple[CheckResult, ...] | Callable[[], tuple[CheckResult, ...]] = ()) -> Verdict:
    """Run every check on a summary against ``dist`` and decide (no diagnosis: see
    :func:`verifier.pipeline.evaluate`, the one pipeline every front end calls).

    ``expected`` is the label reports show (default ``str(spec)``). With a ``tolerance``, a
    rejected statistical check whose effect lies within it does not fail the verdict (see
    :mod:`verifier.stats.tolerance`). ``extra``: undecided checks computed outside the summary
    (structure checks, a structured spec's properties, contracts) that join the same decision; or a
    function returning them, called once the summary's own checks have run (checks computed
    meanwhile in another thread).
    """
    tested, grid_note = on_detected_grid(summary)
    null: NullModel = null_model(dist, tested, grid_note)
    own = run_checks(tested, null)
    joined = own + tuple(extra() if callable(extra) else extra)
    checks = apply_tolerance(decide(joined, alpha, summary.n), tolerance, summary.n, null, alpha, summary=tested)
    kurt = null.mu4 / null.variance**2
    detectable = detectable_std_error(summary.n, kurt, alpha * (1.0 - event_share([c.name for c in checks])),
                                      m=family_size(checks), normal=null.exact_normal)
    label = expected if expected is not None else str(spec)
    return Verdict(all(c.passed or bool(c.within_tolerance) for c in checks), checks, label, dist, sample,
                   alpha, detectable, summary=summary, tolerance=tolerance, spec=spec)
