"""The uniform ``U(low, high)`` and normal ``N(mean, std²)`` families."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from verifier.errors import SpecError
from verifier.theory.law import FloatArray, Distribution, _as_float, _check_finite, _fmt, _phi

__all__ = ["Uniform", "Normal"]


@dataclass(frozen=True)
class Uniform(Distribution):
    """Continuous uniform ``U(low, high)``.

    ``F(x) = (x − low)/(high − low)`` on the support; mean ``(low + high)/2``; with half-width
    ``b = (high − low)/2`` the central moments are ``0`` for odd ``k`` and ``b^k/(k + 1)`` for even
    ``k`` (variance ``b²/3``, ``μ_4 = b⁴/5``).
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        _check_finite("Uniform", low=self.low, high=self.high)
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if not self.low < self.high:
            raise SpecError(
                f"Uniform needs low < high, got low={self.low!r}, high={self.high!r}; swap or widen the bounds"
            )

    @property
    def width(self) -> float:
        """``high − low``."""
        return self.high - self.low

    def cdf(self, x: ArrayLike) -> FloatArray:
        t = np.subtract(_as_float(x), self.low)
        if isinstance(t, np.ndarray) and t.ndim:  # a new array: divided and clipped in place
            t /= self.width
            return t.clip(0.0, 1.0, out=t)
        return np.asarray(np.clip(t / self.width, 0.0, 1.0), dtype=np.float64)

    def sf(self, x: ArrayLike) -> FloatArray:
        x = _as_float(x)
        return np.asarray(np.clip((self.high - x) / self.width, 0.0, 1.0), dtype=np.float64)

    def pdf(self, x: ArrayLike) -> FloatArray:
        x = _as_float(x)
        inside = (x >= self.low) & (x <= self.high)
        return np.asarray(np.where(inside, 1.0 / self.width, 0.0), dtype=np.float64)

    def ppf(self, q: ArrayLike) -> FloatArray:
        q = _as_float(q)
        with np.errstate(invalid="ignore"):
            x = np.where(q <= 0.5, self.low + q * self.width, self.high - (1.0 - q) * self.width)
            x = np.where((q >= 0) & (q <= 1), x, np.nan)
        return np.asarray(x, dtype=np.float64)

    @property
    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def central_moment(self, k: int) -> float:
        k = self._check_k(k)
        if k % 2:
            return 0.0
        b = 0.5 * self.width
        return b**k / (k + 1)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def to_scipy(self) -> Any:
        from scipy import stats

        return stats.uniform(loc=self.low, scale=self.width)

    def scaled(self, factor: float) -> Uniform:
        f = self._check_factor(factor)
        c, b = self.mean, 0.5 * self.width * f
        return Uniform(c - b, c + b)

    def __str__(self) -> str:
        return f"U({_fmt(self.low)}, {_fmt(self.high)})"


@dataclass(frozen=True, init=False)
class Normal(Distribution):
    """Normal ``N(mean, std²)``.

    ``F(x) = Φ((x − mean)/std)``; central moments ``0`` for odd ``k`` and ``(k − 1)!!·std^k`` for even
    ``k`` (``μ_4 = 3σ⁴``). Constructed as ``Normal(mean, std)``; stored as fields ``loc``/``scale``
    (``mean``/``std`` are the moment properties shared by every :class:`Distribution`).
    """

    loc: float
    scale: float

    def __init__(self, mean: float = 0.0, std: float = 1.0) -> None:
        _check_finite("Normal", mean=mean, std=std)
        object.__setattr__(self, "loc", float(mean))
        object.__setattr__(self, "scale", float(std))
        if not self.scale > 0:
            raise SpecError(f"Normal needs std > 0, got std={std!r}; pass a positive std")

    def __repr__(self) -> str:
        return f"Normal(mean={self.loc!r}, std={self.scale!r})"

    @property
    def mean(self) -> float:
        return self.loc

    @property
    def std(self) -> float:
        return self.scale

    def _z(self, x: ArrayLike) -> FloatArray:
        x = _as_float(x)
        if x.ndim and self.loc == 0.0:  # x - 0 is x: one pass, a new array
            return np.divide(x, self.scale)
        z = np.subtract(x, self.loc)  # a new array (or scalar): divided in place
        if isinstance(z, np.ndarray) and z.ndim:
            z /= self.scale
            return z
        return z / self.scale

    def cdf(self, x: ArrayLike) -> FloatArray:
        z = self._z(x)
        return np.asarray(special.ndtr(z, out=z) if z.ndim else special.ndtr(z), dtype=np.float64)

    def sf(self, x: ArrayLike) -> FloatArray:
        return np.asarray(special.ndtr(-self._z(x)), dtype=np.float64)

    def pdf(self, x: ArrayLike) -> FloatArray:
        return np.asarray(_phi(self._z(x)) / self.std, dtype=np.float64)

    def ppf(self, q: ArrayLike) -> FloatArray:
        q = _as_float(q)
        with np.errstate(invalid="ignore"):
            x = self.mean + self.std * special.ndtri(q)
        return np.asarray(x, dtype=np.float64)

    @property
    def variance(self) -> float:
        return self.std**2

    def central_moment(self, k: int) -> float:
        k = self._check_k(k)
        if k % 2:
            return 0.0
        double_factorial = math.prod(range(k - 1, 0, -2))
        return float(double_factorial) * self.std**k

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def to_scipy(self) -> Any:
        from scipy import stats

        return stats.norm(loc=self.mean, scale=self.std)

    def scaled(self, factor: float) -> Normal:
        return Normal(self.mean, self.std * self._check_factor(factor))

    def __str__(self) -> str:
        return f"N({_fmt(self.mean)}, {_fmt(self.std)}²)"
