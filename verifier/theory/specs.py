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

import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from types import MappingProxyType
from typing import ClassVar, Mapping

import numpy as np

from verifier.errors import SpecError
from verifier.theory.distributions import (
    TRUNCATION_STD_FACTOR,
    Distribution,
    Normal,
    TruncatedNormal,
    Uniform,
)
from verifier.theory.fans import Fans, compute_fans
from verifier.theory.gains import LEAKY_RELU_DEFAULT_SLOPE, NONLINEARITIES, calculate_gain

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

_SQRT3 = math.sqrt(3.0)


# ---- validation helpers ---------------------------------------------------------------------
def _real(spec: str, name: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise SpecError(f"{spec}: {name} must be a number, got {value!r}; pass e.g. {name}=1.0")
    v = float(value)
    if not math.isfinite(v):
        raise SpecError(f"{spec}: {name} must be finite, got {value!r}; pass a finite number")
    return v


def _positive(spec: str, name: str, value: object) -> float:
    v = _real(spec, name, value)
    if v <= 0:
        raise SpecError(f"{spec}: {name} must be > 0, got {value!r}; pass a positive number")
    return v


def _choice(spec: str, name: str, value: object, valid: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in valid:
        close = difflib.get_close_matches(str(value), list(valid), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SpecError(f"{spec}: unknown {name} {value!r}; {hint}valid values: {', '.join(valid)}")
    return value


def _flag(spec: str, name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise SpecError(f"{spec}: {name} must be True or False, got {value!r}")
    return bool(value)


def _num(x: float) -> str:
    return f"{x:.4g}"


# ---- base -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec(ABC):
    """What the weights should be: a named or explicit distribution.

    Subclasses are frozen dataclasses with a canonical ``name``. ``str(spec)`` is a canonical spec
    string (keyword arguments, defaults omitted, floats via ``repr``) with
    ``parse_spec(str(spec)) == spec``.
    """

    name: ClassVar[str]
    exact: ClassVar[bool] = False
    """Whether the spec names exact values (:mod:`verifier.theory.exact`) rather than a distribution."""

    @property
    def needs_fans(self) -> bool:
        """Whether :meth:`distribution` needs a shape (or explicit fans)."""
        return False

    def distribution(
        self,
        shape: Sequence[int] | None = None,
        layout: str = "torch",
        *,
        fan_in: int | None = None,
        fan_out: int | None = None,
    ) -> Distribution:
        """The concrete distribution for a weight of ``shape`` in ``layout``.

        Fans are computed (:func:`~verifier.theory.fans.compute_fans`) only when :attr:`needs_fans`;
        explicit ``fan_in``/``fan_out`` override the shape.
        """
        fans = compute_fans(shape, layout, fan_in=fan_in, fan_out=fan_out) if self.needs_fans else None
        return self._distribution(fans)

    def distribution_for(self, fans: Fans | None, shape: Sequence[int] | None = None,
                         layout: str = "torch") -> Distribution:
        """The concrete distribution for fans computed once by the caller (``None`` when not
        :attr:`needs_fans`); ``shape`` and ``layout`` for specs whose law depends on the whole shape
        (``orthogonal``)."""
        if self.needs_fans and fans is None:
            raise SpecError(f"{self}: needs fans (a weight shape or fan_in/fan_out)")
        return self._distribution(fans)

    @abstractmethod
    def _distribution(self, fans: Fans | None) -> Distribution: ...

    @abstractmethod
    def _arguments(self) -> list[tuple[str, object, bool]]:
        """``(parameter, value, is_default)`` in canonical order."""

    @abstractmethod
    def describe(self) -> str:
        """The formula in words."""

    def __str__(self) -> str:
        args = [f"{k}={v!r}" for k, v, is_default in self._arguments() if not is_default]
        return f"{self.name}({', '.join(args)})" if args else self.name


# ---- named schemes --------------------------------------------------------------------------
_SCHEMES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "xavier_uniform": ("xavier", "uniform"),
        "xavier_normal": ("xavier", "normal"),
        "he_uniform": ("he", "uniform"),
        "he_normal": ("he", "normal"),
        "lecun_uniform": ("lecun", "uniform"),
        "lecun_normal": ("lecun", "normal"),
    }
)
_HE_MODES = ("fan_in", "fan_out")


@dataclass(frozen=True)
class NamedSpec(Spec):
    """Xavier/Glorot, He/Kaiming and LeCun schemes (see the module docstring for the formulas).

    Values are normalised on construction so equal specs compare equal: he with neither ``gain`` nor
    ``nonlinearity`` stores ``nonlinearity='leaky_relu'``; xavier/lecun store ``gain=1.0``;
    ``leaky_relu`` always stores its slope ``a`` (default 0 for he, as torch's kaiming, else 0.01 as
    ``calculate_gain``); xavier stores ``mode='fan_avg'``.
    """

    name: str  # type: ignore[misc]
    gain: float | None = None
    nonlinearity: str | None = None
    a: float | None = None
    mode: str | None = None
    truncated: bool = False

    def __post_init__(self) -> None:
        name = self.name
        if name not in _SCHEMES:
            raise SpecError(f"unknown named scheme {name!r}; valid: {', '.join(_SCHEMES)}")
        scheme, family = _SCHEMES[name]
        gain = None if self.gain is None else _positive(name, "gain", self.gain)
        nl = None if self.nonlinearity is None else _choice(name, "nonlinearity", self.nonlinearity, NONLINEARITIES)
        a = None if self.a is None else _real(name, "a", self.a)
        if gain is not None and nl is not None:
            raise SpecError(f"{name}: pass gain= or nonlinearity=, not both")
        if gain is not None and a is not None:
            raise SpecError(f"{name}: a= is the leaky_relu slope and cannot be combined with gain=; drop one")
        if gain is None and nl is None:
            if scheme == "he":
                nl = "leaky_relu"
            elif a is not None:
                raise SpecError(f"{name}: a= needs nonlinearity='leaky_relu'; add it or drop a=")
            else:
                gain = 1.0
        if nl == "leaky_relu":
            if a is None:
                a = 0.0 if scheme == "he" else LEAKY_RELU_DEFAULT_SLOPE
        elif a is not None:
            raise SpecError(f"{name}: a= applies only to nonlinearity='leaky_relu', got nonlinearity={nl!r}")
        if scheme == "xavier":
            if self.mode not in (None, "fan_avg"):
                raise SpecError(f"{name}: xavier always uses fan_in+fan_out; drop mode={self.mode!r}")
            mode = "fan_avg"
        else:
            mode = "fan_in" if self.mode is None else _choice(name, "mode", self.mode, _HE_MODES)
        truncated = _flag(name, "truncated", self.truncated)
        if truncated and family != "normal":
            raise SpecError(f"{name}: truncated= applies only to *_normal specs; drop it")
        object.__setattr__(self, "gain", gain)
        object.__setattr__(self, "nonlinearity", nl)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "truncated", truncated)

    @property
    def scheme(self) -> str:
        """``'xavier'``, ``'he'`` or ``'lecun'``."""
        return _SCHEMES[self.name][0]

    @property
    def family(self) -> str:
        """``'uniform'`` or ``'normal'``."""
        return _SCHEMES[self.name][1]

    @property
    def needs_fans(self) -> bool:
        return True

    @property
    def effective_gain(self) -> float:
        """``gain`` if given, else ``calculate_gain(nonlinearity, a)``."""
        if self.gain is not None:
            return self.gain
        assert self.nonlinearity is not None
        return calculate_gain(self.nonlinearity, self.a)

    def target_std(self, fans: Fans) -> float:
        """``σ``: ``gain·√(2/(fan_in + fan_out))`` (xavier) or ``gain/√n`` (he, lecun)."""
        g = self.effective_gain
        if self.scheme == "xavier":
            return g * math.sqrt(2.0 / float(fans.fan_in + fans.fan_out))
        return g / math.sqrt(fans.get(self.mode or "fan_in"))

    def _distribution(self, fans: Fans | None) -> Distribution:
        assert fans is not None
        sigma = self.target_std(fans)
        if self.family == "uniform":
            b = _SQRT3 * sigma
            return Uniform(-b, b)
        if self.truncated:
            s = sigma / TRUNCATION_STD_FACTOR
            return TruncatedNormal(0.0, s, -2.0 * s, 2.0 * s)
        return Normal(0.0, sigma)

    def _arguments(self) -> list[tuple[str, object, bool]]:
        he = self.scheme == "he"
        default_nl = "leaky_relu" if he else None
        default_a = 0.0 if he else LEAKY_RELU_DEFAULT_SLOPE
        args: list[tuple[str, object, bool]] = []
        args.append(("gain", self.gain, self.gain is None or (not he and self.gain == 1.0)))
        if self.scheme != "xavier":
            args.append(("mode", self.mode, self.mode == "fan_in"))
        args.append(("nonlinearity", self.nonlinearity, self.nonlinearity == default_nl))
        args.append(("a", self.a, self.a is None or (self.nonlinearity == "leaky_relu" and self.a == default_a)))
        if self.family == "normal":
            args.append(("truncated", self.truncated, not self.truncated))
        return args

    def _gain_words(self) -> str:
        g = self.effective_gain
        if self.gain is not None:
            return f"gain = {_num(g)}"
        nl = self.nonlinearity
        symbolic = {"tanh": "5/3", "relu": "√2", "selu": "3/4"}
        if nl == "leaky_relu":
            value = "√2" if self.a == 0 else f"√(2/(1+a²)) = {_num(g)}"
            return f"gain = {value} (leaky_relu, a={self.a:g})"
        return f"gain = {symbolic.get(nl or '', _num(g))} ({nl})"

    def describe(self) -> str:
        if self.scheme == "xavier":
            sigma = "σ = gain·√(2/(fan_in+fan_out))"
        else:
            sigma = f"σ = gain/√{self.mode}"
        if self.family == "uniform":
            head = "U(-b, b), b = √3·σ"
        elif self.truncated:
            head = "TN(0, s², [-2s, 2s]), s = σ/0.8796 (variance σ²)"
        else:
            head = "N(0, σ²)"
        return f"{head}, {sigma}, {self._gain_words()}"


# ---- variance scaling -----------------------------------------------------------------------
_VS_MODES = ("fan_in", "fan_out", "fan_avg")
_VS_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "normal", "uniform")


