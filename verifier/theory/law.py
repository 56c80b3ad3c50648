"""The abstract law every initializer's distribution implements (:class:`Distribution`: cdf, sf,
pdf, ppf, exact central moments, scaling) and the numerical helpers the families share (the
standard normal density, ``Φ(v) − Φ(u)`` to full relative precision)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from verifier.errors import SpecError

__all__ = ["Distribution", "TRUNCATION_STD_FACTOR"]

#: Standard deviation of a standard normal truncated to ``[-2, 2]``:
#: ``√(1 − 4φ(2)/(2Φ(2) − 1))``. Keras/JAX divide by it so that a ±2σ truncated normal keeps variance σ².
TRUNCATION_STD_FACTOR: float = 0.87962566103423978

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

FloatArray = NDArray[np.float64]


def _as_float(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def _phi(z: FloatArray | float) -> Any:
    """Standard normal density ``φ(z) = exp(−z²/2)/√(2π)`` (0 at ±inf)."""
    return _INV_SQRT_2PI * np.exp(-0.5 * np.square(z))


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


def _mass(u: Any, v: Any) -> Any:
    """``Φ(v) − Φ(u)`` for ``u ≤ v``, to full relative precision.

    Uses ``Φ(−u) − Φ(−v)`` where ``u > 0`` (upper tail), else ``Φ(v) − Φ(u)``; where ``v − u < 0.5``
    (where those differences would cancel) it integrates ``φ`` over ``[u, v]`` with 16-point
    Gauss–Legendre, exact to rounding on such short intervals.
    """
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = np.where(u > 0, special.ndtr(-u) - special.ndtr(-v), special.ndtr(v) - special.ndtr(u))
        short = (v - u) < 0.5
    if np.any(short):
        uu, vv = np.broadcast_to(u, out.shape)[short], np.broadcast_to(v, out.shape)[short]
        half, mid = 0.5 * (vv - uu), 0.5 * (vv + uu)
        acc = np.zeros_like(half)
        for node, weight in zip(_GL_NODES, _GL_WEIGHTS):
            acc += weight * _phi(mid + half * node)
        out = np.array(out, dtype=np.float64, copy=True)
        out[short] = acc * half
    return out


def _fmt(x: float) -> str:
    """Four significant digits, ``-0`` printed as ``0``."""
    s = f"{x:.4g}"
    return "0" if s == "-0" else s


def _check_finite(cls: str, **values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise SpecError(f"{cls} {name} must be a real number, got {value!r}; pass a float")
        if not math.isfinite(float(value)):
            raise SpecError(f"{cls} {name} must be finite, got {value!r}; pass a finite float")


class Distribution(ABC):
    """A univariate continuous distribution (abstract base of the frozen dataclasses below).

    Subclasses implement the distribution functions ``cdf`` ``F(x)``, ``sf`` ``1 − F(x)``, ``pdf``
    ``f(x)``, ``ppf`` ``F⁻¹(q)``, the exact central moments ``μ_k = E[(X − E X)^k]``, and
    :meth:`scaled`.
    """

    @abstractmethod
    def cdf(self, x: ArrayLike) -> FloatArray:
        """Cumulative distribution function ``F(x) = P(X ≤ x)``."""

    @abstractmethod
    def sf(self, x: ArrayLike) -> FloatArray:
        """Survival function ``1 − F(x) = P(X > x)``, accurate in the upper tail."""

    @abstractmethod
    def pdf(self, x: ArrayLike) -> FloatArray:
        """Probability density ``f(x)``."""

    @abstractmethod
    def ppf(self, q: ArrayLike) -> FloatArray:
        """Quantile function ``F⁻¹(q)``; ``nan`` for ``q`` outside ``[0, 1]``."""

    @property
    @abstractmethod
    def mean(self) -> float:
        """``E[X]``."""

    @abstractmethod
    def central_moment(self, k: int) -> float:
        """Exact central moment ``μ_k = E[(X − E[X])^k]`` for an integer ``k ≥ 0``."""

    @property
    @abstractmethod
    def support(self) -> tuple[float, float]:
        """Closure of the set where the density is positive, ``(low, high)``."""

    @abstractmethod
    def to_scipy(self) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution."""

    @abstractmethod
    def scaled(self, factor: float) -> Distribution:
        """The law of ``E[X] + factor·(X − E[X])`` (same family; ``factor > 0``)."""

    # ---- derived -------------------------------------------------------------------------
    @property
    def variance(self) -> float:
        """``Var(X) = μ_2``."""
        return self.central_moment(2)

    @property
    def std(self) -> float:
        """``√Var(X)``."""
        return math.sqrt(self.variance)

    @property
    def mu4(self) -> float:
        """Fourth central moment ``μ_4`` (enters ``Var(s²) ≈ (μ_4 − σ⁴)/n``)."""
        return self.central_moment(4)

    @property
    def bounded(self) -> bool:
        """Whether the support is a finite interval."""
        lo, hi = self.support
        return math.isfinite(lo) and math.isfinite(hi)

    def sample(self, size: int | tuple[int, ...], rng: np.random.Generator | int | None = None) -> FloatArray:
        """Draw ``size`` iid values (``float64``) by inverse transform, ``F⁻¹(U)``, ``U ~ U(0, 1)``."""
        gen = np.random.default_rng(rng)
        return self.ppf(gen.random(size))

    @staticmethod
    def _check_k(k: int) -> int:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise SpecError(f"moment order must be a non-negative integer, got {k!r}; pass e.g. k=4")
        return int(k)

    @staticmethod
    def _check_factor(factor: float) -> float:
        _check_finite("scale", factor=factor)
        if factor <= 0:
            raise SpecError(f"scale factor must be > 0, got {factor!r}; pass a positive float")
        return float(factor)
