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

**Why it gives nothing at the default α = 1e-4** (not a calibration gap that more simulation
would close). In Holm the omnibus stands for three members, so a member is first rejected at
:math:`m^* = G_n^{-1}(L/(k-2))` instead of :math:`L/k` (k statistical checks: 5 — mean,
variance, KS, AD, CvM — or 6 with the range check of bounded families). With
:math:`c_n(t) = G_n(t)/t` this is a gain only while :math:`c_n(m^*) < k/(k-2)` = 5/3 (3/2).
Measured by seeded simulation (``scripts/omnibus_tail.py``; point estimate, 95 % interval):

=======  ===================  ===================  ===================
n        t = 1e-2             t = 1e-3             t = 1e-4
=======  ===================  ===================  ===================
10       1.507 (1.499–1.514)  1.647 (1.622–1.672)  1.615 (1.537–1.696)
30       1.493 (1.481–1.505)  1.658 (1.619–1.699)  1.542 (1.423–1.669)
100      1.496 (1.480–1.513)  1.649 (1.593–1.706)  1.790 (1.609–1.985)
1000     1.498 (1.474–1.521)  1.664 (1.585–1.746)  1.620 (1.380–1.890)
=======  ===================  ===================  ===================

(R = 10⁷, 4·10⁶, 2·10⁶, 10⁶.) The members' far-tail rejection regions overlap less than their
bulk ones: c rises from ≈ 1.5 at 1e-2 to ≈ 1.65 at 1e-3 and stays at 1.5–1.9 at 1e-4 — at or
above the break-even. So at the default α (:math:`m^* ≈ 2·10^{-5}`) even the *exact* law would
raise the members' critical p-value by at most 5/(3·1.54) ≈ 8 % (and lower it where c > 5/3):
AD's critical A² at n = 1500 moves from 9.68 to 9.60 at best, and its power against a
Student-t(5) from 0.214 to 0.220 (3,000 draws) — nothing worth a table of 10⁸ draws per n.
(At n ≤ 30 and t = 1e-5 the ratio drops to ≈ 1.0–1.2, but only because the tabulated small-n
AD/CvM p-values are conservative there, P(p ≤ 1e-5)/1e-5 ≈ 0.35: no real gain either.) The
omnibus therefore enters only where :func:`verifier.verdict._use_omnibus` finds it pays
(α = 0.05 / 0.01 at small n); at the default α the three enter Holm separately, which is
valid under any dependence.
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


@lru_cache(maxsize=1)
def available() -> bool:
    """Whether the table is shipped (asked once: a file system call per verdict cost ~15 µs)."""
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


@lru_cache(maxsize=4096)
def critical(level: float, n: int) -> float:
    """Largest member p-value ``m`` with ``pvalue(m, n) ≤ level`` (0 if none): a member
    is rejected with the omnibus when its own p-value is at most this."""
    levels = _data()["levels"]
    g = _law(max(int(n), 1))
    ok = levels[g <= level]
    best = float(ok.max()) if ok.size else 0.0
    # pvalue() is min(G(m_j), 3m): levels below the next grid point keep G(m_j)
    return max(best, level / 3.0)