@dataclass(frozen=True)
class VarianceScalingSpec(Spec):
    """Keras/JAX ``variance_scaling(scale, mode, distribution)``: target variance ``v = scale/n``.

    ``n`` is fan_in, fan_out or fan_avg = (fan_in + fan_out)/2. ``'uniform'`` → ``U(±√(3v))``;
    ``'truncated_normal'`` → ``TN(0, s², [−2s, 2s])`` with ``s = √v/0.87962566103423978`` (variance
    ``v``); ``'untruncated_normal'`` → ``N(0, v)``. ``'normal'`` is stored as
    ``'untruncated_normal'``: JAX's meaning and the name's. (Keras silently treats ``'normal'`` as
    truncated; we follow the name.)
    """

    name: ClassVar[str] = "variance_scaling"
    scale: float = 1.0
    mode: str = "fan_in"
    distribution_name: str = "truncated_normal"

    def __post_init__(self) -> None:
        object.__setattr__(self, "scale", _positive(self.name, "scale", self.scale))
        _choice(self.name, "mode", self.mode, _VS_MODES)
        dist = _choice(self.name, "distribution", self.distribution_name, _VS_DISTRIBUTIONS)
        object.__setattr__(self, "distribution_name", "untruncated_normal" if dist == "normal" else dist)

    @property
    def needs_fans(self) -> bool:
        return True

    def _distribution(self, fans: Fans | None) -> Distribution:
        assert fans is not None
        v = self.scale / fans.get(self.mode)
        if self.distribution_name == "uniform":
            b = math.sqrt(3.0 * v)
            return Uniform(-b, b)
        if self.distribution_name == "truncated_normal":
            s = math.sqrt(v) / TRUNCATION_STD_FACTOR
            return TruncatedNormal(0.0, s, -2.0 * s, 2.0 * s)
        return Normal(0.0, math.sqrt(v))

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return [
            ("scale", self.scale, self.scale == 1.0),
            ("mode", self.mode, self.mode == "fan_in"),
            ("distribution", self.distribution_name, self.distribution_name == "truncated_normal"),
        ]

    def describe(self) -> str:
        v = f"v = {_num(self.scale)}/{self.mode}"
        if self.distribution_name == "uniform":
            return f"U(-b, b), b = √(3v), {v}"
        if self.distribution_name == "truncated_normal":
            return f"TN(0, s², [-2s, 2s]), s = √v/0.8796 (variance v), {v}"
        return f"N(0, v), {v}"


