"""Ranking the candidates on one read of the values, then confirming the top named ones through
the one pipeline (:func:`verifier.pipeline.evaluate`)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from verifier.sources import from_source
from verifier.sources.sample import Sample
from verifier.stats import gof
from verifier.theory.distributions import TRUNCATION_STD_FACTOR
from verifier.theory.fans import Fans, canonical_layout, compute_fans
from verifier.theory.parsing import parse_spec
from verifier.theory.specs import Spec

from .candidates import _FAMILIES, _PLAIN, _depth_scaled, _dist_key, _family_of, _formula, _standardize, candidate_specs
from .data import _KS_CRIT, _Data, _ratio, _read
from .result import Identification, Match

__all__ = ["identify"]


def _fmt(x: float) -> str:
    return repr(float(f"{x:.4g}"))


def identify(
    source_or_tensor: Any,
    *,
    shape: tuple[int, ...] | list[int] | None = None,
    layout: str | None = None,
    seed: int = 0,
    dtype: str | None = None,
    top: int = 5,
    fan_in: int | None = None,
    fan_out: int | None = None,
    confirm: int = 3,
    alpha: float | None = None,
) -> Identification:
    """Rank the known initialization schemes by how well they fit ``source_or_tensor``.

    The ranking is cheap (one read of the values, moments and KS distances for ~60 candidates);
    the first ``confirm`` named candidates of the ranking are then checked by the one pipeline
    (:func:`verifier.pipeline.evaluate`, exactly what :func:`verifier.check` runs, at ``alpha``), and
    the first of them whose verdict passes leads. ``identified`` and the reported p-values of those
    candidates come from their verdicts.

    Parameters
    ----------
    source_or_tensor : tensor, array, initializer or import string (as for :func:`verifier.check`).
    shape : the shape to draw (initializers only).
    layout : ``'torch'`` or ``'keras'``; default ``'keras'`` for JAX/Keras initializers, else ``'torch'``.
    seed, dtype : as for :func:`verifier.check`.
    top : how many matches to keep.
    fan_in, fan_out : override the fans (needed for tensors with fewer than 2 dimensions).
    confirm : how many named candidates to confirm through the pipeline (0: ranking only).
    alpha : the family-wise level of the confirming verdicts (default as for :func:`verifier.check`).

    Returns
    -------
    Identification
        ``.best``, ``.matches`` (ranked), ``.headline``; ``str()`` is a table.

    Examples
    --------
    >>> import torch, verifier                                            # doctest: +SKIP
    >>> verifier.identify(torch.nn.Linear(512, 256).weight).best.spec     # doctest: +SKIP
    'he_uniform(a=sqrt(5))'
    """
    sample = from_source(source_or_tensor, shape=shape, dtype=dtype, seed=seed)
    if layout is None:
        layout = "keras" if sample.convention in ("jax", "keras") else "torch"
    lay = canonical_layout(layout)
    data = _read(sample)
    m = data.moments
    if m.n == 0:
        from verifier.errors import SourceError

        raise SourceError(f"{sample.source}: no finite value: nothing to identify")
    if m.m2 <= 0 or data.values[0] == data.values[-1]:
        const = _constant(sample, lay, data)
        return dataclasses.replace(const, matches=_confirm(sample, const.matches, lay, fan_in, fan_out, confirm, alpha))
    n = m.n
    sd = math.sqrt(m.m2 / n)
    kurt = n * m.m4 / m.m2**2

    # shape of the distribution: KS of the standardized values against each family
    std_data = _Data((data.values - m.mean) / sd, data.weights, m, n)
    family_ks = {name: std_data.ks(d) for name, d in _FAMILIES.items()}
    best_family = min(family_ks.values())
    crit = _KS_CRIT / math.sqrt(n)

    try:
        fans: Fans | None = compute_fans(sample.shape, lay, fan_in=fan_in, fan_out=fan_out)
    except Exception:
        fans = None

    specs: list[tuple[str, Spec, str, bool]] = []
    plain = dict(_PLAIN)
    for text in candidate_specs():
        spec = parse_spec(text)
        if spec.needs_fans and fans is None:
            continue
        notes = plain.get(text)
        if notes is None:
            from verifier.frameworks import meanings

            notes = ", ".join([_formula(spec, fans), *meanings(spec)])
        specs.append((text, spec, notes, False))
    mean_fit = m.mean if abs(m.mean) > 4.0 * sd / math.sqrt(n) else 0.0
    sd_fit = math.sqrt(m.sum_sq_about(mean_fit) / n)
    if not (math.isfinite(sd_fit) and math.isfinite(mean_fit)):
        raise ArithmeticError("the values' moments overflow a float: no family can be fitted")
    mean_arg = f"mean={_fmt(mean_fit)}, " if mean_fit else ""
    for text, what in (
        (f"normal({mean_arg}std={_fmt(sd_fit)})", "fitted normal"),
        (f"uniform({_fmt(mean_fit - math.sqrt(3) * sd_fit)}, {_fmt(mean_fit + math.sqrt(3) * sd_fit)})",
         "fitted uniform"),
        (f"normal({mean_arg}std={_fmt(sd_fit / TRUNCATION_STD_FACTOR)}, truncated=True)",
         "fitted normal truncated at ±2σ"),
    ):
        specs.append((text, parse_spec(text), what, True))
    specs += _depth_scaled(m, kurt)

    seen: dict[tuple[Any, ...], int] = {}
    matches: list[Match] = []
    for text, spec, notes, fitted in specs:
        dist = spec.distribution(sample.shape, lay, fan_in=fan_in, fan_out=fan_out) if spec.needs_fans \
            else spec.distribution()
        key = _dist_key(dist)
        if key in seen:
            i = seen[key]
            matches[i] = Match(**{**matches[i].__dict__, "equivalents": (*matches[i].equivalents, text)})
            continue
        family = _family_of(dist)
        shape_ks = family_ks.get(family, math.nan)
        if family == "other":  # a truncation other than ±2σ: measure it directly
            shape_ks = std_data.ks(_standardize(dist))
        ratio, ci, consistent = _ratio(m, kurt, dist)
        seen[key] = len(matches)
        matches.append(Match(text, dist, ratio, ci, math.nan, math.nan, notes, shape_ks, fitted, (), consistent))

    def rank(item: tuple[int, Match]) -> tuple[Any, ...]:
        order, mt = item
        shape_ok = mt.shape_ks <= best_family + crit
        tier = 0 if (shape_ok and mt.consistent and not mt.fitted) else 1 if (shape_ok and mt.fitted) else 2
        fit = mt.shape_ks if tier == 1 or not shape_ok else 0.0  # fitted families: goodness of fit decides
        return (tier, fit, round(abs(math.log(mt.std_ratio)), 6) if mt.std_ratio > 0 else math.inf, order)

    ranked = [mt for _, mt in sorted(enumerate(matches), key=rank)][: max(1, int(top))]
    kept = []
    for mt in ranked:  # the full KS only for the matches reported
        d = data.ks(mt.distribution)
        kept.append(Match(**{**mt.__dict__, "ks_statistic": d, "ks_pvalue": gof.ks_pvalue(d, n)}))
    return Identification(sample.source, tuple(sample.shape), sample.dtype, n, lay, fans,
                          _confirm(sample, tuple(kept), lay, fan_in, fan_out, confirm, alpha), family_ks, kurt)


def _confirm(sample: Sample, matches: tuple[Match, ...], layout: str, fan_in: int | None, fan_out: int | None,
             confirm: int, alpha: float | None) -> tuple[Match, ...]:
    """The first ``confirm`` named matches through :func:`verifier.pipeline.evaluate`; the first
    whose verdict passes moves to the front (the ranking's order otherwise)."""
    from verifier.pipeline import evaluate

    out = list(matches)
    done = 0
    for i, mt in enumerate(out):
        if done >= confirm:
            break
        if mt.fitted:
            continue
        verdict = evaluate(sample, parse_spec(mt.spec), layout=layout, fan_in=fan_in, fan_out=fan_out, alpha=alpha)
        done += 1
        ks = verdict.check("ks")
        ks_d, ks_p = (ks.statistic, ks.pvalue) if ks is not None else (mt.ks_statistic, mt.ks_pvalue)
        out[i] = Match(**{**mt.__dict__, "verdict": verdict, "ks_statistic": ks_d, "ks_pvalue": ks_p})
    first = next((i for i, mt in enumerate(out) if mt.verdict is not None and mt.verdict.passed), None)
    if first:
        out.insert(0, out.pop(first))
    return tuple(out)


def _constant(sample: Any, lay: str, data: _Data) -> Identification:
    """Every finite value equal: name the constant (``zeros``, ``ones``, ``constant(c)``)."""
    from verifier.theory.exact import ConstantSpec as ExactSpec
    from verifier.theory.exact import PointMass

    c = float(data.values[0])
    spec = str(ExactSpec(c))
    what = {"zeros": "all zero (biases, zero-initialised residual branches)",
            "ones": "all one (norm weights, BatchNorm/LayerNorm/RMSNorm)"}.get(spec, f"every value equals {c:g}")
    match = Match(spec, PointMass(c), 1.0, (1.0, 1.0), 0.0, 1.0, what, 0.0, False, (), True)
    return Identification(sample.source, tuple(sample.shape), sample.dtype, data.n, lay, None, (match,), {},
                          math.nan)
