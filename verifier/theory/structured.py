"""Structured specs: weights defined by a property of the whole matrix, not by iid entries.

``orthogonal(gain)`` (torch ``orthogonal_``, Keras ``Orthogonal``)
    The weight, viewed as a matrix ``W`` of ``rows × cols`` (torch layout: ``rows = shape[0]``,
    ``cols = prod(shape[1:])``; Keras layout: ``rows = prod(shape[:-1])``, ``cols = shape[-1]``),
    is ``gain`` times a Haar-random semi-orthogonal matrix: ``W·Wᵀ = g²·I`` when ``rows ≤ cols``,
    ``Wᵀ·W = g²·I`` otherwise. Each of the orthonormal vectors (length ``N = max(rows, cols)``) is
    uniform on the sphere ``S^{N−1}``, so every entry has the law of :class:`HaarEntry`:
    ``x/g = 2B − 1`` with ``B ~ Beta((N−1)/2, (N−1)/2)`` (density ∝ ``(1 − x²/g²)^{(N−3)/2}``,
    variance ``g²/N``). The property itself is checked by
    :func:`verifier.stats.properties.spec_checks` within a tolerance derived from the dtype and ``N``.
``sparse(sparsity, std)`` (torch ``sparse_``)
    A 2-D weight with exactly ``ceil(sparsity·rows)`` zeros in every column, at random rows, and
    ``N(0, std²)`` values elsewhere. Its distribution (what the statistical checks test) is the law
    of the non-zeros; the zero count per column is checked exactly.

These classes register themselves with the spec parser (``verifier.theory.specs``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy import special
from scipy import stats as _st

from verifier.errors import SpecError
from verifier.theory.families import Normal
from verifier.theory.law import Distribution, FloatArray, _as_float, _fmt
from verifier.theory.fans import Fans, canonical_layout
from verifier.theory.specs import Spec, _positive, _real, _register

__all__ = ["HaarEntry", "OrthogonalSpec", "SparseSpec", "matrix_view", "orthogonal", "sparse"]


def matrix_view(shape: Sequence[int] | None, layout: str = "torch", spec: str = "orthogonal") -> tuple[int, int]:
    """``(rows, cols)`` of the matrix a weight of ``shape`` is flattened to in ``layout``."""
    if shape is None:
        raise SpecError(f"{spec} needs the weight's shape; pass shape= (or values)")
    dims = tuple(int(d) for d in shape)
    if len(dims) < 2:
        raise SpecError(f"{spec} needs a weight of at least 2 dimensions, got shape {dims}")
    if canonical_layout(layout) == "torch":
        return dims[0], math.prod(dims[1:])
    return math.prod(dims[:-1]), dims[-1]


@dataclass(frozen=True)
class HaarEntry(Distribution):
    """An entry of ``gain`` × a Haar-random matrix whose orthonormal vectors have length ``dim``.

    ``x = g(2B − 1)``, ``B ~ Beta(a, a)``, ``a = (dim − 1)/2``: support ``[−g, g]``, mean 0,
    even central moments ``g^k·E[(2B−1)^k]`` (variance ``g²/dim``; ``μ_4 = 3g⁴/(dim(dim+2))``).
    """

    gain: float
    dim: int

    def __post_init__(self) -> None:
        if not (isinstance(self.dim, (int, np.integer)) and self.dim >= 2):
            raise SpecError(f"orthogonal: vectors of length {self.dim!r} have no continuous law; need length >= 2")
        if not (math.isfinite(self.gain) and self.gain > 0):
            raise SpecError(f"orthogonal: gain must be > 0, got {self.gain!r}")

    @property
    def _a(self) -> float:
        return (self.dim - 1) / 2.0

    def _b(self, x: ArrayLike) -> FloatArray:
        return np.clip((_as_float(x) / self.gain + 1.0) / 2.0, 0.0, 1.0)

    def cdf(self, x: ArrayLike) -> FloatArray:
        return np.asarray(special.betainc(self._a, self._a, self._b(x)), dtype=np.float64)

    def sf(self, x: ArrayLike) -> FloatArray:
        # symmetric: P(X > x) = P(X < −x), exact in the upper tail
        return np.asarray(special.betainc(self._a, self._a, self._b(-_as_float(x))), dtype=np.float64)

    def pdf(self, x: ArrayLike) -> FloatArray:
        return np.asarray(_st.beta.pdf(self._b(x), self._a, self._a) / (2.0 * self.gain), dtype=np.float64)

    def ppf(self, q: ArrayLike) -> FloatArray:
        return np.asarray(self.gain * (2.0 * special.betaincinv(self._a, self._a, _as_float(q)) - 1.0),
                          dtype=np.float64)

    @property
    def mean(self) -> float:
        return 0.0

    def central_moment(self, k: int) -> float:
        k = self._check_k(k)
        if k % 2:
            return 0.0
        # E[Y^k] for Y = 2B − 1, B ~ Beta(a, a): Π_{j<k/2} (2j+1)/(2a+1+2j) = Π (2j+1)/(dim+2j)
        m = 1.0
        for j in range(k // 2):
            m *= (2 * j + 1) / (self.dim + 2 * j)
        return self.gain**k * m

    @property
    def support(self) -> tuple[float, float]:
        return (-self.gain, self.gain)

    def to_scipy(self) -> Any:
        return _st.beta(self._a, self._a, loc=-self.gain, scale=2.0 * self.gain)

    def scaled(self, factor: float) -> HaarEntry:
        return HaarEntry(self.gain * self._check_factor(factor), self.dim)

    def __str__(self) -> str:
        return f"Haar entry (gain {_fmt(self.gain)}, vectors of length {self.dim})"


@dataclass(frozen=True)
class OrthogonalSpec(Spec):
    """``orthogonal(gain=1.0)``: ``gain`` × a Haar-random semi-orthogonal matrix (module docstring)."""

    name: ClassVar[str] = "orthogonal"
    gain: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "gain", _positive(self.name, "gain", self.gain))

    @property
    def needs_fans(self) -> bool:
        return False

    def distribution(self, shape: Sequence[int] | None = None, layout: str = "torch", *,
                     fan_in: int | None = None, fan_out: int | None = None) -> Distribution:
        rows, cols = matrix_view(shape, layout)
        return HaarEntry(self.gain, max(rows, cols))

    def distribution_for(self, fans: Fans | None, shape: Sequence[int] | None = None,
                         layout: str = "torch") -> Distribution:
        return self.distribution(shape, layout)

    def _distribution(self, fans: Fans | None) -> Distribution:  # pragma: no cover - distribution() overrides
        raise SpecError("orthogonal needs the weight's shape")

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return [("gain", self.gain, self.gain == 1.0)]

    def describe(self) -> str:
        return (f"gain·(Haar semi-orthogonal): W·Wᵀ = gain²·I (rows ≤ cols) or Wᵀ·W = gain²·I, gain = "
                f"{self.gain:.4g}; entries 2B−1, B ~ Beta((N−1)/2, (N−1)/2), N = max(rows, cols)")


@dataclass(frozen=True)
class SparseSpec(Spec):
    """``sparse(sparsity, std=0.01)``: ``ceil(sparsity·rows)`` zeros per column, ``N(0, std²)`` elsewhere."""

    name: ClassVar[str] = "sparse"
    sparsity: float = 0.1
    std: float = 0.01

    def __post_init__(self) -> None:
        s = _real(self.name, "sparsity", self.sparsity)
        if not 0.0 < s < 1.0:
            raise SpecError(f"sparse: sparsity is the fraction of zeros per column, in (0, 1); got {self.sparsity!r}")
        object.__setattr__(self, "sparsity", s)
        object.__setattr__(self, "std", _positive(self.name, "std", self.std))

    def zeros_per_column(self, rows: int) -> int:
        """``ceil(sparsity·rows)``, as torch computes it."""
        return math.ceil(self.sparsity * rows)

    def _distribution(self, fans: Fans | None) -> Distribution:
        return Normal(0.0, self.std)

    def _arguments(self) -> list[tuple[str, object, bool]]:
        return [("sparsity", self.sparsity, False), ("std", self.std, self.std == 0.01)]

    def describe(self) -> str:
        return (f"ceil(sparsity·rows) zeros in every column, N(0, std²) elsewhere, sparsity = "
                f"{self.sparsity:.4g}, std = {self.std:.4g}")


def orthogonal(gain: float = 1.0) -> OrthogonalSpec:
    """torch ``orthogonal_`` / Keras ``Orthogonal``: ``gain`` × a Haar-random semi-orthogonal matrix."""
    return OrthogonalSpec(gain=gain)


def sparse(sparsity: float = 0.1, std: float = 0.01) -> SparseSpec:
    """torch ``sparse_``: ``ceil(sparsity·rows)`` zeros per column, ``N(0, std²)`` non-zeros."""
    return SparseSpec(sparsity=sparsity, std=std)


_register(orthogonal, (("gain", 1.0, "multiplier: W·Wᵀ (or Wᵀ·W) = gain²·I"),),
          "gain·(Haar semi-orthogonal matrix): W·Wᵀ or Wᵀ·W = gain²·I")
_register(sparse, (("sparsity", 0.1, "fraction of zeros in each column"),
                   ("std", 0.01, "standard deviation of the non-zeros")),
          "ceil(sparsity·rows) zeros per column, N(0, std²) elsewhere")
