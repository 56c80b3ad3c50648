"""Which usual bug explains a failed verdict's std ratio (the table of
:mod:`verifier.diagnosis`), the shape hint from the kurtosis, and the other findings: :func:`diagnose`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from verifier.theory.distributions import TRUNCATION_STD_FACTOR, Distribution, Normal, TruncatedNormal, Uniform
from verifier.theory.fans import compute_fans

if TYPE_CHECKING:
    from verifier.verdict import Verdict

from .result import FAMILY_KURTOSIS, TOLERANCE, Cause, Diagnosis

__all__ = ["diagnose"]

# ---- hypotheses ----------------------------------------------------------------------------------
def _family(dist: Distribution) -> str:
    if isinstance(dist, Uniform):
        return "uniform"
    if isinstance(dist, TruncatedNormal):
        return "truncated normal"
    return "normal"


def _law(verdict: Verdict) -> Distribution:
    """The verdict's distribution (statistical verdicts only: exact ones are never diagnosed)."""
    if verdict.distribution is None:
        raise ValueError("an exact verdict has no distribution to diagnose")
    return verdict.distribution


def _hypotheses(verdict: Verdict) -> list[Cause]:
    from verifier.theory.specs import NamedSpec, VarianceScalingSpec

    dist = _law(verdict)
    sigma = dist.std
    spec = verdict.spec  # None for a verdict built without one: distribution-based hypotheses only
    fans = verdict.sample.fans
    out: list[Cause] = []

    # fans swapped / wrong layout (fan-based specs only)
    if isinstance(spec, (NamedSpec, VarianceScalingSpec)) and fans is not None:
        mode = spec.mode
        if mode in ("fan_in", "fan_out") and fans.fan_in != fans.fan_out:
            other = "fan_out" if mode == "fan_in" else "fan_in"
            out.append(Cause("fans swapped", math.sqrt(fans.get(mode) / fans.get(other)),
                             f"{other} ({int(fans.get(other))}) used instead of {mode} ({int(fans.get(mode))})"))
        shape = verdict.sample.shape
        lay = verdict.sample.layout
        other_layout = "keras" if lay == "torch" else "torch"
        if len(shape) >= 2:
            try:
                mine = compute_fans(shape, lay)
                if (mine.fan_in, mine.fan_out) == (fans.fan_in, fans.fan_out):  # no explicit fan override
                    theirs = spec.distribution(shape, other_layout).std
                    out.append(Cause("wrong layout", theirs / sigma,
                                     f"fans computed as if the {'×'.join(map(str, shape))} weight were in "
                                     f"{other_layout} layout, not {lay}"))
            except Exception:
                pass

    # gains
    gain = None
    if isinstance(spec, NamedSpec):
        gain = spec.effective_gain
    elif isinstance(spec, VarianceScalingSpec):
        gain = math.sqrt(spec.scale)
    if gain is not None and not math.isclose(gain, 1.0, rel_tol=1e-3):
        out.append(Cause("gain missing", 1.0 / gain, f"the gain {gain:.4g} was not applied"))
        out.append(Cause("gain doubled", gain, f"the gain {gain:.4g} was applied twice (or gain² used as gain)"))

    # bound vs std
    out.append(Cause("uniform bound used as std", math.sqrt(3.0),
                     "the uniform bound b = √3·σ was used as the std"))
    out.append(Cause("std used as uniform bound", 1.0 / math.sqrt(3.0),
                     "U(±σ) was drawn (its std is σ/√3)"))

    # variance vs std (meaningful when σ is far from 1)
    if abs(math.log(sigma)) > 0.05:
        out.append(Cause("variance passed as std", sigma,
                         f"the expected variance σ² = {sigma**2:.4g} was used as the std"))
        out.append(Cause("std passed as variance", 1.0 / math.sqrt(sigma),
                         f"the std was taken as √σ = {math.sqrt(sigma):.4g} (σ used as a variance)"))

    # truncation correction
    if isinstance(dist, (Normal, TruncatedNormal)):
        out.append(Cause("truncation correction missing", TRUNCATION_STD_FACTOR,
                         "cut at ±2σ without dividing σ by 0.8796 (std 0.8796·σ)"))
        out.append(Cause("truncation correction without truncation", 1.0 / TRUNCATION_STD_FACTOR,
                         "σ/0.8796 used for an untruncated normal"))
    return out


def _matches(causes: list[Cause], r: float, low: float, high: float) -> list[Cause]:
    if not (math.isfinite(r) and r > 0):  # a constant tensor (std 0) or an overflow: no scale bug explains it
        return []
    wide = (high - low) / (2.0 * r) > TOLERANCE
    found: dict[float, list[Cause]] = {}
    for c in causes:
        p = c.predicted
        if not math.isfinite(p) or abs(math.log(p)) < 1e-3:
            continue  # predicts no change: indistinguishable from a correct draw
        inside = low <= p <= high
        near = abs(math.log(p / r)) <= (TOLERANCE if wide else 0.005)
        if (inside and (not wide or near)) or (not wide and near):
            found.setdefault(round(p, 6), []).append(c)
    flat = [c for group in found.values() for c in group]
    return sorted(flat, key=lambda c: abs(math.log(c.predicted / r)))


