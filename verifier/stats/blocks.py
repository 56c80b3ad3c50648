"""The ``blocks`` structure check: equal or correlated blocks along every axis.

The shards a 2-, 4- or 8-way split would make (tensor-parallel shards seeded alike, repeated
tiles) are compared pairwise at aligned positions for identity (aligned equal values,
``Binomial(m, s_2)``) and correlation (Pearson ``r``, ``t = r√((m−2)/(1−r²))`` on ``m − 2`` degrees
of freedom), and slices (rows, columns, ...) for repeats (``P(any two equal) ≤ C(R, 2)·s_2^L``);
Bonferroni over every test. The cell model ``s_2`` and the null are those of
:mod:`verifier.stats.structure`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from .checks import CheckResult
from .reading import _BITS, _decode, _flat_host, _gather, _host

if TYPE_CHECKING:
    from ..sources.sample import Sample
    from .structure import CellModel

BLOCK_CAP = 1 << 14
"""Aligned positions compared per pair of shards (identical shards: all of them equal, p ≈ s_2^m;
a correlation r shows at t = r·√m: r = 0.05 gives t ≈ 6.4)."""

SLICES_CAP = 1 << 22
"""Largest tensor whose slices (rows, columns, ...) are compared for repeats."""

SPLITS = (2, 4, 8)
"""The tensor-parallel splits whose shards the blocks check compares."""

MIN_CORRELATION = 32
"""Shortest shard for the correlation test (its t law is an approximation below that)."""


@dataclass(frozen=True)
class _Tests:
    """Several tests' p-values, and how to describe test ``i`` (only the smallest is ever described:
    building ~70 sentences per tensor cost more than the tests at small n)."""

    pvalues: np.ndarray
    describe: Callable[[int], str]


def _one(pvalue: float, detail: str) -> _Tests:
    return _Tests(np.array([pvalue]), lambda _i: detail)


def _shard_tests(a: Any, dtype: str, axis: int, k: int, model: CellModel,
                 rng: np.random.Generator) -> list[_Tests]:
    shape = tuple(int(d) for d in a.shape)
    size = shape[axis] // k
    per = math.prod(shape) // k
    m = min(per, BLOCK_CAP)
    # positions inside shard 0 (multi-index with axis coordinate < size), then shifted per shard
    inner = shape[:axis] + (size,) + shape[axis + 1:]
    pos = np.sort(rng.choice(per, size=m, replace=False, shuffle=False)) if m < per else np.arange(per)
    idx = list(np.unravel_index(pos, inner))
    flat = _flat_host(a)
    if flat is not None:  # a dense host array: shard j is shard 0's flat positions + j·size·stride
        base = np.ravel_multi_index(tuple(idx), shape)
        step = size * math.prod(shape[axis + 1:])
        v = _decode(flat[base[None, :] + step * np.arange(k)[:, None]], dtype)  # (k, m)
    else:
        blocks = []
        for j in range(k):
            shifted = idx.copy()
            shifted[axis] = idx[axis] + j * size
            blocks.append(_gather(a, tuple(shifted), dtype))
        v = np.stack(blocks)  # (k, m)
    if np.isfinite(v).all():
        return [_pair_tests(v, axis, k, model)]
    out: list[_Tests] = []
    for i, j in combinations(range(k), 2):  # non-finite values: each pair on its finite positions
        ok = np.isfinite(v[i]) & np.isfinite(v[j])
        out.append(_pair_tests(np.stack((v[i][ok], v[j][ok])), axis, k, model, (i, j)))
    return out


def _pair_tests(v: np.ndarray, axis: int, k: int, model: CellModel,
                names: tuple[int, int] | None = None) -> _Tests:
    """Identity and correlation tests of every pair of rows of ``v`` (finite, aligned values).

    All pairs at once: the equal counts from one comparison per pair, Pearson's ``r`` from the
    centred rows (``einsum``: no BLAS thread pool competing with the summary workers).
    """
    rows, m = v.shape
    spread = np.ptp(v, axis=1) > 0 if m else np.zeros(rows, dtype=bool)
    centred = v - v.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.einsum("im,im->i", centred, centred))
    gram = np.einsum("im,jm->ij", centred, centred)
    a, b = np.triu_indices(rows, 1)  # the pairs, in the order of itertools.combinations
    pairs = list(zip(a.tolist(), b.tolist()))
    same = np.count_nonzero(v[a] == v[b], axis=1)
    # P(Binomial(m, s2) ≥ same), as _binom_sf, for every pair at once
    p_same = np.where(same <= 0, 1.0, special.bdtrc(np.maximum(same - 1, 0), m, min(max(model.s2, 0.0), 1.0)))
    keep = spread[a] & spread[b] & (m >= MIN_CORRELATION)
    corr = [pq for pq, k_ in zip(pairs, keep.tolist()) if k_]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip(gram[a, b][keep] / (norms[a] * norms[b])[keep], -1.0, 1.0)
    df = m - 2
    t = r * np.sqrt(df / np.maximum(1e-300, 1.0 - r * r))
    p_corr = 2.0 * special.stdtr(df, -np.abs(t)) if corr else np.zeros(0)

    def describe(q: int) -> str:
        i, j = pairs[q] if q < len(pairs) else corr[q - len(pairs)]
        si, sj = names if names is not None else (i, j)
        name = f"axis {axis}, {k}-way split, shards {si} and {sj}"
        if q < len(pairs):
            return f"{name}: {same[q]:,} of {m:,} aligned values equal"
        return f"{name}: correlation {r[q - len(pairs)]:+.3f} over {m:,} aligned values"

    return _Tests(np.concatenate((p_same, p_corr)).astype(np.float64), describe)


def _repeated_slices(bits: np.ndarray, axis: int) -> int:
    """How many slices along ``axis`` repeat an earlier one (bit patterns compared exactly).

    Candidates are slices with equal sums of their bit patterns without the sign bit (an exact
    integer hash; identical slices always share it); each group of candidates is compared
    exactly. Slices equal but for the sign of a zero count as different (a little power lost).
    """
    rows = bits.shape[axis]
    flat = np.moveaxis(bits, axis, 0).reshape(rows, -1)
    mask = bits.dtype.type((1 << (8 * bits.itemsize - 1)) - 1)
    h: np.ndarray = np.asarray(np.sum(flat & mask, axis=1, dtype=np.uint64))
    order = np.argsort(h, kind="stable")
    repeats = 0
    for group in np.split(order, np.flatnonzero(np.diff(h[order])) + 1):
        if group.size > 1:
            _, counts = np.unique(flat[group], axis=0, return_counts=True)
            repeats += int(np.sum(counts - 1))
    return repeats


def _slice_tests(a: np.ndarray, model: CellModel) -> list[_Tests]:
    out: list[_Tests] = []
    names = {0: "rows", 1: "columns"}
    bits = np.ascontiguousarray(a).view(_BITS[a.itemsize])
    for axis, rows in enumerate(a.shape):
        length = a.size // rows if rows else 0
        if rows < 2 or length < 2:
            continue
        repeats = _repeated_slices(bits, axis)
        what = names.get(axis, f"slices along axis {axis}")
        if repeats:
            bound = rows * (rows - 1) / 2.0 * math.exp(length * math.log(max(model.s2, 1e-300)))
            out.append(_one(min(1.0, bound), f"{repeats} of {rows} {what} repeat an earlier one (length {length})"))
        else:
            out.append(_one(1.0, f"no repeated {what}"))
    return out


def check_blocks(sample: Sample, model: CellModel) -> CheckResult | None:
    """Shards of 2/4/8-way splits along every axis (identity, correlation) and repeated slices."""
    rng = np.random.default_rng(0)
    tests: list[_Tests] = []
    skipped = ""
    for chunk in sample.chunks:
        shape = tuple(int(d) for d in chunk.shape)
        for axis, size in enumerate(shape):
            for k in SPLITS:
                if size % k == 0 and size >= k:
                    tests += _shard_tests(chunk, sample.dtype, axis, k, model, rng)
        n = math.prod(shape)
        if len(shape) >= 2 and n <= SLICES_CAP:
            tests += _slice_tests(_host(chunk), model)
        elif len(shape) >= 2:
            skipped = f"; rows/columns not compared above {SLICES_CAP:,} values"
    count = sum(int(t.pvalues.size) for t in tests)
    if not count:
        return None
    worst = min((t for t in tests if t.pvalues.size), key=lambda t: float(t.pvalues.min()))
    i = int(np.argmin(worst.pvalues))
    p = min(1.0, count * float(worst.pvalues[i]))
    detail = f"{count} shard/slice tests (Bonferroni), smallest p: {worst.describe(i)}{skipped}"
    return CheckResult("blocks", float(count), p, detail)
