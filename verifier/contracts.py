"""Contracts of an initializer itself (``check(..., contracts=True)``).

What a caller relies on besides the distribution, each a deterministic check (p = 0 or 1):

``dtype``
    The initializer returns the requested dtype and shape. Every convention that is told the
    dtype (torch fills a tensor of it; JAX and Keras get ``dtype``; a numpy-style function with a
    ``dtype`` parameter) is held to it when drawing: a different dtype or shape is refused there
    (:class:`~verifier.errors.SourceError`), never cast. What is left for this check: a
    numpy-style function *without* a ``dtype`` parameter asked explicitly for a dtype (``dtype=``
    given): it cannot honour it, and the values tested would be verifier's cast, not its own.
``same seed``
    Drawing again with the same seed gives bit-identical values.
``different seed``
    A draw with another seed differs: it fails when the two draws are identical, or when more
    aligned non-zero values are equal than ``Binomial(n, s₂)`` allows at p < 1e-9 (exact zeros
    are left out: a spec such as ``sparse`` puts them on purpose), with ``s₂`` the null's
    bound on the probability that two independent values are equal
    (:func:`verifier.stats.structure.cell_model`).

Given values (a tensor, an array) have no contracts to check: none are returned.

A returned dtype or shape other than the requested one is refused when drawing
(:class:`~verifier.errors.ContractError`) unless contracts are checked: then it is a **failed
verdict** (:func:`contract_failure`), "computed, and it does not conform" (exit 1 on the CLI),
with a failing deterministic ``dtype`` or ``returned shape`` check (``shape`` is the name of the
KS/AD/CvM omnibus) whose detail leads the headline. The values it returned are still tested
against the spec, as returned (another dtype) or in the requested shape (the same number of
values: a transposed result), so the report also says whether the law itself is right.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ContractError, VerifierError
from .sources import from_source, load_target
from .sources.drawing import _takes_dtype
from .sources.sample import Sample
from .sources.values import is_values
from .stats.checks import CheckResult
from .stats.reading import _binom_sf, _host
from .stats.structure import cell_model, detect_grid

if TYPE_CHECKING:
    from .theory.specs import Spec
    from .verdict import Verdict

__all__ = ["contract_checks", "contract_failure", "violation_text"]

DIFFERENT_SEED_P = 1e-9
"""Equal aligned values between two seeds fail the contract below this binomial p-value."""


def _flat(sample: Sample) -> np.ndarray:
    return np.concatenate([np.ascontiguousarray(_host(c)).reshape(-1) for c in sample.chunks])


def contract_checks(source: Any, sample: Sample, dist: Any, *, shape: Any, dtype: Any, seed: int,
                    convention: str | None) -> tuple[CheckResult, ...]:
    """The contract checks of the initializer ``source`` whose draws are ``sample`` (undecided)."""
    fn, kwargs = source, {}
    if isinstance(source, str):
        target = load_target(source)
        fn, kwargs = target.obj, dict(target.kwargs)
    if sample.convention == "values" or is_values(fn):
        return ()
    out: list[CheckResult] = []
    conv = convention or sample.convention
    if conv == "numpy" and dtype is not None and not _takes_dtype(fn, kwargs):
        out.append(CheckResult("dtype", 1.0, 0.0, f"dtype={sample.dtype!r} was asked for, but this numpy-style "
                               "initializer has no dtype parameter: the values are verifier's cast, not its own"))
    else:
        how = "told the dtype and held to it when drawing" if conv != "numpy" or dtype is not None \
            else "numpy convention, no dtype asked for: cast to float32"
        out.append(CheckResult("dtype", 0.0, 1.0, f"returned shape {sample.shape}, {sample.dtype} ({how})"))
    again = from_source(source, shape=shape, dtype=dtype, seed=seed, draws=sample.draws, convention=convention)
    a, b = _flat(sample), _flat(again)
    differ = int(np.count_nonzero(a != b) - np.count_nonzero(np.isnan(a) & np.isnan(b))) if a.dtype.kind == "f" \
        else int(np.count_nonzero(a != b))  # NaN == NaN here; 16-bit dtypes compare bit patterns
    out.append(CheckResult("same seed", float(differ), 0.0 if differ else 1.0,
                           f"seed {seed} drawn twice: {'identical values' if not differ else f'{differ:,} values differ'}"))
    other_seed = seed + 1_000_003
    other = _flat(from_source(source, shape=shape, dtype=dtype, seed=other_seed, draws=sample.draws,
                              convention=convention))
    # exact zeros are left out: a spec may put them on purpose (sparse), at the same places or not
    nonzero = (a & np.uint16(0x7FFF)) != 0 if a.dtype == np.uint16 else a != 0
    equal = int(np.count_nonzero((a == other) & nonzero))
    x = np.unique(np.asarray(_flat_values(sample), dtype=np.float64))
    s2 = cell_model(dist, detect_grid(x[np.isfinite(x)], sample.dtype)).s2 if np.isfinite(dist.std) else 1.0
    p = _binom_sf(equal, a.size, s2)
    violated = bool(np.array_equal(a, other)) or p < DIFFERENT_SEED_P
    out.append(CheckResult("different seed", float(equal), 0.0 if violated else 1.0,
                           f"seeds {seed} and {other_seed}: {equal:,} of {a.size:,} aligned non-zero values equal "
                           f"(null ≤ {a.size * s2:.3g})"))
    return tuple(out)


def _flat_values(sample: Sample) -> np.ndarray:
    from .stats.reading import _decode

    return np.concatenate([_decode(np.ascontiguousarray(_host(c)).reshape(-1), sample.dtype) for c in sample.chunks])


def violation_text(exc: ContractError) -> str:
    """One line saying what the initializer returned instead of what was asked."""
    if exc.contract == "dtype":
        return (f"returned {exc.got} values where {exc.expected} was asked: the initializer ignores the requested dtype "
                "(a cast would hide it)")
    got, want = tuple(exc.got), tuple(exc.expected)
    why = "transposed (a (*k, in, out) layout where (out, in, *k) was asked, or the reverse?)" if got == want[::-1] \
        else ("the same number of values in another shape" if math.prod(got) == math.prod(want)
              else f"{math.prod(got):,} values where {math.prod(want):,} were asked")
    return f"returned shape {got} where {want} was asked: {why}"


def _returned(exc: ContractError) -> Sample | None:
    """The values the initializer returned, as a sample in the requested shape when they fit it
    (``None`` when they cannot be tested: another number of values, or not float values)."""
    result = exc.result
    if result is None:
        return None
    try:
        if exc.contract == "shape":
            want = tuple(exc.expected)
            if math.prod(tuple(exc.got)) != math.prod(want):
                return None
            result = result.reshape(want)
        return from_source(result)
    except (VerifierError, AttributeError, ValueError, TypeError):
        return None


def contract_failure(exc: ContractError, spec: Spec, *, seed: int, convention: str | None, alpha: float | None,
                     **evaluate_kwargs: Any) -> Verdict:
    """The failed verdict of an initializer that broke its dtype or shape contract (module docstring).

    ``evaluate_kwargs`` go to :func:`verifier.pipeline.evaluate` (layout, fans, tolerance, label, ...)."""
    from .diagnosis import Diagnosis
    from .pipeline import evaluate
    from .stats.decision import validate_alpha
    from .verdict import SampleInfo, Verdict

    detail = violation_text(exc)
    check = CheckResult("dtype" if exc.contract == "dtype" else "returned shape", 1.0, 0.0, detail)
    sample = _returned(exc)
    level = validate_alpha(alpha)
    label = evaluate_kwargs.pop("label", None) or exc.name
    if sample is not None:
        sample = dataclasses.replace(sample, source=label, convention=convention or "values", seed=seed)
        return evaluate(sample, spec, alpha=level, label=label, extra=(check,), **evaluate_kwargs)
    got_shape = tuple(exc.got) if exc.contract == "shape" else ()
    info = SampleInfo(source=label, shape=got_shape, dtype=str(getattr(exc.result, "dtype", "?")),
                      n=math.prod(got_shape) if got_shape else 0, seed=seed, convention=convention or "values")
    return Verdict(False, (check.decided(False),), str(spec), None, info, level, (math.inf, math.inf), spec=spec,
                   diagnosis=Diagnosis(None, None, other=(detail,)),
                   known_deviation=evaluate_kwargs.get("known_deviation"))
