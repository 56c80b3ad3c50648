"""Diagnosis of a failed verdict: which usual bug explains the observed scale or shape.

The observed std ratio ``r = observed std / expected std`` (with its confidence interval) is
compared with what each usual bug predicts:

==============================  =====================================================================
bug                             predicted ``r``
==============================  =====================================================================
fans swapped                    ``√(fan_in/fan_out)`` (``mode='fan_in'`` spec) or its inverse; not for
                                xavier (fan_in + fan_out is symmetric)
wrong layout                    the spec's std under the other layout's fans / the expected std
gain missing                    ``1/gain``
gain applied twice (or g²)      ``gain``
uniform bound used as std       ``√3`` (drew ``N(0, b²)`` or ``U(±√3·b)`` with ``b = √3·σ``)
std used as uniform bound       ``1/√3`` (drew ``U(±σ)``)
variance passed as std          ``σ`` (the drawn std is the expected variance ``σ²``)
std passed as variance          ``1/√σ`` (the drawn std is ``√σ``)
truncation correction missing   ``0.8796`` (cut at ±2σ without dividing σ by 0.8796)
truncation correction extra     ``1/0.8796`` (σ/0.8796 used without truncating)
==============================  =====================================================================

A bug is named when its prediction lies inside the CI (or, for a CI wider than a few per cent,
within :data:`TOLERANCE` of ``r``). When the shape tests (KS/AD) fail, the observed kurtosis (from
the summary's moments) is compared with each family's: uniform 1.8, truncated normal ±2σ ≈ 2.37,
normal 3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .theory.distributions import TRUNCATION_STD_FACTOR, Distribution, Normal, TruncatedNormal, Uniform
from .theory.fans import compute_fans

if TYPE_CHECKING:
    from .verdict import Verdict

__all__ = ["Cause", "Diagnosis", "diagnose", "refine", "FAMILY_KURTOSIS", "TOLERANCE", "BOUND_ISOLATED"]

TOLERANCE = 0.03
"""Relative distance between predicted and observed ratio accepted when the CI is wider than this."""


def _tn_kurtosis(c: float) -> float:
    d = TruncatedNormal(0.0, 1.0, -c, c)
    return d.central_moment(4) / d.variance**2


#: Kurtosis ``μ4/σ⁴`` of each family.
FAMILY_KURTOSIS: dict[str, float] = {
    "uniform": 1.8,
    "truncated normal (±2σ)": _tn_kurtosis(2.0),
    "normal": 3.0,
}


@dataclass(frozen=True)
class Cause:
    """One likely bug: its name, the ratio it predicts, and what happened."""

    name: str
    predicted: float
    explanation: str

    def __str__(self) -> str:
        return f"{self.name} (predicts ×{self.predicted:.4g}): {self.explanation}"


@dataclass(frozen=True)
class Diagnosis:
    """Why a verdict failed, as far as the usual bugs tell.

    Attributes
    ----------
    std_ratio : observed/expected std (``None`` when the variance check did not run).
    ci : its confidence interval.
    causes : the bugs whose predicted ratio fits, best first.
    shape : a hint on the shape of the distribution (from the kurtosis), or ``None``.
    kurtosis : observed kurtosis ``m4/m2²``.
    expected_kurtosis : the expected distribution's kurtosis.
    other : other findings (non-finite values, constant tensor, padding row, shifted mean, out of
        support).
    looks_like : the known scheme the values match instead (from :func:`verifier.identify`, run by
        :func:`refine` on the values), e.g. ``"he_normal(mode='fan_out', nonlinearity='relu')"``.
    at_bound : isolated values exactly at a bound of the support (count, bound, likely cause).

    Reading order (``str``): what makes the values unusable (non-finite, constant, structure),
    the scheme they look like, values at a bound, the scale (largest effect first: a 50× std error
    also moves the mean by many expected σ, so the scale comes before the mean), the mean, the
    support, the shape.
    """

    std_ratio: float | None
    ci: tuple[float, float] | None
    causes: tuple[Cause, ...] = ()
    shape: str | None = None
    kurtosis: float | None = None
    expected_kurtosis: float | None = None
    other: tuple[str, ...] = ()
    looks_like: str | None = None
    at_bound: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the likely bugs."""
        return tuple(c.name for c in self.causes)

    def _split(self) -> tuple[list[str], list[str]]:
        first = [o for o in self.other if not o.startswith(("mean shifted", "out of support"))]
        later = [o for o in self.other if o.startswith(("mean shifted", "out of support"))]
        return first, later

    @property
    def _scale_off(self) -> bool:
        return self.std_ratio is not None and self.ci is not None and not self.ci[0] <= 1.0 <= self.ci[1]

    @property
    def short(self) -> str:
        """One short phrase: the largest finding first."""
        first, later = self._split()
        if first:
            return first[0]
        if self.looks_like:
            return f"looks like {self.looks_like}"
        if self.at_bound:
            return self.at_bound.split(":")[0]
        if self.causes:
            return " or ".join(self.names)
        if self._scale_off:
            return f"std ×{self.std_ratio:.4g}"
        if later:
            return later[0]
        if self.shape:
            return self.shape.split(";")[0]
        return "no usual bug explains it"

    def __str__(self) -> str:
        first, later = self._split()
        parts: list[str] = list(first)
        if self.looks_like:
            parts.append(f"looks like {self.looks_like}")
        if self.at_bound:
            parts.append(self.at_bound)
        if self.causes:
            likely = "; or ".join(f"{c.name} ({c.explanation}, predicts ×{c.predicted:.4g})" for c in self.causes)
            parts.append(f"likely {likely}")
        elif not first and not self.looks_like and not self.at_bound and self._scale_off:
            parts.append(f"std ×{self.std_ratio:.4g} matches none of the usual bugs (fans swapped, gain missing or "
                         "doubled, bound/std or variance/std mixed up, truncation correction, layout)")
        elif self._scale_off:
            parts.append(f"std ×{self.std_ratio:.4g}")
        parts += later
        if self.shape:
            parts.append(self.shape)
        return "; ".join(parts) if parts else "no usual bug explains it"


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
    from .theory.specs import NamedSpec, VarianceScalingSpec

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
    for name in ("padding_row", "tied"):
        c = verdict.check(name)
        if c is not None and c.passed is False:
            out.insert(0, c.detail)
    return out


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
    return Diagnosis(r, ci, tuple(causes), shape, kurt, expected_kurt, other, at_bound=at_bound)