# ---- plain distributions --------------------------------------------------------------------
@dataclass(frozen=True)
class UniformSpec(Spec):
    """``U(low, high)`` (torch ``uniform_(a, b)``)."""

    name: ClassVar[str] = "uniform"
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _real(self.name, "low", self.low))
        object.__setattr__(self, "high", _real(self.name, "high", self.high))
        if not self.low < self.high:
            raise SpecError(f"uniform: needs low < high, got low={self.low!r}, high={self.high!r}; swap the bounds")

    def _distribution(self, fans: Fans | None) -> Distribution:
        return Uniform(self.low, self.high)

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return [("low", self.low, self.low == 0.0), ("high", self.high, self.high == 1.0)]

    def describe(self) -> str:
        return f"U(low, high), low = {_num(self.low)}, high = {_num(self.high)}"


@dataclass(frozen=True)
class NormalSpec(Spec):
    """``N(mean, std²)`` (torch ``normal_``).

    With ``truncated=True``: ``N(mean, std²)`` cut at ``mean ± 2·std`` (Keras ``TruncatedNormal``,
    JAX ``truncated_normal``): ``std`` is the parent normal's, with no 0.8796 correction, so the
    result has std ``0.8796·std``.
    """

    name: ClassVar[str] = "normal"
    mean: float = 0.0
    std: float = 1.0
    truncated: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _real(self.name, "mean", self.mean))
        object.__setattr__(self, "std", _positive(self.name, "std", self.std))
        object.__setattr__(self, "truncated", _flag(self.name, "truncated", self.truncated))

    def _distribution(self, fans: Fans | None) -> Distribution:
        if self.truncated:
            return TruncatedNormal(self.mean, self.std, self.mean - 2.0 * self.std, self.mean + 2.0 * self.std)
        return Normal(self.mean, self.std)

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return [
            ("mean", self.mean, self.mean == 0.0),
            ("std", self.std, self.std == 1.0),
            ("truncated", self.truncated, not self.truncated),
        ]

    def describe(self) -> str:
        base = f"N(mean, std²), mean = {_num(self.mean)}, std = {_num(self.std)}"
        return base + ", truncated to mean ± 2·std" if self.truncated else base


