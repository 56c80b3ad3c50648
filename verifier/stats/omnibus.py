r"""One shape test from three: the smallest of the KS, AD and CvM p-values, calibrated by
its own null law.

KS, AD and CvM read the same probability-integral transforms and are strongly correlated,
so Holm over the three spends α three times on nearly one question. Their minimum p-value
:math:`m = \min(p_{KS}, p_{AD}, p_{CvM})` is itself a statistic whose null law
:math:`G_n(m) = P(\min p \le m)` depends only on ``n`` (for a continuous null); the
omnibus p-value is

.. math:: p_{omni} = \min\big(\bar G_n(m_j),\ 3m,\ 1\big)

with :math:`\bar G_n` the Clopper-Pearson upper bound (confidence 1 − 10⁻³) of the
simulated law (``scripts/omnibus_table.py``; R = 10⁶ samples for n ≤ 30, 10⁵ beyond),
read at the smallest tabulated level :math:`m_j ≥ m` (levels 10^{-6}..1, ratio 1.12:
conservative, at most 12 % high), and Bonferroni's :math:`3m`, valid for any dependence,
where the simulation cannot resolve the tail. Between tabulated ``n`` the larger of the two
neighbours' bounds is used; beyond n = 2000 the n = 2000 law (the p-values are already
those of the asymptotic laws there; calibration checked by simulation up to n = 3·10⁶).
It is monotone in ``m`` and never below ``m``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["MEMBERS", "pvalue", "critical", "available"]

MEMBERS = ("ks", "ad", "cvm")

_PATH = Path(__file__).with_name("omnibus_table.npz")


@lru_cache(maxsize=1)
def _data() -> dict[str, np.ndarray]:
    with np.load(_PATH, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def available() -> bool:
    """Whether the table is shipped."""
    return _PATH.exists()


@lru_cache(maxsize=4096)
def _law(n: int) -> np.ndarray:
    d = _data()
    grid = d["n_grid"]
    if n >= grid[-1]:
        return d[f"g_{int(grid[-1])}"]
    j = int(np.searchsorted(grid, n))
    if grid[j] == n:
        return d[f"g_{n}"]
    return np.maximum(d[f"g_{int(grid[j - 1])}"], d[f"g_{int(grid[j])}"])


def pvalue(min_p: float, n: int) -> float:
    """Omnibus p-value of the smallest member p-value ``min_p`` at sample size ``n``."""
    if not min_p > 0:
        return 0.0
    levels = _data()["levels"]
    g = _law(max(int(n), 1))
    j = int(np.searchsorted(levels, min_p, side="left"))
    tab = float(g[j]) if j < levels.size else 1.0
    return float(min(1.0, tab, 3.0 * min_p))


def critical(level: float, n: int) -> float:
    """Largest member p-value ``m`` with ``pvalue(m, n) ≤ level`` (0 if none): a member
    is rejected with the omnibus when its own p-value is at most this."""
    levels = _data()["levels"]
    g = _law(max(int(n), 1))
    ok = levels[g <= level]
    best = float(ok.max()) if ok.size else 0.0
    # pvalue() is min(G(m_j), 3m): levels below the next grid point keep G(m_j)
    return max(best, level / 3.0)
