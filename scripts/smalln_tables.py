"""Generate ``verifier/stats/smalln_table.npz``: the finite-n null laws of A² and W² for
n = 1..30 by seeded simulation (distribution-free for a continuous fully specified null,
so uniform PITs suffice).

For each n, ``R`` samples of n iid U(0,1) are drawn (seed 20261126 + n), sorted, and A²,
W² computed. The table keeps, at ~300 log-spaced exceedance counts ``k`` (from R down to
1), the statistic ``x_k`` (the k-th largest simulated value) and the Clopper-Pearson
upper bound at confidence 1 - 1e-3 on ``P(T >= x_k)`` given ``k`` of ``R`` exceedances.
``smalln.pvalue`` steps down to the largest tabulated ``x_k <= x`` (conservative:
the survival function is non-increasing). Beyond the largest simulated value it returns
the bound for 0 exceedances, ``1 - 1e-3**(1/R)`` (never 0).

Run: ``python scripts/smalln_tables.py [R]`` (R = 2,000,000 by default; ~3 min).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import stats

N_MAX = 30
CONF = 1e-3
LEVELS = 300


def statistics(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A² and W² of each row of sorted ``u`` (shape (r, n))."""
    n = u.shape[1]
    i = np.arange(1, n + 1, dtype=np.float64)
    lu = np.log(u)
    l1u = np.log1p(-u)
    a2 = -n - (lu @ (2 * i - 1) + l1u @ (2 * (n - i) + 1)) / n
    d = u - (2 * i - 1) / (2 * n)
    w2 = 1.0 / (12 * n) + np.einsum("ij,ij->i", d, d)
    return a2, w2


def simulate(n: int, reps: int, chunk: int = 1 << 18) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20261126 + n)
    a_parts, w_parts = [], []
    done = 0
    while done < reps:
        r = min(chunk, reps - done)
        u = np.sort(rng.random((r, n)), axis=1)
        u = np.clip(u, 1e-300, 1.0 - 2.0**-53)
        a, w = statistics(u)
        a_parts.append(a)
        w_parts.append(w)
        done += r
    return np.concatenate(a_parts), np.concatenate(w_parts)


def table(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x ascending, p upper bound descending) at log-spaced exceedance counts."""
    r = values.size
    desc = np.sort(values)[::-1]
    ks = np.unique(np.round(np.logspace(0, np.log10(r), LEVELS)).astype(np.int64))[::-1]  # R .. 1
    x = desc[ks - 1]  # k-th largest: #{T >= x} >= k
    p = stats.beta.ppf(1 - CONF, ks + 1, r - ks)
    p = np.minimum(p, 1.0)
    p[0] = 1.0  # x = smallest simulated value: P(T >= x) <= 1
    return x, p


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    out: dict[str, np.ndarray] = {"reps": np.array(reps), "conf": np.array(CONF)}
    for n in range(1, N_MAX + 1):
        a, w = simulate(n, reps)
        for name, v in (("ad", a), ("cvm", w)):
            x, p = table(v)
            out[f"{name}_{n}_x"] = x
            out[f"{name}_{n}_p"] = p
        print(n, flush=True)
    path = Path(__file__).resolve().parents[1] / "verifier" / "stats" / "smalln_table.npz"
    np.savez_compressed(path, **out)
    print(path)


if __name__ == "__main__":
    main()