def _shape_hint(verdict: Verdict) -> tuple[str | None, float | None, float | None]:
    s = verdict.summary
    ks, ad, var = verdict.check("ks"), verdict.check("ad"), verdict.check("variance")
    if s is None or s.moments.n < 4 or s.moments.m2 <= 0:
        return None, None, None
    m = s.moments
    kurt = m.n * m.m4 / m.m2**2
    dist = _law(verdict)
    expected_kurt = dist.central_moment(4) / dist.variance**2
    if not any(c is not None and c.passed is False for c in (ks, ad)):
        return None, kurt, expected_kurt
    se = math.sqrt(24.0 / m.n)  # the normal's; smaller for lighter tails
    table = ", ".join(f"{k} {v:.2f}" for k, v in FAMILY_KURTOSIS.items())
    expected_family = _family(dist)
    nearest = min(FAMILY_KURTOSIS, key=lambda k: abs(FAMILY_KURTOSIS[k] - kurt))
    expected_key = min(FAMILY_KURTOSIS, key=lambda k: abs(FAMILY_KURTOSIS[k] - expected_kurt))
    scale = "variance is right but " if var is None or var.passed is not False else ""
    if abs(kurt - expected_kurt) <= 5 * se:
        if scale == "":
            return None, kurt, expected_kurt  # the wrong scale explains the failed shape tests
        return (f"shape: {scale}the distribution differs although its kurtosis {kurt:.2f} matches "
                f"{expected_family} ({expected_kurt:.2f}); look at the mean, the support and repeated values"), \
            kurt, expected_kurt
    if nearest == expected_key:
        return (f"shape: {scale}kurtosis {kurt:.2f} differs from the expected {expected_kurt:.2f} "
                f"({expected_family}) [{table}]"), kurt, expected_kurt
    hint = f"shape: {scale}kurtosis {kurt:.2f} looks {nearest}, expected {expected_family} ({expected_kurt:.2f}) [{table}]"
    if expected_family == "truncated normal" and nearest == "normal":
        hint += "; an untruncated normal (torch *_normal_) where a truncated one (Keras/JAX *_normal) was expected"
    elif expected_family == "normal" and nearest.startswith("truncated"):
        hint += "; a truncated normal (Keras/JAX *_normal) where an untruncated one (torch *_normal_) was expected"
    return hint, kurt, expected_kurt


def _other(verdict: Verdict) -> list[str]:
    out = []
    for name, text in (("finite", "non-finite values"), ("degenerate", "constant tensor (symmetry not broken)")):
        c = verdict.check(name)
        if c is not None and c.passed is False:
            out.append(f"{text}: {c.detail}")
    mean = verdict.check("mean")
    if mean is not None and mean.passed is False:
        out.append(f"mean shifted: {mean.detail}")
    support = verdict.check("support")
    if support is not None and support.passed is False:
        out.append(f"out of support: {support.detail}")
    for name in ("padding_row", "tied", "dtype", "returned shape"):
        c = verdict.check(name)
        if c is not None and c.passed is False:
            out.insert(0, c.detail)
    missing = _values_missing(verdict)
    if missing is not None:
        out.append(missing)
    ties = verdict.check("ties")
    if ties is not None and ties.passed is False:
        out.append(f"repeated values: {ties.detail}: values repeat more often than the law on this dtype allows, "
                   "from a sampler with too few random bits (e.g. torch 2.11's CPU float16/bfloat16 uniform_/normal_ "
                   "draw on a coarse grid), draws moved onto one value, or copied values")
    return out


def _values_missing(verdict: Verdict) -> str | None:
    """Which end of a bounded law the sample stops short of, when the ``range`` check rejected.

    The law's mass beyond the sample's extreme value at each end, ``F(min)`` and ``1 − F(max)``,
    against ``1/(n+1)``, their expectation for ``n`` values (``E U₍₁₎ = 1/(n+1)``). An end is
    named alone when the other end's mass is under half of it. On a 16-bit grid the check itself
    measures from the extreme values' rounding cells; this reads the continuous law at the values,
    which names the same end."""
    c = verdict.check("range")
    s = verdict.summary
    if c is None or c.passed is not False or s is None or not (math.isfinite(s.min) and math.isfinite(s.max)):
        return None
    lo_u, hi_u = (float(u) for u in _law(verdict).cdf(np.array([s.min, s.max], dtype=np.float64)))
    below, above = max(lo_u, 0.0), max(1.0 - hi_u, 0.0)
    n = s.n
    gap = 1.0 / (n + 1)
    if min(below, above) >= 0.5 * max(below, above):
        return (f"values missing at both ends: {below:.3g} of the law's mass lies below the smallest value and "
                f"{above:.3g} above the largest ({below / gap:.3g}× and {above / gap:.3g}× the 1/(n+1) that "
                f"{n:,} values leave on average): a support narrower than claimed")
    upper = above > below
    mass = above if upper else below
    return (f"values missing at the {'upper' if upper else 'lower'} end: {mass:.3g} of the law's mass lies "
            f"{'above the largest' if upper else 'below the smallest'} value ({mass / gap:.3g}× the 1/(n+1) that "
            f"{n:,} values leave on average): a sampler that never reaches that end (e.g. torch's float16/bfloat16 "
            "uniform_ never draws the top grid value) or a support narrower than claimed")


