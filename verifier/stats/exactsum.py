r"""Exact (conservative) laws of sums of iid bounded variables, by lattice convolution.

The mean test sums :math:`X_i` and the variance test sums :math:`Y_i = (X_i - \mu)^2`.
Under a bounded null (uniform, truncated normal, or any null rounded to a 16-bit grid with
bounded support) the normal / Pearson-III approximations of those sums are liberal in the
tail at small ``n`` (the z-test is 2.4× liberal at n = 30 for a skewed truncated normal;
Pearson III is too small mid-range for a uniform at n = 2–3). Here the law is computed:

1. each variable ``V`` (``X`` or ``Y``) is rounded to the lattice ``a + jh``,
   ``j = 0..K-1`` (``K`` points over its support, cell masses from the exact CDF, or the
   grid null's point masses), so :math:`|V - V_{lat}| ≤ h/2`;
2. the law of the lattice sum :math:`S_{lat}` is the ``n``-fold convolution, computed
   exactly up to floating-point error by FFT (length ``n(K-1)+1``);
3. since :math:`|S - S_{lat}| ≤ nh/2`, the reported tails
   :math:`P(S ≥ s) ≤ P(S_{lat} ≥ s - nh/2)` and :math:`P(S ≤ s) ≤ P(S_{lat} ≤ s + nh/2)`
   are upper bounds (conservative) with a shift of :math:`nh/2 = O(\sqrt n / K)` standard
   deviations of ``S``.

FFT round-off (≈1e-16 per coefficient) makes tails below :data:`FLOOR` meaningless; they
are reported as ``FLOOR`` (a bound, never 0 unless ``s`` lies outside the sum's support).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["N_MAX", "FLOOR", "SumLaw", "lattice_law", "two_sided"]

N_MAX = 500
"""Largest ``n`` for which the exact law is computed (beyond, moment approximations)."""

FLOOR = 1e-12
"""Smallest tail probability reported (FFT round-off)."""

POINTS = 1024
"""Lattice points per variable."""


class SumLaw:
    """Law of :math:`S_{lat} = \\sum_{i=1}^n V_{lat,i}` on the lattice ``n·a + k·h``."""

    def __init__(self, origin: float, step: float, pmf: np.ndarray, n: int) -> None:
        self.n = n
        self.origin = n * origin
        self.step = step
        size = n * (pmf.size - 1) + 1
        nfft = 1 << (size - 1).bit_length()
        law = np.fft.irfft(np.fft.rfft(pmf, nfft) ** n, nfft)[:size]
        law = np.clip(law, 0.0, None)
        law /= law.sum()
        self.cdf = np.cumsum(law)
        self.sf = np.cumsum(law[::-1])[::-1]  # P(S_lat >= k)

    def upper(self, s: float) -> float:
        """Upper bound on :math:`P(S ≥ s)`."""
        k = math.ceil((s - self.origin) / self.step - self.n / 2 - 1e-9)
        if k <= 0:
            return 1.0
        if k >= self.sf.size:
            return 0.0
        return float(max(self.sf[k], FLOOR))

    def lower(self, s: float) -> float:
        """Upper bound on :math:`P(S ≤ s)`."""
        k = math.floor((s - self.origin) / self.step + self.n / 2 + 1e-9)
        if k < 0:
            return 0.0
        if k >= self.cdf.size - 1:
            return 1.0
        return float(max(self.cdf[k], FLOOR))


def two_sided(law: SumLaw, s: float) -> float:
    """Two-sided p-value :math:`\\min(1, 2\\min(P(S ≤ s), P(S ≥ s)))` (each tail an upper bound)."""
    return float(min(1.0, 2.0 * min(law.lower(s), law.upper(s))))


def _cell_masses(cdf, lo: float, hi: float, k: int) -> tuple[float, float, np.ndarray]:
    h = (hi - lo) / (k - 1)
    edges = lo + (np.arange(k + 1) - 0.5) * h
    edges[0], edges[-1] = lo, hi
    c = cdf(edges)
    return lo, h, np.maximum(np.diff(c), 0.0)


def _points(n: int, width: float, sd: float) -> int:
    """Lattice points so that the conservative shift ``nh/2`` is at most 1/50 of the sum's
    standard deviation ``√n·sd`` (``h = width/(K-1)``), within FFT limits."""
    if not sd > 0:
        return POINTS
    k = int(math.ceil(25.0 * math.sqrt(n) * width / sd)) + 1
    return int(min(max(k, POINTS), MAX_POINTS, max(POINTS, MAX_FFT // max(n, 1))))


MAX_POINTS = 1 << 15
MAX_FFT = 1 << 23


@lru_cache(maxsize=64)
def lattice_law(key: tuple, kind: str, n: int) -> SumLaw:
    """The law of the sum for ``kind`` 'mean' (``X``) or 'square' (``(X-μ)²``).

    ``key`` is ``('dist', dist, μ)`` for a continuous bounded null or
    ``('grid', values_bytes, prob_bytes, μ)`` for a discrete one (hashable, cached). The
    lattice has enough points (:func:`_points`) that the conservative shift is at most
    0.02 standard deviations of the sum.
    """
    if key[0] == "dist":
        _, dist, mu = key
        lo, hi = dist.support
        if kind == "mean":
            def make(k: int) -> tuple[float, float, np.ndarray]:
                return _cell_masses(dist.cdf, lo, hi, k)
        else:
            r = max(mu - lo, hi - mu)

            def cdf_y(y: np.ndarray) -> np.ndarray:
                t = np.sqrt(np.clip(y, 0.0, None))
                return np.asarray(dist.cdf(mu + t)) - np.asarray(dist.cdf(mu - t))

            def make(k: int) -> tuple[float, float, np.ndarray]:
                return _cell_masses(cdf_y, 0.0, r * r, k)
    else:
        _, vb, pb, mu = key
        v = np.frombuffer(vb, dtype=np.float64)
        p = np.frombuffer(pb, dtype=np.float64)
        v = v if kind == "mean" else (v - mu) ** 2
        vlo, vhi = float(v.min()), float(v.max())
        if vhi <= vlo:
            vhi = vlo + 1.0

        def make(k: int) -> tuple[float, float, np.ndarray]:
            h = (vhi - vlo) / (k - 1)
            pmf = np.zeros(k)
            np.add.at(pmf, np.clip(np.rint((v - vlo) / h).astype(np.int64), 0, k - 1), p)
            return vlo, h, pmf

    a, h, pmf = make(POINTS)
    pmf = pmf / pmf.sum()
    x = a + h * np.arange(pmf.size)
    mean = float(np.dot(pmf, x))
    sd = math.sqrt(max(float(np.dot(pmf, (x - mean) ** 2)), 0.0))
    k = _points(n, h * (pmf.size - 1), sd)
    if k != POINTS:
        a, h, pmf = make(k)
        pmf = pmf / pmf.sum()
    return SumLaw(a, h, pmf, n)
