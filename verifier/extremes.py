"""Statistics that never crash on numbers: every value a float can hold yields a verdict.

- A law whose scale ``s`` (the interquartile range) lies outside ``[2^-SCALE_LIMIT, 2^SCALE_LIMIT]``
  (``normal(0, 1e-300)``, ``he_normal(gain=1e308)``) is checked in a domain rescaled by ``2^-k``,
  ``k = round(log2 s)``: values and law are multiplied by the same power of two, which is exact in
  binary floating point (barring underflow of values far below the scale), and every statistic is
  scale-free, so the verdict is that of the original problem; it keeps the original distribution.
- Values so far from the law that the moments overflow (an unfilled ``torch.empty``: 1e300, NaN,
  denormals), or that the rescaling over- or underflows, fail with a ``range`` check naming the
  largest magnitude and its ratio to the law's spread.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from .sources.sample import Sample
from .stats.checks import CheckResult
from .stats.decision import detectable_std_error
from .stats.structure import structure_checks
from .stats.summary import Moments, Summary, choose_mode, summarize
from .stats.tolerance import Tolerance
from .theory.distributions import Distribution, Normal, TruncatedNormal, Uniform
from .theory.specs import Spec
from .verdict import SampleInfo, Verdict, verify

__all__ = ["verify_sample", "SCALE_LIMIT"]


def verify_sample(sample: Sample, dist: Distribution, *, spec: Spec, info: SampleInfo, alpha: float,
                  tolerance: Tolerance | None = None, summary: Summary | None = None,
                  extra: tuple[CheckResult, ...] = ()) -> Verdict:
    """Summarise ``sample`` and verify it against ``dist`` (``summary``: one already computed, reused),
    with the structure checks read from its values and the ``extra`` checks.

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
            verdict = _guarded(scaled, scaled_dist, spec=spec, info=info, alpha=alpha, tolerance=tolerance,
                               extra=extra)
            if any(c.name in ("finite", "degenerate") for c in verdict.failed):
                # values so far from the law that rescaling overflowed or underflowed them: say so
                return _out_of_range(sample, dist, spec=spec, info=info, alpha=alpha, tolerance=tolerance)
            return replace(verdict, distribution=dist)
    return _guarded(sample, dist, spec=spec, info=info, alpha=alpha, tolerance=tolerance, summary=summary,
                    extra=extra)


#: Laws whose scale is within 2^±SCALE_LIMIT are checked as given (their 4th moment fits a float).
SCALE_LIMIT = 100


def _rescale_exponent(dist: Distribution) -> int:
    """``k`` with ``2^k`` ≈ the interquartile range of ``dist``, or 0 when no rescaling is needed
    (cached per law: an audit meets the same few laws again)."""
    try:
        return _cached_exponent(dist)
    except TypeError:  # a law that cannot be hashed
        return _exponent(dist)


@lru_cache(maxsize=256)
def _cached_exponent(dist: Distribution) -> int:
    return _exponent(dist)


def _exponent(dist: Distribution) -> int:
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
    def f(x: float) -> float:
        return math.ldexp(x, -k)

    if isinstance(dist, Normal):
        return Normal(f(dist.loc), f(dist.scale))
    if isinstance(dist, Uniform):
        return Uniform(f(dist.low), f(dist.high))
    if isinstance(dist, TruncatedNormal):
        return TruncatedNormal(f(dist.loc), f(dist.scale), f(dist.low), f(dist.high))
    return None


def _ldexp_chunk(chunk: Any, k: int) -> Any:
    """``chunk · 2^k`` in its own dtype and device, in two exact steps (2^k alone may overflow)."""
    half = k // 2
    with np.errstate(over="ignore", under="ignore"):
        return chunk * math.ldexp(1.0, half) * math.ldexp(1.0, k - half)


#: Samples of at least this many values run their structure checks in a second thread, alongside
#: the summary pass when the sample will be streamed (the checks read a few hundred thousand values at
#: scattered positions, ~20 ms of single-threaded numpy work at n = 5e7, which otherwise followed
#: the pass); a thread start costs ~0.1 ms, more than a small sample's whole structure checks.
OVERLAP_MIN = 1 << 21


def _structure(sample: Sample, dist: Distribution, summary: Summary) -> tuple[CheckResult, ...]:
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # errstate is per thread
        return structure_checks(sample, dist, summary)


def _streamed(sample: Sample) -> Summary | None:
    """What the structure checks read of a streamed ('pit') summary, known before the pass: its mode,
    dtype and size (they read the values themselves); None for a sample that is not streamed or is
    a shard of a distributed tensor (its structure checks gather it: a collective, which must not
    run beside the summary's own)."""
    if sample.n < OVERLAP_MIN or getattr(sample, "shard", None) is not None:
        return None
    if choose_mode(sample.dtype, sample.n) != "pit":
        return None
    nan = float("nan")
    return Summary(sample.dtype, "pit", sample.n, 0, 0, 0, Moments(n=sample.n), nan, nan)


def _guarded(sample: Sample, dist: Distribution, *, spec: Spec, info: SampleInfo, alpha: float,
             tolerance: Tolerance | None, summary: Summary | None = None,
             extra: tuple[CheckResult, ...] = ()) -> Verdict:
    try:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # extremes are judged by the checks
            streamed = _streamed(sample) if summary is None else None
            if streamed is None and (summary is None or summary.n_total < OVERLAP_MIN):
                summary = summarize(sample, dist) if summary is None else summary
                return verify(summary, dist, spec=spec, sample=info, alpha=alpha, tolerance=tolerance,
                              extra=_structure(sample, dist, summary) + tuple(extra))
            with ThreadPoolExecutor(max_workers=1) as pool:
                # a streamed sample: the structure checks run during the pass; their result stands
                # unless the pass found the values on a 16-bit grid (then they run again on that summary)
                early = pool.submit(_structure, sample, dist, streamed) if streamed is not None else None
                if summary is None:
                    summary = summarize(sample, dist)
                later = early if early is not None and summary.mode == "pit" else \
                    pool.submit(_structure, sample, dist, summary)
                return verify(summary, dist, spec=spec, sample=info, alpha=alpha, tolerance=tolerance,
                              extra=lambda: later.result() + tuple(extra))
    except ArithmeticError:  # OverflowError, ZeroDivisionError, FloatingPointError
        return _out_of_range(sample, dist, spec=spec, info=info, alpha=alpha, tolerance=tolerance)


def _largest_magnitude(sample: Sample) -> float:
    largest = 0.0
    for chunk in sample.chunks:
        if hasattr(chunk, "detach"):
            value = float(chunk.detach().abs().nan_to_num(nan=0.0).max().double().item())
        else:
            with np.errstate(invalid="ignore"):
                value = float(np.nanmax(np.abs(np.asarray(chunk, dtype=np.float64)), initial=0.0))
        largest = max(largest, value) if not math.isnan(value) else largest
    return largest


def _out_of_range(sample: Sample, dist: Distribution, *, spec: Spec, info: SampleInfo, alpha: float,
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
    return Verdict(False, (check,), str(spec), dist, info, alpha, detectable, tolerance=tolerance, spec=spec)