BOUND_ISOLATED = 16


def _at_bound(values: Any, dist: Distribution, *, total: int | None = None) -> str | None:
    """Isolated values exactly at a finite bound of ``dist``'s support (count, bound, likely cause).

    ``values`` may be only the smallest and largest values (``total`` is then the sample size)."""
    low, high = dist.support
    x = np.asarray(values).reshape(-1)
    found = []
    for bound in (low, high):
        if not math.isfinite(bound):
            continue
        at = int(np.count_nonzero(x == np.asarray(bound, dtype=x.dtype)))
        if 0 < at <= BOUND_ISOLATED:
            found.append((at, float(np.asarray(bound, dtype=x.dtype))))
    if not found:
        return None
    where = " and ".join(f"{k} value(s) exactly at the bound {b:g}" for k, b in found)
    sigmas = max(abs(b - dist.mean) for _, b in found) / dist.std
    return (f"{where} of {total or x.size} ({sigmas:.3g} σ from the mean), where the expected law puts no mass: an "
            "inverse-CDF sampler (torch trunc_normal_) clamps a uniform draw of exactly 0 or 1 to the bound; "
            "an artefact of the sampler, not a wrong scale")


def _at_bound_streamed(verdict: Verdict, s: Any) -> str | None:
    """:func:`_at_bound` for a streamed summary: the ``bound atoms`` check counted the values at the
    bounds; the summary's min or max says at which one (both at a bound: not split, ``None``)."""
    atoms = verdict.check("bound atoms")
    law = _law(verdict)
    count = int(atoms.statistic) if atoms is not None else 0
    if not 0 < count <= BOUND_ISOLATED or s.dtype not in ("float32", "float64"):
        return None
    dtype = np.dtype(s.dtype)
    ends = [e for e, b in ((s.min, law.support[0]), (s.max, law.support[1]))
            if math.isfinite(b) and np.asarray(e, dtype=dtype) == np.asarray(b, dtype=dtype)]
    if len(ends) != 1:
        return None
    return _at_bound(np.full(count, ends[0], dtype=dtype), law, total=s.n)


def diagnose(verdict: Verdict) -> Diagnosis | None:
    """Explain a failed verdict by the usual bugs; ``None`` for a verdict that passed.

    Parameters
    ----------
    verdict : Verdict
        A verdict from :func:`verifier.check` (or any ``verify``).

    Returns
    -------
    Diagnosis or None

    Examples
    --------
    >>> import numpy as np, verifier
    >>> w = np.random.default_rng(0).normal(0, np.sqrt(2 / 256), (512, 256))   # fan_out used
    >>> verifier.diagnose(verifier.check(w, "he_normal")).names               # doctest: +SKIP
    ('fans swapped', 'wrong layout')
    """
    if verdict.passed:
        return None
    var = verdict.check("variance")
    r = ci = None
    causes: list[Cause] = []
    if var is not None and var.effect is not None:
        e = var.effect
        r, ci = e.estimate, (e.low, e.high)
        if var.passed is False or not e.low <= 1.0 <= e.high:
            causes = _matches(_hypotheses(verdict), e.estimate, e.low, e.high)
    shape, kurt, expected_kurt = _shape_hint(verdict)
    other = tuple(o for o in _other(verdict) if not (causes and o.startswith("out of support")))
    s = verdict.summary
    at_bound = None
    if s is not None and s.sorted_values is not None and s.sorted_values.size:
        x = s.sorted_values  # the exact path keeps the values: the ends are enough
        at_bound = _at_bound(np.concatenate([x[:BOUND_ISOLATED + 1], x[-BOUND_ISOLATED - 1:]])
                             if x.size > 2 * BOUND_ISOLATED + 2 else x, _law(verdict), total=s.n)
    elif s is not None and verdict.check("bound atoms") is not None:
        at_bound = _at_bound_streamed(verdict, s)
    return Diagnosis(r, ci, tuple(causes), shape, kurt, expected_kurt, other, at_bound=at_bound)


#: At most this many values exactly at a bound are read as isolated sampler artefacts.
