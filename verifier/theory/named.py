"""The named schemes (xavier/glorot, he/kaiming, lecun; :class:`NamedSpec`) and Keras/JAX
``VarianceScaling`` (:class:`VarianceScalingSpec`): target std ``σ`` from the fans, the gain and the
mode, then ``U(±√3·σ)``, ``N(0, σ²)`` or the variance-preserving truncation ``TN(0, s², ±2s)``,
``s = σ/0.87962566103423978`` (THEORY.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar
from types import MappingProxyType

from verifier.errors import SpecError
from verifier.theory.distributions import (
    TRUNCATION_STD_FACTOR,
    Distribution,
    Normal,
    TruncatedNormal,
    Uniform,
)
from verifier.theory.fans import Fans
from verifier.theory.gains import LEAKY_RELU_DEFAULT_SLOPE, NONLINEARITIES, calculate_gain
from verifier.theory.spec_base import _SQRT3, Spec, _choice, _flag, _num, _positive, _real

__all__ = ["NamedSpec", "VarianceScalingSpec"]


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
