"""Power of the verdict (default α = 1e-4) against shape errors at the sizes users run:
the README's power table. Seeded; prints a Markdown table.

Run: ``python scripts/power_table.py [reps]`` (reps = 100 by default; a few minutes).
"""

from __future__ import annotations

import math
import sys

import numpy as np

import verifier
from verifier.theory.distributions import TruncatedNormal

SIZES = (1_024, 16_384, 131_072, 1_048_576)


def _keras_truncated(rng: np.random.Generator, n: int) -> np.ndarray:
    tn = TruncatedNormal(0.0, 1.0, -2.0, 2.0)
    return tn.ppf(rng.random(n)) / tn.std


CASES = {
    "uniform where normal is expected (same std)": ("normal(0, 1)", lambda rng, n: rng.uniform(-math.sqrt(3), math.sqrt(3), n)),
    "Student-t(5) where normal is expected (same std)": ("normal(0, 1)", lambda rng, n: rng.standard_t(5, n) / math.sqrt(5 / 3)),
    "truncation missing (plain normal, trunc_normal expected)": ("trunc_normal(0, 1, -2, 2)", lambda rng, n: rng.normal(0, 1, n)),
    "truncated at ±2σ and rescaled, normal expected": ("normal(0, 1)", _keras_truncated),
    "mixture of scales 0.8/1.166 (same std), normal expected": (
        "normal(0, 1)", lambda rng, n: rng.normal(0, 1, n) * np.where(rng.random(n) < 0.5, 0.8, math.sqrt(2 - 0.64))),
}


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print("| shape error | " + " | ".join(f"n = {n:,}" for n in SIZES) + " |")
    print("|---|" + "---|" * len(SIZES))
    for name, (spec, gen) in CASES.items():
        row = []
        for n in SIZES:
            rng = np.random.default_rng(1000 + n)
            r = reps if n < 1_000_000 else max(reps // 4, 10)
            fails = sum(not verifier.check(gen(rng, n).astype(np.float32), spec).passed for _ in range(r))
            row.append(f"{fails / r:.2f}")
        print(f"| {name} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
