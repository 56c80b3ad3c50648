"""Measure the tail of the KS/AD/CvM min-p omnibus: ``c_n(t) = P(min(p_KS, p_AD, p_CvM) ≤ t) / t``
under a continuous null (uniform PITs: distribution-free), by seeded simulation, with a 95 %
Clopper-Pearson interval, and each member's own ``P(p ≤ t)/t``.

Why it matters (``verifier/stats/omnibus.py``): the omnibus enters Holm as one check instead of
three, so it raises the members' first-step critical p-value from ``L/k`` to ``L/((k-2)·c)``; it
gains only while ``c < k/(k-2)`` (5/3 with mean, variance, KS, AD, CvM; 3/2 with the range check).

Run: ``python scripts/omnibus_tail.py [n R ...]`` (default: the figures quoted in the README,
about 5 minutes on one core).
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats

from verifier.stats import gof

LEVELS = (1e-2, 1e-3, 1e-4, 1e-5)


def _threshold(pvalue, m: float, hi: float) -> float:  # type: ignore[no-untyped-def]
    """inf{x : pvalue(x) ≤ m} by bisection on [0, hi] (pvalue non-increasing)."""
    if pvalue(0.0) <= m:
        return 0.0
    if pvalue(hi) > m:
        return float("inf")
    lo = 0.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if pvalue(mid) <= m:
            hi = mid
        else:
            lo = mid
    return hi


def tail_counts(n: int, reps: int, seed: int, levels: tuple[float, ...] = LEVELS) -> tuple[np.ndarray, np.ndarray]:
    """``(k_any, k_each)``: for each level t, how many of ``reps`` null samples of size n have
    min p ≤ t, and how many have each member's p ≤ t (KS, AD, CvM)."""
    rng = np.random.default_rng(seed)
    i = np.arange(1, n + 1, dtype=np.float64)
    th = [(_threshold(lambda x: gof.ks_pvalue(x, n), m, 1.0 + 1e-9),
           _threshold(lambda x: gof.ad_pvalue(x, n), m, 1e4),
           _threshold(lambda x: gof.cvm_pvalue(x, n), m, n / 3 + 1.0)) for m in levels]
    k_any = np.zeros(len(levels), dtype=np.int64)
    k_each = np.zeros((len(levels), 3), dtype=np.int64)
    done, chunk = 0, max(1, (1 << 23) // n)
    while done < reps:
        r = min(chunk, reps - done)
        u = np.clip(np.sort(rng.random((r, n)), axis=1), 1e-300, 1 - 2.0**-53)
        d = np.maximum(np.max(i / n - u, axis=1), np.max(u - (i - 1) / n, axis=1))
        a = -n - (np.log(u) @ (2 * i - 1) + np.log1p(-u) @ (2 * (n - i) + 1)) / n
        w = 1 / (12 * n) + np.sum((u - (2 * i - 1) / (2 * n)) ** 2, axis=1)
        for j, (td, ta, tw) in enumerate(th):
            hits = (d >= td, a >= ta, w >= tw)
            k_any[j] += int(np.count_nonzero(hits[0] | hits[1] | hits[2]))
            for q in range(3):
                k_each[j, q] += int(np.count_nonzero(hits[q]))
        done += r
    return k_any, k_each


def main(argv: list[str]) -> None:
    pairs = [(int(argv[i]), int(float(argv[i + 1]))) for i in range(0, len(argv) - 1, 2)] or \
        [(10, 10_000_000), (30, 4_000_000), (100, 2_000_000), (300, 2_000_000), (1000, 1_000_000)]
    for n, reps in pairs:
        k_any, k_each = tail_counts(n, reps, seed=9000 + n)
        for j, t in enumerate(LEVELS):
            k = int(k_any[j])
            lo = stats.beta.ppf(0.025, k, reps - k + 1) if k else 0.0
            hi = stats.beta.ppf(0.975, k + 1, reps - k)
            each = "/".join(f"{x / reps / t:.2f}" for x in k_each[j])
            print(f"n={n:5d} R={reps:.0e} t={t:.0e}: {k:7d} events  c = {k / reps / t:.3f} "
                  f"(95% CI {lo / t:.3f}-{hi / t:.3f}); KS/AD/CvM P(p<=t)/t = {each}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
