"""The verdict: checks combined under multiple-testing control, with the stated power."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .stats.checks import CheckResult, NullModel, null_model, run_checks
from .stats.decision import detectable_std_error, holm
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
        shape = "×".join(map(str, self.shape)) or "scalar"
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
        detected but its size is within :attr:`tolerance`) or ``'fail'``."""
        if not self.passed:
            return "fail"
        return "within tolerance" if self.tolerated else "pass"

    def to_dict(self) -> dict:
        """JSON data, schema ``verifier.verdict/1`` (``verifier/schemas/verdict.schema.json``)."""
        from .report.json_report import verdict_to_json

        return verdict_to_json(self)

    def check(self, name: str) -> CheckResult | None:
        """The check called ``name`` ('finite', 'degenerate', 'support', 'mean', 'variance', 'ks', 'ad')."""
        return next((c for c in self.checks if c.name == name), None)

    @property
    def std_ratio(self) -> float | None:
        """Observed/expected std (None when the variance check did not run)."""
        c = self.check("variance")
        return c.effect.estimate if c is not None and c.effect is not None else None

    def __str__(self) -> str:
        from .report.text import render_verdict

        return render_verdict(self)


def decide(checks: tuple[CheckResult, ...], alpha: float) -> tuple[CheckResult, ...]:
    """Apply Holm's procedure over the checks' p-values at family-wise ``alpha``."""
    rejected = holm([c.pvalue for c in checks], alpha)
    return tuple(c.decided(not r) for c, r in zip(checks, rejected))


def verify(summary: Summary, dist: Distribution, *, sample: SampleInfo, alpha: float, spec: Spec | None = None,
           expected: str | None = None, tolerance: Tolerance | None = None) -> Verdict:
    """Run every check on a summary against ``dist`` and decide (no diagnosis: see
    :func:`verifier.pipeline.evaluate`, the one pipeline every front end calls).

    ``expected`` is the label reports show (default ``str(spec)``). With a ``tolerance``, a
    rejected statistical check whose effect lies within it does not fail the verdict (see
    :mod:`verifier.stats.tolerance`).
    """
    null: NullModel = null_model(dist, summary)
    checks = apply_tolerance(decide(run_checks(summary, null), alpha), tolerance)
    kurt = null.mu4 / null.variance**2
    detectable = detectable_std_error(summary.n, kurt, alpha, m=len(checks))
    label = expected if expected is not None else str(spec)
    return Verdict(all(c.passed or bool(c.within_tolerance) for c in checks), checks, label, dist, sample,
                   alpha, detectable, summary=summary, tolerance=tolerance, spec=spec)
