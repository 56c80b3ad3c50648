"""The verdict: checks combined under multiple-testing control, with the stated power."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from tabulate import tabulate

from .stats.checks import CONFIDENCE, CheckResult, NullModel, null_model, run_checks
from .stats.decision import POWER, detectable_std_error, holm
from .stats.summary import Summary, summarize
from .stats.tolerance import Tolerance, apply_tolerance
from .theory.distributions import Distribution
from .theory.fans import Fans

if TYPE_CHECKING:
    from .diagnosis import Diagnosis

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
    distribution: Distribution
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
            (c.name, "ok" if c.passed else ("tolerated" if c.within_tolerance else "REJECT"), _fmt(c.statistic),
             _fmt_p(c.pvalue), c.detail)
            for c in self.checks
        ]
        table = tabulate(rows, headers=("check", "result", "statistic", "p-value", "detail"), disable_numparse=True)
        lines.append(f"  checks (Holm, family-wise α = {self.alpha:g}):")
        lines += ["    " + line for line in table.splitlines()]
        if self.tolerance is not None:
            if self.status == "within tolerance":
                figs = "; ".join(dict.fromkeys(c.tolerance_detail or c.name for c in self.tolerated))
                lines.append(f"  status    deviation detected but within tolerance ({self.tolerance}): {figs}")
            elif self.status == "pass":
                lines.append(f"  status    no detectable deviation (tolerance {self.tolerance} not needed)")
            else:
                beyond = "; ".join(dict.fromkeys(c.tolerance_detail for c in self.failed if c.tolerance_detail))
                lines.append(f"  status    deviation beyond tolerance ({self.tolerance})" + (f": {beyond}" if beyond else ""))
        if self.diagnosis is not None:
            lines.append(f"  diagnosis {self.diagnosis}")
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


def verify(summary: Summary, dist: Distribution, *, expected: str, sample: SampleInfo, alpha: float,
           tolerance: Tolerance | None = None) -> Verdict:
    """Run every check on a summary against ``dist`` and decide.

    With a ``tolerance``, a rejected statistical check whose effect lies within it does
    not fail the verdict (see :mod:`verifier.stats.tolerance`).
    """
    null: NullModel = null_model(dist, summary)
    checks = apply_tolerance(decide(run_checks(summary, null), alpha), tolerance)
    kurt = null.mu4 / null.variance**2
    detectable = detectable_std_error(summary.n, kurt, alpha, m=len(checks))
    verdict = Verdict(all(c.passed or bool(c.within_tolerance) for c in checks), checks, expected, dist, sample,
                      alpha, detectable, summary=summary, tolerance=tolerance)
    if not verdict.passed:
        from .diagnosis import diagnose

        try:
            verdict = replace(verdict, diagnosis=diagnose(verdict))
        except (ArithmeticError, ValueError):  # a ratio beyond the float range: no diagnosis, the verdict stands
            pass
    return verdict


def summarize_and_verify(sample, dist: Distribution, *, expected: str, info: SampleInfo, alpha: float,  # noqa: ANN001
                         tolerance: Tolerance | None = None) -> Verdict:
    """Summarise ``sample`` (a :class:`~verifier.sources.sample.Sample`) and verify it.

    Every value a float can hold gives a verdict:

    - a law whose scale ``s`` (the interquartile range) lies outside ``[2^-SCALE_LIMIT,
      2^SCALE_LIMIT]`` (``normal(0, 1e-300)``, ``he_normal(gain=1e308)``) is checked in a domain
      rescaled by ``2^-k``, ``k = round(log2 s)``: the values and the law are multiplied by the same
      power of two, which is exact in binary floating point (barring underflow of values far below
      the scale), and every statistic is scale-free, so the verdict is the one of the original
      problem; the verdict keeps the original distribution;
    - values so far from the law that the moments overflow (an unfilled ``torch.empty``: 1e300,
      NaN, denormals), or that the rescaling over- or underflows, fail with a ``range`` check that
      names the largest magnitude and its ratio to the law's spread.
    """
    k = _rescale_exponent(dist)
    if k:
        scaled_dist = _times(dist, k)
        if scaled_dist is not None:
            scaled = replace(sample, chunks=tuple(_ldexp_chunk(c, -k) for c in sample.chunks))
            verdict = _guarded(scaled, scaled_dist, expected=expected, info=info, alpha=alpha, tolerance=tolerance)
            if any(c.name in ("finite", "degenerate") for c in verdict.failed):
                # values so far from the law that rescaling overflowed or underflowed them: say so
                return _out_of_range(sample, dist, expected=expected, info=info, alpha=alpha, tolerance=tolerance)
            return replace(verdict, distribution=dist)
    return _guarded(sample, dist, expected=expected, info=info, alpha=alpha, tolerance=tolerance)


#: Laws whose scale is within 2^±SCALE_LIMIT are checked as given (their 4th moment fits a float).
SCALE_LIMIT = 100


def _rescale_exponent(dist: Distribution) -> int:
    """``k`` with ``2^k`` ≈ the interquartile range of ``dist``, or 0 when no rescaling is needed."""
    try:
        q1, q3 = (float(q) for q in dist.ppf([0.25, 0.75]))
        scale = q3 - q1 if q3 > q1 else max(abs(q1), abs(q3))
    except (ArithmeticError, ValueError):
        return 0
    if not (math.isfinite(scale) and scale > 0):
        return 0
    k = math.frexp(scale)[1]
    return k if abs(k) > SCALE_LIMIT else 0


def _times(dist: Distribution, k: int) -> Distribution | None:
    """The law of ``2^-k · X`` (same family), or None for a family not listed here."""
    from .theory.distributions import Normal, TruncatedNormal, Uniform

    def f(x: float) -> float:
        return math.ldexp(x, -k)

    if isinstance(dist, Normal):
        return Normal(f(dist.loc), f(dist.scale))
    if isinstance(dist, Uniform):
        return Uniform(f(dist.low), f(dist.high))
    if isinstance(dist, TruncatedNormal):
        return TruncatedNormal(f(dist.loc), f(dist.scale), f(dist.low), f(dist.high))
    return None


def _ldexp_chunk(chunk, k: int):  # noqa: ANN001, ANN202
    """``chunk · 2^k`` in its own dtype and device, in two exact steps (2^k alone may overflow)."""
    import numpy as np

    half = k // 2
    with np.errstate(over="ignore", under="ignore"):
        return chunk * math.ldexp(1.0, half) * math.ldexp(1.0, k - half)


def _guarded(sample, dist: Distribution, *, expected: str, info: SampleInfo, alpha: float,  # noqa: ANN001
             tolerance: Tolerance | None) -> Verdict:
    import numpy as np

    try:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # extremes are judged by the checks
            return verify(summarize(sample, dist), dist, expected=expected, sample=info, alpha=alpha,
                          tolerance=tolerance)
    except ArithmeticError:  # OverflowError, ZeroDivisionError, FloatingPointError
        return _out_of_range(sample, dist, expected=expected, info=info, alpha=alpha, tolerance=tolerance)


def _largest_magnitude(sample) -> float:  # noqa: ANN001
    largest = 0.0
    for chunk in sample.chunks:
        if hasattr(chunk, "detach"):
            value = float(chunk.detach().abs().nan_to_num(nan=0.0).max().double().item())
        else:
            import numpy as np

            with np.errstate(invalid="ignore"):
                value = float(np.nanmax(np.abs(np.asarray(chunk, dtype=np.float64)), initial=0.0))
        largest = max(largest, value) if not math.isnan(value) else largest
    return largest


def _out_of_range(sample, dist: Distribution, *, expected: str, info: SampleInfo, alpha: float,  # noqa: ANN001
                  tolerance: Tolerance | None) -> Verdict:
    """The verdict on values whose moments overflow a float: FAIL, with the largest magnitude."""
    largest = _largest_magnitude(sample)
    q1, q3 = (float(q) for q in dist.ppf([0.25, 0.75]))
    spread = max(q3 - q1, abs(q1), abs(q3))
    ratio = largest / spread if spread > 0 and math.isfinite(largest / spread) else math.inf
    check = CheckResult(
        "range", ratio, 0.0,
        f"values reach |x| = {largest:.3g}, {ratio:.3g}× the expected spread {spread:.3g}: out of any sensible "
        f"range for {dist} (its statistics overflow a float); an unfilled buffer or a wrong scale?",
        passed=False,
    )
    detectable = detectable_std_error(info.n, 3.0, alpha, m=1)
    return Verdict(False, (check,), expected, dist, info, alpha, detectable, tolerance=tolerance)
