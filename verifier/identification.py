"""Identify an initializer: which known scheme do these weights come from?

:func:`identify` reads the values once (:func:`~verifier.stats.summary.summarize`: sorted values,
or the bit-pattern histogram for float16/bfloat16, plus the moments) and ranks the candidates:

* every named spec (xavier/glorot, he/kaiming, lecun; uniform, normal and truncated normal) over
  ``mode='fan_in'``/``'fan_out'`` and the common gains (1, √2, 5/3, 3/4, leaky_relu ``a=√5``),
* the framework defaults (torch's ``nn.Linear``/``nn.Conv`` ``kaiming_uniform(a=√5)`` =
  ``U(±1/√fan_in)``, Keras's ``glorot_uniform``, Flax's truncated ``lecun_normal``) and common
  fixed-scale draws (``normal(std=0.02)``, Keras/JAX defaults),
* the normal, uniform and truncated-normal families fitted to the data (``normal(std=0.0213)
  (fitted)``).

* a depth-scaled std ``s/√(2·L)`` (GPT-2/Megatron residual projections, ``s`` = 0.02) for the one
  integer ``L`` whose std fits, when no neighbouring ``L`` fits as well.

Ranking: first the shape of the distribution — the KS distance of the standardized values to each
family (uniform, normal, normal truncated at ±2σ); a family is acceptable when its distance is
within the 1 % KS critical value of the best family's — then ``|log(std ratio)|``. Named candidates
whose std-ratio CI holds 1 come first, then the fitted families ordered by that KS distance (the
goodness of fit breaks the tie: every fitted family has std ratio 1 by construction), then the rest.

A constant tensor (every finite value equal) is named, not refused: ``zeros``, ``ones`` or
``constant(c)`` (LayerNorm weights, biases).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from .frameworks import PLAIN_DEFAULTS
from .sources import from_source
from .stats import gof
from .stats.checks import CONFIDENCE
from .stats.grid import GRID_DTYPES, grid_values
from .stats.summary import Moments, iter_blocks, summarize
from .theory.distributions import TRUNCATION_STD_FACTOR, Distribution, Normal, TruncatedNormal, Uniform
from .theory.fans import Fans, canonical_layout, compute_fans
from .theory.parsing import parse_spec
from .theory.specs import NamedSpec, Spec
from .sources.sample import Sample
from .verdict import Verdict

__all__ = ["Match", "Identification", "identify", "candidate_specs"]

IDENTIFY_MAX = 1 << 22
"""Values kept (sorted) for identification; larger samples are read in full for the moments and
subsampled with a fixed stride for the KS distances."""

_Z = float(np.sqrt(2.0) * special.erfinv(CONFIDENCE))  # two-sided normal quantile of the CI level
_Z_CONSISTENT = float(np.sqrt(2.0) * special.erfinv(1.0 - 1e-4))
_KS_CRIT = 1.63  # c(0.01): families closer than 1.63/√n to the best one are not told apart

# ---- candidates --------------------------------------------------------------------------------
_GAINS = (  # (spec arguments, in words) for xavier
    ("nonlinearity='relu'", "gain √2 (relu)"),
    ("nonlinearity='tanh'", "gain 5/3 (tanh)"),
    ("nonlinearity='selu'", "gain 3/4 (selu)"),
    ("nonlinearity='leaky_relu', a=sqrt(5)", "gain √(1/3) (leaky_relu a=√5)"),
)
_HE_GAINS = (
    ("", ""),
    ("nonlinearity='tanh'", "gain 5/3 (tanh)"),
    ("nonlinearity='selu'", "gain 3/4 (selu)"),
    ("a=sqrt(5)", "gain √(1/3) (leaky_relu a=√5)"),
    ("nonlinearity='linear'", "gain 1"),
)
_PLAIN = (
    ("normal(std=0.02)", "N(0, 0.02²), the GPT-2/BERT init"),
    *PLAIN_DEFAULTS,  # the frameworks' own defaults, from the one catalogue (verifier.frameworks)
    ("trunc_normal(std=0.02)", "torch trunc_normal_(std=0.02), a/b = ±2 absolute (timm ViT)"),
    ("normal", "N(0, 1), torch normal_() default"),
    ("uniform", "U(0, 1), torch uniform_() default"),
)


def candidate_specs() -> list[str]:
    """The named and fixed-scale candidate spec strings, most common first."""
    head = ["he_uniform(a=sqrt(5))", "xavier_uniform", "he_normal", "he_uniform", "xavier_normal",
            "lecun_normal(truncated=True)", "he_normal(truncated=True)", "xavier_normal(truncated=True)",
            "lecun_normal", "lecun_uniform"]
    out = list(head)
    for name in ("he_uniform", "he_normal", "he_normal(truncated=True)"):
        base, _, trunc = name.partition("(")
        trunc = trunc.rstrip(")")
        for mode in ("", "mode='fan_out'"):
            for gain, _ in _HE_GAINS:
                args = ", ".join(a for a in (gain, mode, trunc) if a)
                out.append(f"{base}({args})" if args else base)
    for name in ("lecun_uniform", "lecun_normal", "lecun_normal(truncated=True)"):
        base, _, trunc = name.partition("(")
        trunc = trunc.rstrip(")")
        out.append(f"{base}({', '.join(a for a in ('mode=' + repr('fan_out'), trunc) if a)})")
    for name in ("xavier_uniform", "xavier_normal", "xavier_normal(truncated=True)"):
        base, _, trunc = name.partition("(")
        trunc = trunc.rstrip(")")
        for gain, _ in _GAINS:
            out.append(f"{base}({', '.join(a for a in (gain, trunc) if a)})")
    out += [s for s, _ in _PLAIN]
    return list(dict.fromkeys(out))


def _formula(spec: Spec, fans: Fans | None) -> str:
    if not isinstance(spec, NamedSpec):
        return str(spec.distribution(fan_in=fans.fan_in, fan_out=fans.fan_out) if fans else spec.distribution())
    g2 = spec.effective_gain**2
    if spec.scheme == "xavier":
        c, n = 2.0 * g2, "(fan_in+fan_out)"
    else:
        c, n = g2, spec.mode or "fan_in"

    def num(x: float) -> str:
        return f"{x:.4g}"

    if spec.family == "uniform":
        k = 3.0 * c
        return f"U(±1/√{n})" if math.isclose(k, 1.0) else f"U(±√({num(k)}/{n}))"
    if spec.truncated:
        return f"N(0, σ²) truncated at ±2σ/0.8796, variance {num(c)}/{n}"
    return f"N(0, {num(c)}/{n})"


def _dist_key(d: Distribution) -> tuple[Any, ...]:
    def r(x: float) -> float:
        return float(f"{x:.9g}")

    if isinstance(d, Uniform):
        return ("U", r(d.low), r(d.high))
    if isinstance(d, TruncatedNormal):
        return ("TN", r(d.loc), r(d.scale), r(d.low), r(d.high))
    assert isinstance(d, Normal)
    return ("N", r(d.loc), r(d.scale))


_FAMILIES: dict[str, Distribution] = {
    "uniform": Uniform(-math.sqrt(3.0), math.sqrt(3.0)),
    "normal": Normal(0.0, 1.0),
    "truncated normal": TruncatedNormal(0.0, 1.0 / TRUNCATION_STD_FACTOR, -2.0 / TRUNCATION_STD_FACTOR,
                                        2.0 / TRUNCATION_STD_FACTOR),
}


def _family_of(d: Distribution) -> str:
    if isinstance(d, Uniform):
        return "uniform"
    if isinstance(d, TruncatedNormal):
        a, b = d.alpha, d.beta
        return "truncated normal" if abs(a + 2.0) < 1e-6 and abs(b - 2.0) < 1e-6 else "other"
    return "normal"


# ---- the data, read once -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Data:
    values: np.ndarray  # sorted distinct-or-not values (float64)
    weights: np.ndarray | None  # counts per value (grid dtypes), else None
    moments: Moments
    n: int

    def ks(self, dist: Distribution) -> float:
        u = dist.cdf(self.values)
        if self.weights is None:
            return gof.ks_exact(u).value
        c = np.cumsum(self.weights)
        n = float(c[-1])
        mid = (c - 0.5 * self.weights) / n  # the value sits in the middle of its rounding interval
        return float(np.max(np.abs(u - mid)))


def _read(sample: Any) -> _Data:
    if sample.dtype in GRID_DTYPES:
        s = summarize(sample)
        assert s.counts is not None
        grid = grid_values(sample.dtype)
        keep = np.isfinite(grid) & (s.counts > 0)
        order = np.argsort(grid[keep], kind="stable")
        return _Data(grid[keep][order].astype(np.float64), s.counts[keep][order].astype(np.float64), s.moments,
                     s.n)
    if sample.n <= IDENTIFY_MAX:
        s = summarize(sample, exact_max=IDENTIFY_MAX)
        assert s.sorted_values is not None
        return _Data(s.sorted_values, None, s.moments, s.n)
    stride = math.ceil(sample.n / IDENTIFY_MAX)
    moments, parts, offset = Moments(), [], 0
    for block in iter_blocks(sample):
        x = block.astype(np.float64)
        x = x[np.isfinite(x)]
        moments = moments.merge(Moments.of(x))
        parts.append(x[(-offset) % stride::stride])
        offset += x.size
    values = np.sort(np.concatenate(parts))
    return _Data(values, None, moments, moments.n)


# ---- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    """One candidate scheme and how well the weights fit it.

    Attributes
    ----------
    spec : a spec string that :func:`~verifier.parse_spec` reads back (``"he_uniform(a=sqrt(5))"``).
    distribution : the concrete distribution for the weight's shape.
    std_ratio : observed/expected std; ``std_ratio_ci`` its 99 % confidence interval.
    ks_statistic, ks_pvalue : Kolmogorov–Smirnov against the distribution.
    description : the formula and who uses it (``"U(±1/√fan_in), the nn.Linear/Conv default"``).
    shape_ks : KS distance of the standardized values to this candidate's family.
    fitted : whether the scale was estimated from the data.
    equivalents : other candidates with exactly the same distribution for this shape.
    consistent : the std ratio is 1 within the verifier's default level (α = 1e-4, two-sided).
    verdict : the :class:`~verifier.verdict.Verdict` of :func:`verifier.pipeline.evaluate` for this
        candidate (the same as :func:`verifier.check` gives), for the confirmed top candidates;
        ``None`` for the others and for fitted families (their parameters come from the data, so a
        test against them would not be calibrated). ``ks_statistic``/``ks_pvalue`` are then the
        verdict's own KS check.
    """

    spec: str
    distribution: Distribution
    std_ratio: float
    std_ratio_ci: tuple[float, float]
    ks_statistic: float
    ks_pvalue: float
    description: str
    shape_ks: float = math.nan
    fitted: bool = False
    equivalents: tuple[str, ...] = ()
    consistent: bool = False
    verdict: Verdict | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        """Readable name: ``kaiming_uniform(a=√5)``, ``normal(std=0.0213) (fitted)``."""
        from .report.identify import match_label

        return match_label(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON data; ``verdict`` is the pipeline's verdict (schema ``verifier.verdict/1``'s case) or null."""
        from .report.json_report import result_to_dict

        return {"spec": self.spec, "label": self.label, "distribution": str(self.distribution),
                "std_ratio": self.std_ratio, "std_ratio_ci": list(self.std_ratio_ci),
                "ks_statistic": self.ks_statistic, "ks_pvalue": self.ks_pvalue, "description": self.description,
                "shape_ks": self.shape_ks, "fitted": self.fitted, "equivalents": list(self.equivalents),
                "verdict": None if self.verdict is None else result_to_dict(self.verdict)}

    as_dict = to_dict


