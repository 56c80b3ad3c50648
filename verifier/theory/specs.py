"""Specs: what an initializer claims to draw from.

A :class:`Spec` names a distribution (``he_normal(mode='fan_out', nonlinearity='relu')``,
``uniform(-0.05, 0.05)``, ...). Given a weight shape and layout (or explicit fans) it yields a
concrete :class:`~verifier.theory.distributions.Distribution`.

Target standard deviation ``σ`` of the named schemes (THEORY.md), ``n`` the fan chosen by ``mode``:

* xavier/glorot: ``σ = gain·√(2/(fan_in + fan_out))`` (gain default 1),
* he/kaiming: ``σ = gain/√n`` (torch defaults: ``mode='fan_in'``, ``nonlinearity='leaky_relu'``,
  ``a=0`` → gain ``√2``),
* lecun: ``σ = gain/√n`` (gain default 1, ``mode='fan_in'``).

``*_uniform`` → ``U(−√3·σ, √3·σ)``; ``*_normal`` → ``N(0, σ²)``, or with ``truncated=True`` the
Keras/JAX variance-preserving form ``TN(0, s², [−2s, 2s])`` with ``s = σ/0.87962566103423978``.
"""

from __future__ import annotations

from verifier.theory.gains import NONLINEARITIES
from verifier.theory.named import NamedSpec, VarianceScalingSpec
from verifier.theory.plain import NormalSpec, TruncNormalSpec, UniformSpec
from verifier.theory.registry import (
    PARAMETER_ALIASES,
    SPEC_ALIASES,
    SPECS,
    SpecInfo,
    _factory,
    _register,
    available_specs,
    canonical_spec_name,
    spec_names,
)
from verifier.theory.spec_base import Spec, _positive, _real

__all__ = [
    "Spec",
    "NamedSpec",
    "VarianceScalingSpec",
    "UniformSpec",
    "NormalSpec",
    "TruncNormalSpec",
    "SpecInfo",
    "SPECS",
    "SPEC_ALIASES",
    "spec_names",
    "available_specs",
    "canonical_spec_name",
    "xavier_uniform",
    "xavier_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "variance_scaling",
    "uniform",
    "normal",
    "trunc_normal",
]
__all__ += ["PARAMETER_ALIASES"]
# re-exported for the modules that add specs after the named ones (exact, structured) and the parser:
# importing them from here registers the named specs first, which keeps the registry's order
_REEXPORTED = (_factory, _positive, _real)


# ---- factory functions ----------------------------------------------------------------------
def xavier_uniform(gain: float | None = None, nonlinearity: str | None = None, a: float | None = None) -> NamedSpec:
    """Xavier/Glorot uniform: ``U(−b, b)``, ``b = gain·√(6/(fan_in + fan_out))`` (gain default 1)."""
    return NamedSpec("xavier_uniform", gain=gain, nonlinearity=nonlinearity, a=a)


def xavier_normal(
    gain: float | None = None, nonlinearity: str | None = None, a: float | None = None, truncated: bool = False
) -> NamedSpec:
    """Xavier/Glorot normal: ``N(0, σ²)``, ``σ = gain·√(2/(fan_in + fan_out))`` (optionally truncated)."""
    return NamedSpec("xavier_normal", gain=gain, nonlinearity=nonlinearity, a=a, truncated=truncated)


def he_uniform(
    a: float | None = None, mode: str = "fan_in", nonlinearity: str | None = None, gain: float | None = None
) -> NamedSpec:
    """He/Kaiming uniform: ``U(−b, b)``, ``b = gain·√(3/n)``; torch defaults ``a=0``, ``mode='fan_in'``,
    ``nonlinearity='leaky_relu'`` (gain √2). ``he_uniform(a=math.sqrt(5))`` is ``U(±1/√fan_in)``."""
    return NamedSpec("he_uniform", gain=gain, nonlinearity=nonlinearity, a=a, mode=mode)


def he_normal(
    a: float | None = None,
    mode: str = "fan_in",
    nonlinearity: str | None = None,
    gain: float | None = None,
    truncated: bool = False,
) -> NamedSpec:
    """He/Kaiming normal: ``N(0, σ²)``, ``σ = gain/√n`` (torch kaiming defaults; optionally truncated)."""
    return NamedSpec("he_normal", gain=gain, nonlinearity=nonlinearity, a=a, mode=mode, truncated=truncated)


def lecun_uniform(
    gain: float | None = None, mode: str = "fan_in", nonlinearity: str | None = None, a: float | None = None
) -> NamedSpec:
    """LeCun uniform: ``U(−b, b)``, ``b = gain·√(3/n)``, ``n = fan_in`` by default, gain default 1."""
    return NamedSpec("lecun_uniform", gain=gain, nonlinearity=nonlinearity, a=a, mode=mode)


