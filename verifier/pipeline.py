"""The one pipeline: ``Sample`` + ``Spec`` → ``Verdict``.

Every front end (:func:`verifier.check`, audits, suites, ``compare``, identification, the pytest
plugin, propagation) calls :func:`evaluate`. The steps, in the order of the data flow::

    fans    = compute_fans(shape, layout, fan_in, fan_out)     # once, only if the spec needs them
    law     = spec.distribution_for(fans)                      # cdf, moments, support, dtype grid
    summary = summarize(sample, law)                           # one pass over the values
    verdict = verify(summary, law, ...)                        # checks, Holm at α, power (extremes.py:
                                                               # rescaled by 2^k when the law's scale is extreme)
    verdict.diagnosis = diagnose(verdict)                      # only when it fails

Nothing downstream recomputes any of these.
"""

from __future__ import annotations

import dataclasses

from .diagnosis import Diagnosis, diagnose
from .extremes import verify_sample
from .sources.sample import Sample
from .sources.values import host_views
from .stats.checks import CheckResult
from .stats.decision import validate_alpha
from .stats.exact import exact_check
from .stats.properties import spec_checks
from .stats.summary import Summary
from .stats.tolerance import Tolerance, as_tolerance
from .theory.fans import Fans, canonical_layout, compute_fans
from .theory.exact import ConstantSpec, ExactSpec, PointMass
from .theory.specs import Spec
from .verdict import SampleInfo, Verdict

__all__ = ["evaluate", "sample_info"]


def sample_info(sample: Sample, *, layout: str = "torch", fans: Fans | None = None,
                label: str | None = None) -> SampleInfo:
    """What a report says of ``sample``: its description, or ``label`` when given."""
    return SampleInfo(source=label or sample.source, shape=tuple(sample.shape), dtype=sample.dtype, n=sample.n,
                      draws=sample.draws, seed=sample.seed, convention=sample.convention, device=sample.device,
                      layout=layout, fans=fans)


def evaluate(
    sample: Sample,
    spec: Spec,
    *,
    layout: str = "torch",
    fan_in: int | None = None,
    fan_out: int | None = None,
    alpha: float | None = None,
    tolerance: Tolerance | float | None = None,
    label: str | None = None,
    known_deviation: str | None = None,
    summary: Summary | None = None,
    extra: tuple[CheckResult, ...] = (),
) -> Verdict:
    """Verify ``sample`` against ``spec``: the single pipeline of the package.

    Parameters
    ----------
    sample : the values and their description (:func:`verifier.sources.from_source`).
    spec : what the values should be.
    layout, fan_in, fan_out : how fans are read from the sample's shape (computed once).
    alpha : family-wise false-alarm rate (default :data:`~verifier.stats.decision.DEFAULT_ALPHA`).
    tolerance : practical tolerance (:mod:`verifier.stats.tolerance`).
    label : the name reports show for the sample (default: the sample's own description).
    known_deviation : a documented deviation of the library, attached to a failing verdict.
    summary : a summary of ``sample`` already computed against the same law (reuse only).
    extra : checks computed outside the pipeline (an initializer's contracts), decided with the others.
    """
    level = validate_alpha(alpha)
    sample = host_views(sample)
    lay = canonical_layout(layout)
    fans = compute_fans(tuple(sample.shape), lay, fan_in=fan_in, fan_out=fan_out) if spec.needs_fans else None
    info = sample_info(sample, layout=lay, fans=fans, label=label)
    if isinstance(spec, ExactSpec):
        verdict = _exact(sample, spec, info, level)
    else:
        verdict = _statistical(sample, spec, fans, info, level, tolerance, summary, extra)
    if not verdict.passed:
        verdict = dataclasses.replace(verdict, diagnosis=_diagnosis(verdict), known_deviation=known_deviation)
    return verdict


def _diagnosis(verdict: Verdict) -> Diagnosis | None:
    """The diagnosis of a failed statistical verdict; none for exact ones, or when a ratio overflows."""
    if verdict.summary is None:
        return None
    try:
        return diagnose(verdict)
    except (ArithmeticError, ValueError):  # a ratio beyond the float range: no diagnosis, the verdict stands
        return None


def _exact(sample: Sample, spec: ExactSpec, info: SampleInfo, alpha: float) -> Verdict:
    """Exact specs: one deterministic check, no distribution to test (see :mod:`verifier.stats.exact`)."""
    check = exact_check(sample.chunks, spec.expected_values(sample.shape))
    law = PointMass(spec.value) if isinstance(spec, ConstantSpec) else None
    return Verdict(bool(check.passed), (check,), str(spec), law, info, alpha, (0.0, 0.0), spec=spec)


def _statistical(sample: Sample, spec: Spec, fans: Fans | None, info: SampleInfo, alpha: float,
                 tolerance: Tolerance | float | None, summary: Summary | None,
                 extra: tuple[CheckResult, ...]) -> Verdict:
    """Statistical specs: the law's checks on the summary, the structure checks on the values
    (:mod:`verifier.stats.structure`), a structured spec's property checks (orthogonal: the Gram
    matrix; sparse: zeros per column, the law then tested on the non-zeros), all decided together."""
    law = spec.distribution_for(fans, tuple(sample.shape), info.layout)
    tested, properties = spec_checks(spec, sample, info.layout)
    if tested is not sample:
        summary = None  # the summary of the whole sample is not the one of what is tested
    return verify_sample(tested, law, spec=spec, info=info, alpha=alpha, tolerance=as_tolerance(tolerance),
                         summary=summary, extra=properties + tuple(extra))
