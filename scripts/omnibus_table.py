"""Generate ``verifier/stats/omnibus_table.npz``: the null law of the smallest of the KS,
AD and CvM p-values, ``G_n(m) = P(min(p_KS, p_AD, p_CvM) <= m)``, by seeded simulation on
uniform PITs (distribution-free for a continuous fully specified null).

The three p-values are monotone in their statistics, so ``min p <= m`` iff some statistic
reaches its threshold ``t(m) = inf{x : p(x) <= m}`` (found by bisection on the tool's own
p-value functions). For each n of ``N_GRID`` and each level m of a log grid, the table
holds the Clopper-Pearson upper bound (confidence 1 - 1e-3) on ``G_n(m)`` from ``R``
samples (R = 10^6 for n <= 30, 10^5 beyond; seed 31 + n).

Run: ``python scripts/omnibus_table.py`` (~5 min).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from scipy import stats

from verifier.stats import gof

N_GRID = tuple(range(1, 31)) + (40, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000)
LEVELS = np.unique(np.concatenate((np.logspace(-6, 0, 121), [0.5])))
CONF = 1e-3


def _threshold(pvalue, m: float, hi: float) -> float:
    """inf{x : pvalue(x) <= m} by bisection on [0, hi] (pvalue non-increasing)."""
    if pvalue(0.0) <= m:
        return 0.0
    if pvalue(hi) > m:
        return math.inf
    lo = 0.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if pvalue(mid) <= m:
            hi = mid
        else:
            lo = mid
    return hi


def simulate(n: int, reps: int, chunk: int = 1 << 17) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(31 + n)
    i = np.arange(1, n + 1, dtype=np.float64)
    out = [], [], []
    done = 0
    while done < reps:
        r = min(chunk, reps - done, max(1, (1 << 25) // n))
        u = np.clip(np.sort(rng.random((r, n)), axis=1), 1e-300, 1 - 2.0**-53)
        d = np.maximum(np.max(i / n - u, axis=1), np.max(u - (i - 1) / n, axis=1))
        a = -n - (np.log(u) @ (2 * i - 1) + np.log1p(-u) @ (2 * (n - i) + 1)) / n
        w = 1 / (12 * n) + np.sum((u - (2 * i - 1) / (2 * n)) ** 2, axis=1)
        for lst, v in zip(out, (d, a, w)):
            lst.append(v)
        done += r
    return tuple(np.concatenate(x) for x in out)  # type: ignore[return-value]


def main() -> None:
    data: dict[str, np.ndarray] = {"levels": LEVELS, "n_grid": np.array(N_GRID), "conf": np.array(CONF)}
    for n in N_GRID:
        reps = 1_000_000 if n <= 30 else 100_000
        d, a, w = simulate(n, reps)
        g = np.empty(LEVELS.size)
        for j, m in enumerate(LEVELS):
            td = _threshold(lambda x, n=n: gof.ks_pvalue(x, n), m, 1.0 + 1e-9)
            ta = _threshold(lambda x, n=n: gof.ad_pvalue(x, n), m, 1e4)
            tw = _threshold(lambda x, n=n: gof.cvm_pvalue(x, n), m, n / 3 + 1.0)
            k = int(np.count_nonzero((d >= td) | (a >= ta) | (w >= tw)))
            g[j] = 1.0 if k >= reps else stats.beta.ppf(1 - CONF, k + 1, reps - k)
        data[f"g_{n}"] = np.minimum(np.maximum.accumulate(g), 1.0)  # non-decreasing in m
        print(n, reps, [f"{LEVELS[j]:.0e}:{g[j] / LEVELS[j]:.2f}" for j in (0, 40, 60, 80, 100, 120)], flush=True)
    path = Path(__file__).resolve().parents[1] / "verifier" / "stats" / "omnibus_table.npz"
    np.savez_compressed(path, **data)
    print(path)


if __name__ == "__main__":
    main()
