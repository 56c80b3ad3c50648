"""Continuous distributions that initializers claim to draw from.

Three families cover every initializer the verifier knows:

* :class:`Uniform` ``U(low, high)``,
* :class:`Normal` ``N(mean, std²)``,
* :class:`TruncatedNormal` ``N(mean, std²)`` conditioned on ``low ≤ x ≤ high`` (``low``/``high``
  absolute values, as in ``torch.nn.init.trunc_normal_``).

All functions are vectorised with :mod:`scipy.special` (no frozen ``scipy.stats`` objects on hot
paths), accept scalars or arrays of any float dtype and return ``float64`` arrays.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from verifier.errors import SpecError

__all__ = [
    "Distribution",
    "Uniform",
    "Normal",
    "TruncatedNormal",
    "TRUNCATION_STD_FACTOR",
]

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
        x = _as_float(x)
        return np.asarray(np.clip((x - self.low) / self.width, 0.0, 1.0), dtype=np.float64)

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
        return (_as_float(x) - self.loc) / self.scale

    def cdf(self, x: ArrayLike) -> FloatArray:
        return np.asarray(special.ndtr(self._z(x)), dtype=np.float64)

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


@dataclass(frozen=True, init=False)
class TruncatedNormal(Distribution):
    """Normal ``N(mean, std²)`` conditioned on ``low ≤ X ≤ high`` (torch ``trunc_normal_`` semantics).

    ``mean`` and ``std`` are the parameters of the parent normal (stored as ``loc``/``scale``; the
    ``mean``/``std`` properties are the moments of the truncated law); ``low``/``high`` are absolute
    bounds. With ``α = (low − mean)/std``, ``β = (high − mean)/std`` and ``Z = Φ(β) − Φ(α)``:
    ``f(x) = φ((x − mean)/std)/(std·Z)`` on ``[low, high]`` and ``F(x) = (Φ(z) − Φ(α))/Z``, evaluated
    as ``(Φ(−α) − Φ(−z))/Z`` in the upper tail to avoid cancellation.

    Central moments ``μ_k = std^k·E[(X − E X)^k]`` of the standardized variable ``X`` (truncated to
    ``[α, β]``) are computed by composite Gauss–Legendre quadrature, exact to rounding for the smooth
    integrand ``(x − m)^k φ(x)/Z`` and, unlike the textbook recursion
    ``m_k = (k − 1)m_{k−2} − [β^{k−1}φ(β) − α^{k−1}φ(α)]/Z``, free of cancellation for narrow or
    far-tail intervals.
    For symmetric truncation at ``±cσ`` this gives ``Var = σ²(1 − 2cφ(c)/(2Φ(c) − 1))``.
    """

    loc: float
    scale: float
    low: float
    high: float

    def __init__(self, mean: float = 0.0, std: float = 1.0, low: float = -2.0, high: float = 2.0) -> None:
        _check_finite("TruncatedNormal", mean=mean, std=std, low=low, high=high)
        object.__setattr__(self, "loc", float(mean))
        object.__setattr__(self, "scale", float(std))
        object.__setattr__(self, "low", float(low))
        object.__setattr__(self, "high", float(high))
        if not self.scale > 0:
            raise SpecError(f"TruncatedNormal needs std > 0, got std={self.scale!r}; pass a positive std")
        if not self.low < self.high:
            raise SpecError(
                f"TruncatedNormal needs low < high, got low={self.low!r}, high={self.high!r}; swap or widen the bounds"
            )
        if not self._z_mass > 1e-300:
            raise SpecError(
                f"TruncatedNormal bounds [{self.low!r}, {self.high!r}] hold probability < 1e-300 of "
                f"N({self.loc!r}, {self.scale!r}²); move the bounds toward the mean or widen std"
            )

    def __repr__(self) -> str:
        return f"TruncatedNormal(mean={self.loc!r}, std={self.scale!r}, low={self.low!r}, high={self.high!r})"

    @property
    def parent(self) -> Normal:
        """The untruncated parent normal ``N(loc, scale²)``."""
        return Normal(self.loc, self.scale)

    # ---- parameters ------------------------------------------------------------------------
    @property
    def alpha(self) -> float:
        """Standardized lower bound ``α = (low − mean)/std``."""
        return (self.low - self.loc) / self.scale

    @property
    def beta(self) -> float:
        """Standardized upper bound ``β = (high − mean)/std``."""
        return (self.high - self.loc) / self.scale

    @property
    def _z_mass(self) -> float:
        return float(_mass(self.alpha, self.beta))

    # ---- distribution functions -------------------------------------------------------------
    def _z(self, x: ArrayLike) -> FloatArray:
        z = (_as_float(x) - self.loc) / self.scale
        return np.clip(z, self.alpha, self.beta)

    def cdf(self, x: ArrayLike) -> FloatArray:
        x = _as_float(x)
        out = _mass(self.alpha, self._z(x)) / self._z_mass
        out = np.where(x >= self.high, 1.0, np.clip(out, 0.0, 1.0))
        return np.asarray(out, dtype=np.float64)

    def sf(self, x: ArrayLike) -> FloatArray:
        x = _as_float(x)
        out = _mass(self._z(x), self.beta) / self._z_mass
        out = np.where(x < self.low, 1.0, np.clip(out, 0.0, 1.0))
        return np.asarray(out, dtype=np.float64)

    def pdf(self, x: ArrayLike) -> FloatArray:
        x = _as_float(x)
        z = (x - self.loc) / self.scale
        inside = (x >= self.low) & (x <= self.high)
        out = np.where(inside, _phi(z) / (self.scale * self._z_mass), 0.0)
        return np.asarray(out, dtype=np.float64)

    def ppf(self, q: ArrayLike) -> FloatArray:
        q = _as_float(q)
        a, b, zm = self.alpha, self.beta, self._z_mass
        with np.errstate(invalid="ignore", divide="ignore"):
            p_lo = special.ndtr(a) + q * zm  # Φ(x) for the lower-tail form
            p_hi = special.ndtr(-b) + (1.0 - q) * zm  # Φ(−x) for the upper-tail form
            z = np.where(p_lo < 0.5, special.ndtri(np.clip(p_lo, 0.0, 1.0)), -special.ndtri(np.clip(p_hi, 0.0, 1.0)))
            x = np.clip(self.loc + self.scale * z, self.low, self.high)
            x = np.where(q == 0, self.low, np.where(q == 1, self.high, x))
            x = np.where((q >= 0) & (q <= 1), x, np.nan)
        return np.asarray(x, dtype=np.float64)

    # ---- moments ----------------------------------------------------------------------------
    @cached_property
    def _quadrature(self) -> tuple[float, FloatArray, FloatArray]:
        """Composite Gauss–Legendre rule for the standardized truncated law.

        Works in offsets ``y = x − α`` from the lower bound (no cancellation for narrow or far-tail
        intervals) with density ``∝ exp(−(x − x₀)(x + x₀)/2)``, ``x₀`` the mode, over the part of
        ``[α, β]`` within 12 of the mode (the density ratio beyond is < e⁻⁷²), in panels of
        width ≤ 1 with 24 nodes each (exact to rounding for these smooth integrands).

        Returns ``(m_y, y − m_y, w)``: the mean offset, centred nodes and normalised weights.
        """
        a, b = self.alpha, self.beta
        mode = min(max(0.0, a), b)
        lo = max(0.0, (mode - a) - 12.0)
        hi = min(b - a, (mode - a) + 12.0)
        panels = max(1, math.ceil(hi - lo))
        nodes, weights = np.polynomial.legendre.leggauss(24)
        edges = np.linspace(lo, hi, panels + 1)
        half = 0.5 * np.diff(edges)[:, None]
        mid = 0.5 * (edges[:-1] + edges[1:])[:, None]
        y = (mid + half * nodes).ravel()
        d = (a - mode) + y  # x − mode
        w = np.exp(-0.5 * d * (d + 2.0 * mode)) * (half * weights).ravel()
        w = w / w.sum()
        m_y = float(np.dot(w, y))
        return m_y, y - m_y, w

    @property
    def mean(self) -> float:
        return self.loc + self.scale * (self.alpha + self._quadrature[0])

    def central_moment(self, k: int) -> float:
        k = self._check_k(k)
        if k == 0:
            return 1.0
        if k == 1:
            return 0.0
        _, centred, w = self._quadrature
        return float(self.scale**k * np.dot(w, centred**k))

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def to_scipy(self) -> Any:
        from scipy import stats

        return stats.truncnorm(self.alpha, self.beta, loc=self.loc, scale=self.scale)

    def scaled(self, factor: float) -> TruncatedNormal:
        f = self._check_factor(factor)
        shift = self.mean * (1.0 - f)
        return TruncatedNormal(f * self.loc + shift, f * self.scale, f * self.low + shift, f * self.high + shift)

    def __str__(self) -> str:
        return f"TN({_fmt(self.loc)}, {_fmt(self.scale)}², [{_fmt(self.low)}, {_fmt(self.high)}])"
