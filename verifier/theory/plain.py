"""Plain distributions with explicit parameters: ``uniform(low, high)``, ``normal(mean, std)``
(optionally cut at ±2·std) and torch's ``trunc_normal(mean, std, a, b)`` with absolute bounds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from verifier.errors import SpecError
from verifier.theory.distributions import Distribution, Normal, TruncatedNormal, Uniform
from verifier.theory.fans import Fans
from verifier.theory.spec_base import Spec, _flag, _num, _positive, _real

__all__ = ["UniformSpec", "NormalSpec", "TruncNormalSpec"]


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
