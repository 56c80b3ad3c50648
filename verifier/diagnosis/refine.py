"""A failed tensor's diagnosis refined from its values (audits): isolated values exactly at a
bound of the support, and the known scheme the values match instead (:func:`verifier.identify`)."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from verifier.theory.distributions import Distribution, Normal, TruncatedNormal

if TYPE_CHECKING:
    from verifier.verdict import Verdict

from .hypotheses import BOUND_ISOLATED, _at_bound, _law
from .result import Diagnosis

__all__ = ["refine", "BOUND_ISOLATED"]

def refine(diagnosis: Diagnosis | None, verdict: Verdict, values: Any, *,
           identify_max: int = 1 << 22) -> Diagnosis | None:
    """Add what only the values tell: the known scheme they match (:func:`verifier.identify`), and
    isolated values exactly at a bound of the support.

    ``values`` is the checked tensor or array (torch, numpy). ``identify_max`` bounds the
    identification's cost (larger tensors are identified on a fixed-stride subsample).
    """
    if diagnosis is None:
        return None

    from verifier.stats.exact import as_float64

    x = as_float64(values).reshape(-1)
    finite = x[np.isfinite(x)] if x.dtype.kind == "f" else x
    at_bound = _at_bound(finite, _law(verdict)) if finite.size else None
    looks = None
    degenerate = verdict.check("degenerate")
    if finite.size >= 2 and not (degenerate is not None and degenerate.passed is False):
        looks = _looks_like(finite, verdict, identify_max)
    return dataclasses.replace(diagnosis, looks_like=looks, at_bound=at_bound)


def _looks_like(x: Any, verdict: Verdict, identify_max: int) -> str | None:
    from verifier.errors import VerifierError
    from verifier.identification import identify

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
