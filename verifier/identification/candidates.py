"""The candidates identification ranks: every named scheme over its modes and common gains, the
frameworks' defaults and fixed-scale draws (:data:`~verifier.frameworks.PLAIN_DEFAULTS`), a
depth-scaled std ``s/√(2·L)``; their formulas in words, and the family each law belongs to."""

from __future__ import annotations

import math
from typing import Any

from verifier.frameworks import PLAIN_DEFAULTS
from verifier.stats.summary import Moments
from verifier.theory.distributions import TRUNCATION_STD_FACTOR, Distribution, Normal, TruncatedNormal, Uniform
from verifier.theory.fans import Fans
from verifier.theory.parsing import parse_spec
from verifier.theory.specs import NamedSpec, Spec

from .data import _ratio

__all__ = ["candidate_specs", "DEPTH_BASES", "DEPTH_MAX"]


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
