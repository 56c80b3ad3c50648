r"""Finite-n null laws of the Anderson-Darling and Cramér-von Mises statistics, n ≤ 30.

For a continuous, fully specified null, ``A²`` and ``W²`` are functions of the
probability-integral transforms ``u_i = F(x_i)``, iid U(0, 1): their law depends on ``n``
only. The asymptotic laws with Marsaglia's / Csörgő-Faraway's finite-n corrections are
too liberal in the upper tail at small ``n`` (at n = 5 the Cramér-von Mises tail is 7×
too small near p = 1e-5, and Csörgő-Faraway's CDF exceeds 1 beyond W² = 1.221).

So for ``n ≤ N_MAX`` the law is *tabulated by seeded simulation*
(``scripts/smalln_tables.py``, ``R = 2·10⁶`` samples per n, file ``smalln_table.npz``):
at ~300 log-spaced exceedance counts ``k`` the table holds ``x_k``, the ``k``-th largest
simulated value, and :math:`\bar p_k`, the Clopper-Pearson upper bound at confidence
``1 − 10⁻³`` on :math:`P(T ≥ x_k)`. The p-value of ``x`` is :math:`\bar p_k` for the
largest ``x_k ≤ x``:

* conservative: the survival function is non-increasing, so
  :math:`P(T ≥ x) ≤ P(T ≥ x_k) ≤ \bar p_k` (the last inequality fails with probability
  ≤ 10⁻³ per entry, over the table's seed);
* error: between consecutive entries :math:`\bar p` changes by a factor ≤ 1.05, and the
  Monte Carlo half-width is ≈ :math:`3.3\sqrt{p/R}`, so the reported p-value exceeds the
  true one by at most ~5 % + 3.3·√(p/R) (≈ 8e-4 at p = 0.1);
* monotone non-increasing in ``x``, and never 0: beyond the largest of ``R`` simulated
  values it is :math:`1 − 10^{-3/R}` ≈ 3.5e-6, a bound, not an estimate.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["N_MAX", "STATISTICS", "pvalue", "table", "reps"]

N_MAX = 30
"""Largest n with a tabulated law."""

STATISTICS = ("ad", "cvm")

_PATH = Path(__file__).with_name("smalln_table.npz")


@lru_cache(maxsize=1)
def _data() -> dict[str, np.ndarray]:
    with np.load(_PATH, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def reps() -> int:
    """Number of simulated samples per ``n`` behind the table."""
    return int(_data()["reps"])


def table(statistic: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x ascending, p upper bounds descending)`` for ``statistic`` ('ad' or 'cvm') and ``n``."""
    if statistic not in STATISTICS or not 1 <= n <= N_MAX:
        raise ValueError(f"no small-n table for {statistic!r} at n = {n}")
    d = _data()
    return d[f"{statistic}_{n}_x"], d[f"{statistic}_{n}_p"]


def pvalue(statistic: str, x: float, n: int) -> float:
    """Conservative ``P(T ≥ x)`` for ``T`` = A² ('ad') or W² ('cvm') of ``n ≤ N_MAX`` uniforms."""
    if math.isnan(x):
        return 0.0
    xs, ps = table(statistic, n)
    j = int(np.searchsorted(xs, x, side="right")) - 1
    if j < 0:
        return 1.0
    if j == xs.size - 1 and x > xs[-1]:
        return float(1.0 - 1e-3 ** (1.0 / reps()))
    return float(ps[j])
