"""Count, mean and central sums of a sample, mergeable (Pébay 2008): the moments of every summary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Moments"]


@dataclass(frozen=True)
class Moments:
    r"""Count, mean and central sums :math:`M_k = \sum (x_i - \bar x)^k`, k = 2, 3, 4."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0

    @classmethod
    def of(cls, x: np.ndarray) -> Moments:
        """Moments of a block (computed in float64)."""
        n = int(x.size)
        if n == 0:
            return cls()
        x = x.astype(np.float64, copy=False)
        mean = float(x.mean())
        d = x - mean
        d2 = d * d
        return cls(n, mean, float(d2.sum()), float((d2 * d).sum()), float((d2 * d2).sum()))

    @classmethod
    def of_counts(cls, values: np.ndarray, counts: np.ndarray) -> Moments:
        """Moments of a sample given as distinct values with counts."""
        n = int(counts.sum())
        if n == 0:
            return cls()
        w = counts.astype(np.float64)
        mean = float(np.sum(w * values) / n)
        d = values - mean
        d2 = d * d
        return cls(n, mean, float(np.sum(w * d2)), float(np.sum(w * d2 * d)), float(np.sum(w * d2 * d2)))

    def merge(self, other: Moments) -> Moments:
        """Pébay (2008) pairwise update: the moments of the union of two disjoint samples."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        na, nb = float(self.n), float(other.n)
        n = na + nb
        delta = other.mean - self.mean
        mean = self.mean + delta * nb / n
        m2 = self.m2 + other.m2 + delta**2 * na * nb / n
        m3 = (
            self.m3 + other.m3
            + delta**3 * na * nb * (na - nb) / n**2
            + 3.0 * delta * (na * other.m2 - nb * self.m2) / n
        )
        m4 = (
            self.m4 + other.m4
            + delta**4 * na * nb * (na * na - na * nb + nb * nb) / n**3
            + 6.0 * delta**2 * (na * na * other.m2 + nb * nb * self.m2) / n**2
            + 4.0 * delta * (na * other.m3 - nb * self.m3) / n
        )
        return Moments(self.n + other.n, mean, m2, m3, m4)

    def sum_sq_about(self, c: float) -> float:
        r""":math:`\sum (x_i - c)^2 = M_2 + n(\bar x - c)^2`."""
        return self.m2 + self.n * (self.mean - c) ** 2

    @property
    def variance(self) -> float:
        """Sample variance (divisor n - 1)."""
        return self.m2 / (self.n - 1) if self.n > 1 else float("nan")