#: At most this many values exactly at a bound are read as isolated sampler artefacts.
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


def refine(diagnosis: Diagnosis | None, verdict: Verdict, values: Any, *,
           identify_max: int = 1 << 22) -> Diagnosis | None:
    """Add what only the values tell: the known scheme they match (:func:`verifier.identify`), and
    isolated values exactly at a bound of the support.

    ``values`` is the checked tensor or array (torch, numpy). ``identify_max`` bounds the
    identification's cost (larger tensors are identified on a fixed-stride subsample).
    """
    if diagnosis is None:
        return None
    import dataclasses

    from .stats.exact import as_float64

    x = as_float64(values).reshape(-1)
    finite = x[np.isfinite(x)] if x.dtype.kind == "f" else x
    at_bound = _at_bound(finite, _law(verdict)) if finite.size else None
    looks = None
    degenerate = verdict.check("degenerate")
    if finite.size >= 2 and not (degenerate is not None and degenerate.passed is False):
        looks = _looks_like(finite, verdict, identify_max)
    return dataclasses.replace(diagnosis, looks_like=looks, at_bound=at_bound)


def _looks_like(x: Any, verdict: Verdict, identify_max: int) -> str | None:
    from .errors import VerifierError
    from .identification import identify

    shape = verdict.sample.shape
    fans = verdict.sample.fans
    sample = x if x.size <= identify_max else x[:: math.ceil(x.size / identify_max)]
    fan_in = int(fans.fan_in) if fans is not None else None
    fan_out = int(fans.fan_out) if fans is not None else None
    try:
        arr = sample.reshape(shape) if sample.size == math.prod(shape) else sample
        result = identify(arr, layout=verdict.sample.layout or "torch", top=3, fan_in=fan_in, fan_out=fan_out,
                          confirm=1)
    except (VerifierError, ValueError):
        return None
    if not result.identified or result.constant:
        return None
    best = result.best
    expected = _law(verdict)
    if _same_law(best.distribution, expected):
        return None
    also = [e for e in best.equivalents if "(" in e or e != best.spec][:2]
    same = f", the same law as {' and '.join(also)} for this shape" if also else ""
    return f"{best.label} = {best.distribution} ({best.description}{same})"


def _same_law(a: Distribution, b: Distribution) -> bool:
    """Whether two laws are the same for diagnosis: equal mean and std (to 0.1 %) and the same family,
    a normal and a normal truncated 6σ or more from its mean counting as one."""
    if not (math.isclose(a.std, b.std, rel_tol=1e-3) and abs(a.mean - b.mean) <= 1e-3 * b.std):
        return False
    if type(a) is type(b):
        return True

    def normal_like(d: Distribution) -> bool:
        if isinstance(d, Normal):
            return True
        lo, hi = d.support
        return isinstance(d, TruncatedNormal) and min(d.mean - lo, hi - d.mean) >= 6 * d.std

    return normal_like(a) and normal_like(b)
