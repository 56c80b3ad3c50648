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
from functools import lru_cache
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
    """``count`` tests of a Bonferroni family: their smallest p-value and how to describe that test
    (only the smallest is ever described: building ~70 sentences per tensor cost more than the
    tests at small n)."""

    count: int
    pvalue: float
    describe: Callable[[], str]


def _one(pvalue: float, detail: str) -> _Tests:
    return _Tests(1, pvalue, lambda: detail)


def _shard_values(a: Any, dtype: str, axis: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """``(k, m)`` float64 values of the ``k`` shards of a ``k``-way split along ``axis``, at the same
    ``m = min(shard size, BLOCK_CAP)`` aligned positions of each shard (seeded)."""
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
        return _decode(flat[base[None, :] + step * np.arange(k)[:, None]], dtype)
    blocks = []
    for j in range(k):
        shifted = idx.copy()
        shifted[axis] = idx[axis] + j * size
        blocks.append(_gather(a, tuple(shifted), dtype))
    return np.stack(blocks)


@lru_cache(maxsize=None)
def _pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(i, j)``, ``i < j < k``, in the order of ``itertools.combinations``."""
    return np.triu_indices(k, 1)


def _pair_statistics(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per pair of rows of ``v``, on the positions where both are finite: ``(m', equal count, r, r defined)``.

    ``r`` is Pearson's correlation of the rows centred on their means (one ``einsum`` Gram matrix
    for all pairs: no BLAS thread pool competing with the summary workers); it is defined when
    both rows vary and ``m' ≥ MIN_CORRELATION``.
    """
    a, b = _pairs(v.shape[0])
    if not np.isfinite(v).all():  # each pair on its own finite positions (rare: a row at a time)
        cols = []
        for i, j in zip(a.tolist(), b.tolist()):
            ok = np.isfinite(v[i]) & np.isfinite(v[j])
            cols.append([c[0] for c in _pair_statistics(np.stack((v[i][ok], v[j][ok])))])
        m_, same_, r_, keep_ = (np.array(c) for c in zip(*cols))
        return m_.astype(np.int64), same_.astype(np.int64), r_.astype(np.float64), keep_.astype(bool)
    rows, m = v.shape
    spread = v.max(axis=1) > v.min(axis=1) if m else np.zeros(rows, dtype=bool)
    centred = v - v.mean(axis=1, keepdims=True) if m else v
    gram = np.einsum("im,jm->ij", centred, centred)
    norms = np.sqrt(np.diagonal(gram))
    same = np.count_nonzero(v[a] == v[b], axis=1)
    keep = spread[a] & spread[b] & (m >= MIN_CORRELATION)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(keep, np.clip(gram[a, b] / (norms[a] * norms[b]), -1.0, 1.0), 0.0)
    return np.full(a.size, m, dtype=np.int64), same.astype(np.int64), r, keep


def _pair_tests(splits: list[tuple[int, int, np.ndarray]], model: CellModel) -> _Tests:
    """Identity and correlation tests of every pair of shards of every split.

    ``splits``: ``(axis, k, v)`` with ``v`` the ``(k, m)`` aligned values of a split's shards. Each
    pair ``(i, j)`` is tested on the ``m'`` positions where both values are finite: the count of
    equal values against ``Binomial(m', s_2)``, and, when both rows vary and
    ``m' ≥ MIN_CORRELATION``, Pearson's ``r`` by ``t = r·√((m'−2)/(1−r²))`` on ``m' − 2`` degrees of
    freedom. Only the smallest p-value is needed (Bonferroni), so the special functions are only
    evaluated where it can be: identity tests with an equal value (else p = 1), and per number of
    degrees of freedom the largest ``|t|`` (the p-value falls with ``|t|``). Ties go to the first
    test in split order, identity tests before correlation tests.
    """
    meta: list[tuple[int, int, int, int, int]] = []  # (split, axis, k, i, j) per pair
    parts = []
    for g, (axis, k, v) in enumerate(splits):
        a, b = _pairs(k)
        meta += [(g, axis, k, i, j) for i, j in zip(a.tolist(), b.tolist())]
        parts.append(_pair_statistics(v))
    m, same, r, keep = (np.concatenate(c) for c in zip(*parts))
    candidates: list[tuple[float, int, int, int]] = []  # (p, split, kind, pair)
    hit = np.flatnonzero(same > 0)
    if hit.size:  # P(Binomial(m', s2) ≥ same), as _binom_sf
        p_same = special.bdtrc(same[hit] - 1, m[hit], min(max(model.s2, 0.0), 1.0))
        candidates += [(float(p), meta[q][0], 0, int(q)) for p, q in zip(p_same, hit)]
    kept = np.flatnonzero(keep)
    if kept.size:
        df = m[kept] - 2
        t = np.abs(r[kept]) * np.sqrt(df / np.maximum(1e-300, 1.0 - r[kept] ** 2))
        top = []  # positions in kept: per df, the first pair with the largest |t|
        for d in np.unique(df):
            same_df = np.flatnonzero(df == d)
            top.append(same_df[np.argmax(t[same_df])])
        p_corr = 2.0 * special.stdtr(df[top], -t[top])
        candidates += [(float(p), meta[q][0], 1, int(q)) for p, q in zip(p_corr, kept[top])]
    count = int(m.size + kept.size)
    if not candidates:
        first = meta[0]
        return _Tests(count, 1.0, lambda: f"axis {first[1]}, {first[2]}-way split, shards {first[3]} and "
                                          f"{first[4]}: {same[0]:,} of {m[0]:,} aligned values equal")
    p, _, kind, q = min(candidates)
    _g, axis, k, i, j = meta[q]

    def describe() -> str:
        name = f"axis {axis}, {k}-way split, shards {i} and {j}"
        if kind == 0:
            return f"{name}: {same[q]:,} of {m[q]:,} aligned values equal"
        return f"{name}: correlation {r[q]:+.3f} over {m[q]:,} aligned values"

    return _Tests(count, p, describe)


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
    splits: list[tuple[int, int, np.ndarray]] = []
    for chunk in sample.chunks:
        shape = tuple(int(d) for d in chunk.shape)
        if math.prod(shape) == 0:
            continue
        for axis, size in enumerate(shape):
            for k in SPLITS:
                if size % k == 0 and size >= k:
                    splits.append((axis, k, _shard_values(chunk, sample.dtype, axis, k, rng)))
        n = math.prod(shape)
        if len(shape) >= 2 and n <= SLICES_CAP:
            tests += _slice_tests(_host(chunk), model)
        elif len(shape) >= 2:
            skipped = f"; rows/columns not compared above {SLICES_CAP:,} values"
    if splits:
        tests.insert(0, _pair_tests(splits, model))
    count = sum(t.count for t in tests)
    if not count:
        return None
    worst = min(tests, key=lambda t: t.pvalue)
    p = min(1.0, count * worst.pvalue)
    detail = f"{count} shard/slice tests (Bonferroni), smallest p: {worst.describe()}{skipped}"
    return CheckResult("blocks", float(count), p, detail)
