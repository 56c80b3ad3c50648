"""The :class:`Spec` base class (what every spec answers: its distribution for a shape and layout,
its canonical string, whether it needs fans) and the validation helpers of spec parameters."""

from __future__ import annotations

import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real
from typing import ClassVar

import numpy as np

from verifier.errors import SpecError
from verifier.theory.distributions import Distribution
from verifier.theory.fans import Fans, compute_fans

__all__ = ["Spec"]

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