@dataclass(frozen=True)
class Identification:
    """The ranked candidates for one tensor or initializer (see :func:`identify`)."""

    source: str
    shape: tuple[int, ...]
    dtype: str
    n: int
    layout: str
    fans: Fans | None
    matches: tuple[Match, ...]
    family_ks: dict[str, float] = field(default_factory=dict)
    kurtosis: float = math.nan

    @property
    def best(self) -> Match:
        """The top-ranked candidate."""
        return self.matches[0]

    @property
    def identified(self) -> bool:
        """Whether the best candidate is a named (not fitted) scheme the data conform to: its
        pipeline verdict passes (:func:`verifier.check` would pass), or, when it was not confirmed
        (``confirm=0``), its std ratio is consistent with 1."""
        b = self.best
        if b.fitted:
            return False
        return b.verdict.passed if b.verdict is not None else b.consistent

    @property
    def verdict(self) -> Verdict | None:
        """The pipeline's verdict for the best candidate (``None`` when not confirmed)."""
        return self.best.verdict

    @property
    def constant(self) -> bool:
        """Whether every finite value is equal (the best match is ``zeros``/``ones``/``constant(c)``)."""
        return not self.family_ks and self.best.std_ratio_ci == (1.0, 1.0) and self.best.ks_statistic == 0.0

    @property
    def headline(self) -> str:
        """One line: ``matches kaiming_uniform(a=√5) = U(±1/√fan_in), ...; std ratio 1.000 ± 0.004``."""
        from .report.identify import identification_headline

        return identification_headline(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON data, schema ``verifier.identify/1`` (``verifier/schemas/identify.schema.json``)."""
        fans = None if self.fans is None else {"fan_in": self.fans.fan_in, "fan_out": self.fans.fan_out}
        return {"schema": "verifier.identify/1", "source": self.source, "shape": list(self.shape), "dtype": self.dtype, "n": self.n,
                "layout": self.layout, "fans": fans, "identified": self.identified, "headline": self.headline,
                "family_ks": self.family_ks, "kurtosis": self.kurtosis,
                "matches": [m.to_dict() for m in self.matches]}

    def __str__(self) -> str:
        from .report.identify import render_identification

        return render_identification(self)


# ---- identify ----------------------------------------------------------------------------------
def _ratio(moments: Moments, kurt: float, dist: Distribution) -> tuple[float, tuple[float, float], bool]:
    """Std ratio, its CI, and whether 1 lies within ``_Z_CONSISTENT`` standard errors."""
    n = moments.n
    q = moments.sum_sq_about(dist.mean) / n / dist.variance
    se = q * math.sqrt(max(kurt - 1.0, 1e-12) / n)
    ci = (math.sqrt(max(q - _Z * se, 0.0)), math.sqrt(q + _Z * se))
    return math.sqrt(q), ci, abs(q - 1.0) <= _Z_CONSISTENT * se


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
        from .errors import SourceError

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
            from .frameworks import meanings

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
    from .pipeline import evaluate

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


#: Base stds tried for a depth-scaled ``s/√(2·L)`` (the GPT-2/BERT ``initializer_range``).
DEPTH_BASES = (0.02,)
DEPTH_MAX = 1024


def _depth_scaled(m: Moments, kurt: float) -> list[tuple[str, Spec, str, bool]]:
    """``normal(std=s/sqrt(2*L))`` for the one depth ``L`` whose std fits (none when ``L ± 1`` fit too)."""
    out = []
    sd = math.sqrt(m.sum_sq_about(0.0) / m.n)
    for s in DEPTH_BASES:
        if sd <= 0 or sd >= s:
            continue
        depth = round((s / sd) ** 2 / 2)
        if not 1 <= depth <= DEPTH_MAX:
            continue
        fits = [L for L in (depth - 1, depth, depth + 1)
                if L >= 1 and _ratio(m, kurt, Normal(0.0, s / math.sqrt(2 * L)))[2]]
        if fits != [depth]:
            continue
        text = f"normal(std={s:g}/sqrt(2*{depth}))"
        out.append((text, parse_spec(text),
                    f"std = {s:g}/√(2·L) for L = {depth}: a depth-scaled residual projection (GPT-2 c_proj with "
                    f"n_layer = {depth}, Megatron output layers)", False))
    return out


def _constant(sample: Any, lay: str, data: _Data) -> Identification:
    """Every finite value equal: name the constant (``zeros``, ``ones``, ``constant(c)``)."""
    from .theory.exact import ConstantSpec as ExactSpec
    from .theory.exact import PointMass

    c = float(data.values[0])
    spec = str(ExactSpec(c))
    what = {"zeros": "all zero (biases, zero-initialised residual branches)",
            "ones": "all one (norm weights, BatchNorm/LayerNorm/RMSNorm)"}.get(spec, f"every value equals {c:g}")
    match = Match(spec, PointMass(c), 1.0, (1.0, 1.0), 0.0, 1.0, what, 0.0, False, (), True)
    return Identification(sample.source, tuple(sample.shape), sample.dtype, data.n, lay, None, (match,), {},
                          math.nan)


def _standardize(dist: Distribution) -> Distribution:
    """The law of ``(X − E X)/sd(X)``."""
    shifted = dist.scaled(1.0 / dist.std)
    mu = shifted.mean
    if isinstance(shifted, TruncatedNormal):
        return TruncatedNormal(shifted.loc - mu, shifted.scale, shifted.low - mu, shifted.high - mu)
    if isinstance(shifted, Uniform):
        return Uniform(shifted.low - mu, shifted.high - mu)
    assert isinstance(shifted, Normal)
    return Normal(0.0, shifted.std)
