"""The verdict: checks combined under multiple-testing control, with the stated power."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tabulate import tabulate

from .stats.checks import CONFIDENCE, CheckResult, NullModel, null_model, run_checks
from .stats.decision import POWER, detectable_std_error, holm
from .stats.summary import Summary, summarize
from .theory.distributions import Distribution
from .theory.fans import Fans

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
    small tensor is not read as proof.
    """

    passed: bool
    checks: tuple[CheckResult, ...]
    expected: str
    distribution: Distribution
    sample: SampleInfo
    alpha: float
    detectable: tuple[float, float]
    correction: str = "holm"
    summary: Summary | None = field(default=None, repr=False, compare=False)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        """The rejected checks."""
        return tuple(c for c in self.checks if c.passed is False)

    def check(self, name: str) -> CheckResult | None:
        """The check called ``name`` ('finite', 'degenerate', 'support', 'mean', 'variance', 'ks', 'ad')."""
        return next((c for c in self.checks if c.name == name), None)

    @property
    def std_ratio(self) -> float | None:
        """Observed/expected std (None when the variance check did not run)."""
        c = self.check("variance")
        return c.effect.estimate if c is not None and c.effect is not None else None

    def __str__(self) -> str:
        head = "PASS" if self.passed else "FAIL"
        fans = ""
        if self.sample.fans is not None:
            f = self.sample.fans
            fans = f"; fan_in {f.fan_in}, fan_out {f.fan_out}, {self.sample.layout} layout"
        lines = [
            f"{head}  {self.sample.source}",
            f"  sampled   {self.sample}",
            f"  expected  {self.expected} = {self.distribution}{fans}",
        ]
        var = self.check("variance")
        if var is not None and var.effect is not None:
            e = var.effect
            lines.append(f"  observed  std = {e.estimate:.4f} × expected ({CONFIDENCE:.0%} CI {e.low:.4f}–{e.high:.4f})")
        rows = [
            (c.name, "ok" if c.passed else "REJECT", _fmt(c.statistic), _fmt_p(c.pvalue), c.detail)
            for c in self.checks
        ]
        table = tabulate(rows, headers=("check", "result", "statistic", "p-value", "detail"), disable_numparse=True)
        lines.append(f"  checks (Holm, family-wise α = {self.alpha:g}):")
        lines += ["    " + line for line in table.splitlines()]
        down, up = self.detectable
        if math.isfinite(up):
            lines.append(
                f"  power     this sample size detects a std error of -{down:.2%} / +{up:.2%} with {POWER:.0%} power"
            )
        else:
            lines.append("  power     too few values to detect any std error; use draws=k or a larger shape")
        return "\n".join(lines)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _fmt_p(p: float) -> str:
    return f"{p:.3g}" if p >= 1e-300 else "<1e-300"


def decide(checks: tuple[CheckResult, ...], alpha: float) -> tuple[CheckResult, ...]:
    """Apply Holm's procedure over the checks' p-values at family-wise ``alpha``."""
    rejected = holm([c.pvalue for c in checks], alpha)
    return tuple(c.decided(not r) for c, r in zip(checks, rejected))


def verify(summary: Summary, dist: Distribution, *, expected: str, sample: SampleInfo, alpha: float) -> Verdict:
    """Run every check on a summary against ``dist`` and decide."""
    null: NullModel = null_model(dist, summary)
    checks = decide(run_checks(summary, null), alpha)
    kurt = null.mu4 / null.variance**2
    detectable = detectable_std_error(summary.n, kurt, alpha, m=len(checks))
    return Verdict(all(c.passed for c in checks), checks, expected, dist, sample, alpha, detectable,
                   summary=summary)


def summarize_and_verify(sample, dist: Distribution, *, expected: str, info: SampleInfo, alpha: float) -> Verdict:  # noqa: ANN001
    """Summarise ``sample`` (a :class:`~verifier.sources.sample.Sample`) and verify it."""
    return verify(summarize(sample, dist), dist, expected=expected, sample=info, alpha=alpha)