@dataclass(frozen=True)
class TruncNormalSpec(Spec):
    """torch ``trunc_normal_(mean, std, a, b)``: ``N(mean, std²)`` conditioned on ``a ≤ x ≤ b``.

    ``a`` and ``b`` are absolute bounds, NOT multiples of ``std``.
    """

    name: ClassVar[str] = "trunc_normal"
    mean: float = 0.0
    std: float = 1.0
    a: float = -2.0
    b: float = 2.0

    def __post_init__(self) -> None:
        for field_name in ("mean", "a", "b"):
            object.__setattr__(self, field_name, _real(self.name, field_name, getattr(self, field_name)))
        object.__setattr__(self, "std", _positive(self.name, "std", self.std))
        if not self.a < self.b:
            raise SpecError(f"trunc_normal: needs a < b, got a={self.a!r}, b={self.b!r}; swap the bounds")
        self._distribution(None)  # raises SpecError for bounds holding no mass

    def _distribution(self, fans: Fans | None) -> Distribution:
        return TruncatedNormal(self.mean, self.std, self.a, self.b)

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return [
            ("mean", self.mean, self.mean == 0.0),
            ("std", self.std, self.std == 1.0),
            ("a", self.a, self.a == -2.0),
            ("b", self.b, self.b == 2.0),
        ]

    def describe(self) -> str:
        return (
            f"N(mean, std²) truncated to [a, b] (absolute bounds), mean = {_num(self.mean)}, "
            f"std = {_num(self.std)}, a = {_num(self.a)}, b = {_num(self.b)}"
        )


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


