"""Microbenchmark of the fused numba pass (verifier.stats.fused): ns per value, one thread.

Two figures per null:

* in-cache: one 2^18-value chunk (1 MiB of float32, in L2) summarised again and again by
  ``fused_float`` (best of ``--reps``); ``NONE`` is the moments-only pass, so ``kind - NONE``
  is the cost of the PIT bins;
* feed: ``_FusedAccumulator.feed`` over all chunks of ``--n`` values (default 5e7, float32),
  best of 3 — the single-thread end-to-end cost, memory traffic and re-binning included.

``--against REF`` also times the package as it was at git revision ``REF`` (extracted with
``git archive`` into a temporary directory and imported as ``verifier_ref``), interleaved with
the current code in the same process, so that the ratio is not skewed by the machine's load::

    python benchmarks/pit_kernel.py --against HEAD~1
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _load_ref(ref: str, tmp: str) -> Any:
    """The ``verifier`` package at git revision ``ref``, imported as ``verifier_ref``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "verifier"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
    os.rename(Path(tmp) / "verifier", Path(tmp) / "verifier_ref")
    sys.path.insert(0, tmp)
    return importlib.import_module("verifier_ref.stats.fused")


def _nulls(fused: Any) -> dict[str, Any]:
    dist = importlib.import_module(fused.__name__.rsplit(".", 2)[0] + ".theory.distributions")
    return {"NONE": None, "NORMAL": dist.Normal(0.0, 0.02), "UNIFORM": dist.Uniform(-0.05, 0.05),
            "TRUNC": dist.TruncatedNormal(0.0, 0.02, -0.04, 0.04)}


def _data(name: str, n: int, dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if name == "UNIFORM":
        return rng.uniform(-0.05, 0.05, n).astype(dtype)
    x = rng.normal(0.0, 0.02, n)
    if name == "TRUNC":
        x = np.clip(x, -0.04, 0.04)
    return x.astype(dtype)


def _acc(fused: Any, dist: Any, bins: int) -> Any:
    return fused._FusedAccumulator("pit" if dist is not None else "exact", dist, bins, 0.0)


def in_cache(fused: Any, name: str, dist: Any, bins: int, dtype: str, reps: int) -> float:
    """ns/value of ``fused_float`` over one in-cache chunk (best of ``reps``)."""
    x = _data(name, fused.CHUNK, dtype)
    acc = _acc(fused, dist, bins)
    kind = acc.kind if dist is not None else fused.NONE
    st = np.zeros(fused._NSTAT)
    ker = fused._kernels()

    ranged = ker.fused_float.py_func.__code__.co_argcount > 10  # revisions since the range moved in

    def once() -> None:
        st[:] = 0.0
        if ranged:
            xb, maxpos = fused._bits(x)
            ker.fused_float(x, xb, maxpos, 0.0, kind, acc.params, acc.tab, acc.counts, acc.wide, acc.defer,
                            acc.keep, st, np.array([fused._KEY_MAX, -fused._KEY_MAX - 1]))
        else:
            ker.fused_float(x, 0.0, kind, acc.params, acc.tab, acc.counts, acc.wide, acc.defer, acc.keep, st)

    once()
    best = np.inf
    for _ in range(reps):
        t = time.perf_counter()
        once()
        best = min(best, time.perf_counter() - t)
    return best / x.size * 1e9


def feed(fused: Any, dist: Any, x: np.ndarray, bins: int) -> float:
    """Seconds for one thread to feed every chunk of ``x`` (then build the histogram)."""
    acc = _acc(fused, dist, bins)
    t = time.perf_counter()
    for i, s in enumerate(range(0, x.size, fused.CHUNK)):
        acc.feed((i, x[s:s + fused.CHUNK]))
    if dist is not None:  # (the merge was histogram() before add_counts)
        acc.add_counts(None) if hasattr(acc, "add_counts") else acc.histogram()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=float, default=5e7, help="values for the feed figure and for B (bins)")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--against", metavar="REF", help="also time the package at this git revision")
    ap.add_argument("--no-feed", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from verifier.stats import fused
    from verifier.stats.summary import pit_bins

    n = int(args.n)
    bins = pit_bins(n)
    versions = {"current": fused}
    with tempfile.TemporaryDirectory() as tmp:
        if args.against:
            versions[args.against] = _load_ref(args.against, tmp)
        print(f"B = {bins:,} bins (n = {n:.3g}); load average {os.getloadavg()[0]:.2f}")
        print("in-cache ns/value (one 2^18 chunk, best of %d)" % args.reps)
        for dtype in ("float32", "float64"):
            for name in _nulls(fused):
                cells = []
                for label, mod in versions.items():
                    d = _nulls(mod)[name]
                    cells.append(f"{label} {in_cache(mod, name, d, bins, dtype, args.reps):6.2f}")
                print(f"  {dtype:8s} {name:8s} " + "   ".join(cells))
        if not args.no_feed:
            x = _data("NORMAL", n, "float32", seed=1)
            best = {label: np.inf for label in versions}
            for _ in range(3):  # interleaved rounds
                for label, mod in versions.items():
                    best[label] = min(best[label], feed(mod, _nulls(mod)["NORMAL"], x, bins))
            print(f"feed, one thread, {n:.3g} float32 values, normal null (best of 3): " +
                  "   ".join(f"{label} {t:.3f} s ({t / n * 1e9:.2f} ns/value)" for label, t in best.items()))
        print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