def lecun_normal(
    gain: float | None = None,
    mode: str = "fan_in",
    nonlinearity: str | None = None,
    a: float | None = None,
    truncated: bool = False,
) -> NamedSpec:
    """LeCun normal: ``N(0, σ²)``, ``σ = gain/√n`` (gain default 1; Keras's is ``truncated=True``)."""
    return NamedSpec("lecun_normal", gain=gain, nonlinearity=nonlinearity, a=a, mode=mode, truncated=truncated)


glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def variance_scaling(
    scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"
) -> VarianceScalingSpec:
    """Keras/JAX variance scaling: variance ``scale/n``; see :class:`VarianceScalingSpec`."""
    return VarianceScalingSpec(scale=scale, mode=mode, distribution_name=distribution)


def uniform(low: float = 0.0, high: float = 1.0) -> UniformSpec:
    """``U(low, high)``."""
    return UniformSpec(low=low, high=high)


def normal(mean: float = 0.0, std: float = 1.0, truncated: bool = False) -> NormalSpec:
    """``N(mean, std²)``; ``truncated=True`` cuts at ``mean ± 2·std`` (Keras ``TruncatedNormal``)."""
    return NormalSpec(mean=mean, std=std, truncated=truncated)


def trunc_normal(mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0) -> TruncNormalSpec:
    """torch ``trunc_normal_``: ``N(mean, std²)`` conditioned on ``[a, b]`` (absolute bounds)."""
    return TruncNormalSpec(mean=mean, std=std, a=a, b=b)


# ---- registration ---------------------------------------------------------------------------
_P_GAIN = ("gain", 1.0, "multiplier of σ (exclusive with nonlinearity=)")
_P_NL = ("nonlinearity", None, f"gain = calculate_gain(nonlinearity, a): {', '.join(NONLINEARITIES)}")
_P_A = ("a", None, "leaky_relu negative slope (default 0.01)")
_P_MODE = ("mode", "fan_in", "fan_in | fan_out")
_P_TRUNC = ("truncated", False, "Keras/JAX variance-preserving truncation at ±2s, s = σ/0.8796")
_HE_PARAMS = (
    ("a", 0.0, "leaky_relu negative slope"),
    _P_MODE,
    ("nonlinearity", "leaky_relu", f"gain = calculate_gain(nonlinearity, a): {', '.join(NONLINEARITIES)}"),
    ("gain", None, "explicit gain (exclusive with nonlinearity= and a=)"),
)


_register(xavier_uniform, (_P_GAIN, _P_NL, _P_A), "U(-b, b), b = gain·√(6/(fan_in+fan_out))", ("glorot_uniform",))
_register(
    xavier_normal, (_P_GAIN, _P_NL, _P_A, _P_TRUNC), "N(0, σ²), σ = gain·√(2/(fan_in+fan_out))", ("glorot_normal",)
)
_register(he_uniform, _HE_PARAMS, "U(-b, b), b = gain·√(3/n), n = fan of mode, gain √2 by default", ("kaiming_uniform",))
_register(
    he_normal, (*_HE_PARAMS, _P_TRUNC), "N(0, σ²), σ = gain/√n, n = fan of mode, gain √2 by default", ("kaiming_normal",)
)
_register(lecun_uniform, (_P_GAIN, _P_MODE, _P_NL, _P_A), "U(-b, b), b = gain·√(3/n), n = fan_in by default")
_register(lecun_normal, (_P_GAIN, _P_MODE, _P_NL, _P_A, _P_TRUNC), "N(0, σ²), σ = gain/√n, n = fan_in by default")
_register(
    variance_scaling,
    (
        ("scale", 1.0, "target variance v = scale/n"),
        ("mode", "fan_in", "fan_in | fan_out | fan_avg"),
        ("distribution", "truncated_normal", "truncated_normal | untruncated_normal (= normal) | uniform"),
    ),
    "uniform: U(±√(3v)); truncated_normal: TN(0, s², ±2s), s = √v/0.8796; untruncated_normal: N(0, v); v = scale/n",
)
_register(uniform, (("low", 0.0, "lower bound (alias a)"), ("high", 1.0, "upper bound (alias b)")), "U(low, high)")
_register(
    normal,
    (("mean", 0.0, "mean"), ("std", 1.0, "standard deviation"), ("truncated", False, "cut at mean ± 2·std")),
    "N(mean, std²)",
)
_register(
    trunc_normal,
    (
        ("mean", 0.0, "mean of the parent normal"),
        ("std", 1.0, "std of the parent normal"),
        ("a", -2.0, "absolute lower bound (not in std units)"),
        ("b", 2.0, "absolute upper bound (not in std units)"),
    ),
    "N(mean, std²) conditioned on a ≤ x ≤ b",
)