# ---- registry -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpecInfo:
    """What ``verifier specs`` lists for one spec.

    Attributes
    ----------
    name : str
        Canonical name.
    aliases : tuple of str
        Other accepted names (torch's trailing-underscore names included).
    parameters : tuple of (name, default, description)
        In positional order.
    formula : str
        The distribution in words.
    """

    name: str
    aliases: tuple[str, ...]
    parameters: tuple[tuple[str, object, str], ...]
    formula: str


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

_REGISTRY: dict[str, tuple[SpecInfo, Callable[..., Spec]]] = {}
_SPECS: dict[str, SpecInfo] = {}
_ALIASES: dict[str, str] = {}


def _register(
    factory: Callable[..., Spec],
    parameters: tuple[tuple[str, object, str], ...],
    formula: str,
    aliases: tuple[str, ...] = (),
) -> None:
    name = factory.__name__
    all_aliases = (*aliases, name + "_", *(a + "_" for a in aliases))
    info = SpecInfo(name, all_aliases, parameters, formula)
    _REGISTRY[name] = (info, factory)
    _SPECS[name] = info
    _ALIASES.update({name: name, **{alias: name for alias in all_aliases}})


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

#: Canonical spec name → :class:`SpecInfo` (a read-only live view: modules of ``theory`` that define
#: more specs, such as :mod:`verifier.theory.exact`, register into it when ``verifier.theory`` loads).
SPECS: Mapping[str, SpecInfo] = MappingProxyType(_SPECS)

#: Every accepted name (canonical names and aliases) → canonical name.
SPEC_ALIASES: Mapping[str, str] = MappingProxyType(_ALIASES)

#: Keyword aliases accepted by the parser: spec → {alias: parameter} (torch ``uniform_(a, b)``).
PARAMETER_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType({"uniform": {"a": "low", "b": "high"}})


def spec_names() -> list[str]:
    """Canonical spec names, in registry order."""
    return list(SPECS)


def available_specs() -> list[SpecInfo]:
    """One :class:`SpecInfo` per canonical spec, in registry order."""
    return list(SPECS.values())


def canonical_spec_name(name: str) -> str:
    """Map a spec name or alias (case-insensitive, e.g. ``kaiming_normal_``) to its canonical name.

    Raises
    ------
    SpecError
        Unknown name; the message suggests a close match and lists the valid names.
    """
    key = name.strip().lower() if isinstance(name, str) else ""
    if key in SPEC_ALIASES:
        return SPEC_ALIASES[key]
    close = difflib.get_close_matches(key, list(SPEC_ALIASES), n=1)
    hint = f"did you mean {SPEC_ALIASES[close[0]]!r}? " if close else ""
    raise SpecError(f"unknown spec {name!r}; {hint}valid specs: {', '.join(SPECS)}")


def _factory(name: str) -> Callable[..., Spec]:
    return _REGISTRY[canonical_spec_name(name)][1]
