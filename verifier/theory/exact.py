"""Exact expectations as specs: ``zeros``, ``ones``, ``constant(c)``, ``eye``, ``dirac(groups)``.

A constant or a fixed pattern is not a distribution to test statistically: the check is "every
value equals the expected value", exact in the tensor's own dtype (``constant(0.1)`` in float16
compares against ``float16(0.1)``). Its p-value is 1 when it holds and 0 when any value differs,
so the verdict is the same at every α. These specs go through the same pipeline and give the same
:class:`~verifier.Verdict` as the statistical ones.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from verifier.errors import SpecError
from verifier.theory.distributions import Distribution
from verifier.theory.fans import Fans
from verifier.theory.specs import Spec, _register

__all__ = ["PointMass", "ExactSpec", "ConstantSpec", "EyeSpec", "DiracSpec", "zeros", "ones", "constant", "eye",
           "dirac"]


@dataclass(frozen=True)
class PointMass(Distribution):
    """The degenerate distribution at ``value``: ``P(X = value) = 1``."""

    value: float

    def cdf(self, x: Any) -> np.ndarray:
        return np.asarray(np.asarray(x, dtype=np.float64) >= self.value, dtype=np.float64)

    def sf(self, x: Any) -> np.ndarray:
        return 1.0 - self.cdf(x)

    def pdf(self, x: Any) -> np.ndarray:  # a point mass has no density; 0 off the atom
        x = np.asarray(x, dtype=np.float64)
        return np.where(x == self.value, np.inf, 0.0)

    def ppf(self, q: Any) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        return np.where((q >= 0) & (q <= 1), self.value, np.nan)

    @property
    def mean(self) -> float:
        return self.value

    def central_moment(self, k: int) -> float:
        k = self._check_k(k)
        return 1.0 if k == 0 else 0.0

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def to_scipy(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.value, scale=0.0)

    def scaled(self, factor: float) -> PointMass:
        self._check_factor(factor)
        return self

    def __str__(self) -> str:
        return f"exactly {self.value:g}"


@dataclass(frozen=True)
class ExactSpec(Spec):
    """Every value must equal a known value: the expected tensor is :meth:`expected_values`."""

    exact: ClassVar[bool] = True

    @abstractmethod
    def expected_values(self, shape: Sequence[int]) -> np.ndarray | float:
        """The expected tensor of ``shape`` (float64), or one float every value must equal."""

    def _distribution(self, fans: Fans | None) -> Distribution:
        raise SpecError(f"{self} is an exact expectation, not a distribution")


@dataclass(frozen=True)
class ConstantSpec(ExactSpec):
    """Every value equals ``value`` (``zeros``, ``ones``, ``constant(c)``; torch ``constant_``)."""

    value: float = 0.0

    @property
    def name(self) -> str:  # type: ignore[override]  # registered name: zeros, ones or constant
        return "zeros" if self.value == 0.0 else "ones" if self.value == 1.0 else "constant"

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float, np.floating, np.integer)):
            raise SpecError(f"constant(...) takes one number, got {self.value!r}; write e.g. constant(0.25)")
        if not math.isfinite(float(self.value)):
            raise SpecError(f"constant(...) must be finite, got {self.value!r}")
        object.__setattr__(self, "value", float(self.value))

    def expected_values(self, shape: Sequence[int]) -> float:
        return self.value

    def _distribution(self, fans: Fans | None) -> Distribution:
        return PointMass(self.value)

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return [("value", self.value, False)]

    def describe(self) -> str:
        return f"every value equals {self.value:g}"

    def __str__(self) -> str:
        if self.value == 0.0:
            return "zeros"
        if self.value == 1.0:
            return "ones"
        return f"constant({self.value!r})"


@dataclass(frozen=True)
class EyeSpec(ExactSpec):
    """The identity matrix (torch ``eye_``): ``w[i, j] = 1`` if ``i == j`` else 0; 2-D only."""

    name: ClassVar[str] = "eye"

    def expected_values(self, shape: Sequence[int]) -> np.ndarray:
        if len(shape) != 2:
            raise SpecError(f"eye needs a 2-D weight, got shape {tuple(shape)}; use dirac for convolutions")
        rows, cols = (int(d) for d in shape)
        return np.eye(rows, cols)

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return []

    def describe(self) -> str:
        return "identity matrix: ones on the diagonal, zeros elsewhere"


@dataclass(frozen=True)
class DiracSpec(ExactSpec):
    """The Dirac delta (torch ``dirac_``): ``w[g·o + d, d, centre] = 1`` for each group ``g`` and
    ``d < min(o, in)`` with ``o = out/groups``; zeros elsewhere. 3-, 4- or 5-D weights."""

    name: ClassVar[str] = "dirac"
    groups: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.groups, bool) or not isinstance(self.groups, (int, np.integer)) or self.groups < 1:
            raise SpecError(f"dirac: groups must be a positive integer, got {self.groups!r}")
        object.__setattr__(self, "groups", int(self.groups))

    def expected_values(self, shape: Sequence[int]) -> np.ndarray:
        shape = tuple(shape)
        if len(shape) not in (3, 4, 5):
            raise SpecError(f"dirac needs a 3-, 4- or 5-D convolution weight, got shape {shape}")
        if shape[0] % self.groups:
            raise SpecError(f"dirac: out channels {shape[0]} are not divisible by groups={self.groups}")
        e = np.zeros(shape)
        out_per_group = shape[0] // self.groups
        centre = tuple(s // 2 for s in shape[2:])
        for g in range(self.groups):
            for d in range(min(out_per_group, shape[1])):
                e[(g * out_per_group + d, d) + centre] = 1.0
        return e

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return [("groups", self.groups, self.groups == 1)]

    def describe(self) -> str:
        return f"Dirac delta (groups={self.groups}): w[g·o+d, d, centre] = 1, zeros elsewhere"


def zeros() -> ConstantSpec:
    """Every value is 0 (biases, torch ``zeros_``)."""
    return ConstantSpec(0.0)


def ones() -> ConstantSpec:
    """Every value is 1 (norm weights, torch ``ones_``)."""
    return ConstantSpec(1.0)


def constant(value: float | None = None) -> ConstantSpec:
    """Every value is ``value`` (torch ``constant_``)."""
    if value is None:
        raise SpecError("constant needs its value; write e.g. constant(0.25)")
    return ConstantSpec(value)


def eye() -> EyeSpec:
    """The identity matrix (torch ``eye_``)."""
    return EyeSpec()


def dirac(groups: int = 1) -> DiracSpec:
    """The Dirac delta of a convolution (torch ``dirac_``)."""
    return DiracSpec(groups)


_register(zeros, (), "every value is 0 (exact)", ("zero",))
_register(ones, (), "every value is 1 (exact)", ("one",))
_register(constant, (("value", None, "the value every entry equals"),), "every value is c (exact)", ("exact",))
_register(eye, (), "identity matrix (exact)")
_register(dirac, (("groups", 1, "convolution groups"),), "Dirac delta of a convolution (exact)")
