"""The ``blocks`` structure check: equal or correlated blocks along every axis.

The shards a 2-, 4- or 8-way split would make (tensor-parallel shards seeded alike, repeated
tiles) are compared pairwise at aligned positions for identity (aligned equal values,
``Binomial(m, s_2)``) and correlation (Pearson ``r``, ``t = r√((m−2)/(1−r²))`` on ``m − 2`` degrees
of freedom), and slices (rows, columns, ...) for repeats (``P(any two equal) ≤ C(R, 2)·s_2^L``);
Bonferroni over every test. The cell model ``s_2`` and the null are those of
:mod:`verifier.stats.structure`.

Cost
    At ``n ≤ 10⁵`` numpy's per-call overhead and temporaries, not arithmetic, set the cost. Where
    numba is installed (``verifier[fast]``) the pair statistics of every split compared whole, the
    choice of the candidate smallest p-values and the slice hashes are compiled loops
    (:mod:`verifier.stats.blocks_kernels`); numpy computes the same otherwise (the same counts, flags
    and positions; ``r`` and ``t`` to float64 rounding). The seeded generator of the subsampled
    splits is created at the first one (most small tensors have none). Inside a check pipeline each
    compiled call (~4 µs) and each array it returns (~0.4 µs) costs about four times its isolated
    cost: a tensor compared whole makes one call for its pair tests, returning two arrays
    (:data:`Candidates`), and a matrix one more for its rows and columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

from . import fused
from .checks import CheckResult
from .reading import _BITS, _decode, _flat_host, _gather, _host

if TYPE_CHECKING:
    from ..sources.sample import Sample
    from .structure import CellModel

Stats = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""Per pair of shards: ``(m', equal count, r, r defined)`` (see :func:`_pair_statistics`)."""

Candidates = tuple[np.ndarray, np.ndarray, int, int, int, int, int]
"""The tests of :func:`_pair_tests` whose p-value can be the smallest, ``(ints, floats, hits, kept,
pairs, same0, m0)``: per candidate (a column) its pair, equal count, ``m'`` and its p-value's integer
argument (``ints``, int64 ``(4, c)``), its p-value's other argument and ``r`` (``floats``, float64
``(2, c)``). The first ``hits`` are the identity tests with an equal value (in pair order; arguments
``same − 1`` and 0), the others per df ascending the first kept pair with the largest ``t``
(:func:`_candidates_numpy`; arguments ``df = m' − 2`` and ``−t``); ``kept``: the correlation tests
defined; ``pairs``: every pair; ``same0``, ``m0``: pair 0's equal count and ``m'`` (described when
every p is 1). Two arrays: each array a compiled call returns costs a boxing."""

Splits = tuple[tuple[int, int], ...]
"""Splits ``(axis, k)`` in the order their pairs' statistics are concatenated."""

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


def _shard_values(a: Any, host: np.ndarray | None, dtype: str, axis: int, k: int,
                  rng: Callable[[], np.random.Generator]) -> np.ndarray:
    """``(k, m)`` float64 values of the ``k`` shards of a ``k``-way split along ``axis``, at the same
    ``m = min(shard size, BLOCK_CAP)`` aligned positions of each shard, in shard 0's C order.

    ``host``: ``a`` read by :func:`_host` where it lies on the host (else None). Where ``m`` is the
    whole shard, the matrix is the tensor itself with ``axis`` split into ``(k, size)`` and the
    ``k`` moved first (no positions computed); else ``m`` positions are drawn without replacement
    by ``rng()`` (the generator shared by every split of the check, created at its first draw).
    """
    shape = tuple(int(d) for d in a.shape)
    size = shape[axis] // k
    per = math.prod(shape) // k
    m = min(per, BLOCK_CAP)
    if m == per and host is not None:
        if axis == 0:
            return _decode(host.reshape(k, per), dtype)
        split = host.reshape(shape[:axis] + (k, size) + shape[axis + 1:])
        front = (axis,) + tuple(range(axis)) + tuple(range(axis + 1, len(shape) + 1))
        return _decode(split.transpose(front).reshape(k, per), dtype)
    # positions inside shard 0 (multi-index with axis coordinate < size), then shifted per shard
    inner = shape[:axis] + (size,) + shape[axis + 1:]
    pos = np.sort(rng().choice(per, size=m, replace=False, shuffle=False)) if m < per else np.arange(per)
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


def _pair_statistics(v: np.ndarray) -> Stats:
    """Per pair of rows of ``v``, on the positions where both are finite: ``(m', equal count, r, r defined)``.

    ``r`` is Pearson's correlation of the two rows centred on their means; it is defined when
    both rows vary and ``m' ≥ MIN_CORRELATION``. One compiled loop
    (:func:`verifier.stats.blocks_kernels.pair_statistics`) where numba is installed, else
    :func:`_pair_statistics_numpy`: the same counts and flags, ``r`` to float64 rounding.
    """
    stats = _compiled("pair_statistics", np.ascontiguousarray(v, dtype=np.float64), MIN_CORRELATION)
    return _pair_statistics_numpy(v) if stats is None else stats


def _chunk_statistics(chunk: Any, shape: tuple[int, ...], host: np.ndarray | None, dtype: str,
                      rng: Callable[[], np.random.Generator], alone: bool = False,
                      ) -> tuple[Splits, list[Stats], Candidates | None]:
    """The splits ``(axis, k)`` of one chunk (axis by axis, ``k`` ascending) and their pairs'
    statistics (the parts, concatenated, are in split order); or, for the sample's only chunk
    (``alone``) where computed in the same compiled call, no statistics but their
    :data:`Candidates`. ``shape``: the chunk's; ``host``: the chunk read by :func:`_host` where it
    lies on the host, else None.

    On the host with numba, the splits whose every position is compared (``size/k ≤ BLOCK_CAP``)
    are computed by one compiled call on the chunk's values
    (:func:`verifier.stats.blocks_kernels.split_statistics`; where they are all the splits of the
    only chunk, with their candidates: :func:`verifier.stats.blocks_kernels.split_candidates`); the
    others from their :func:`_shard_values`.
    """
    splits, whole, spec = _split_plan(shape)
    done: dict[tuple[int, int], Stats] = {}
    if whole and host is not None and _kernels() is not None:
        native = host.dtype in _NATIVE  # float32/float64 in this machine's byte order
        flat = (np.ascontiguousarray(host) if native else _decode(host, dtype)).reshape(-1)
        if alone and len(whole) == len(splits):
            chosen = _compiled("split_candidates", flat, spec, MIN_CORRELATION)
            if chosen is not None:
                return splits, [], chosen
        stats = _compiled("split_statistics", flat, spec, MIN_CORRELATION)
        if stats is not None:
            q = 0
            for axis, k in whole:
                pairs = k * (k - 1) // 2
                done[axis, k] = tuple(c[q:q + pairs] for c in stats)  # type: ignore[assignment]
                q += pairs
    parts = [done[split] if split in done else _pair_statistics(_shard_values(chunk, host, dtype, *split, rng))
             for split in splits]
    return splits, parts, None


_NATIVE = (np.dtype(np.float32), np.dtype(np.float64))


@lru_cache(maxsize=256)
def _split_plan(shape: tuple[int, ...]) -> tuple[Splits, Splits, np.ndarray]:
    """For a chunk of this shape: its splits ``(axis, k)`` (axis by axis, ``k`` ascending), those
    compared whole (``size/k ≤ BLOCK_CAP``), and their ``(before, k, size, after)`` rows for
    :func:`verifier.stats.blocks_kernels.split_statistics` (cached: callers do not change them)."""
    n = math.prod(shape)
    splits = tuple((axis, k) for axis, size in enumerate(shape) for k in SPLITS if size % k == 0 and size >= k)
    whole = tuple((axis, k) for axis, k in splits if n // k <= BLOCK_CAP)
    spec = np.array([(math.prod(shape[:axis]), k, shape[axis] // k, math.prod(shape[axis + 1:]))
                     for axis, k in whole], dtype=np.int64).reshape(-1, 4)
    return splits, whole, spec


def _kernels() -> Any:
    """:mod:`verifier.stats.blocks_kernels` where numba is usable (see
    :func:`verifier.stats.fused.available`), else None."""
    if not fused.available():
        return None
    return _load_kernels()


@lru_cache(maxsize=1)
def _load_kernels() -> Any:
    try:
        from . import blocks_kernels
    except Exception:  # noqa: BLE001 - numba missing or broken: the numpy path is used
        return None
    return blocks_kernels


def _compiled(name: str, *args: Any) -> Any:
    """``blocks_kernels.<name>(*args)`` where numba is usable, else None: the caller computes the
    same with numpy (:func:`verifier.stats.fused.call_compiled`)."""
    return fused.call_compiled(_kernels(), name, *args)


def _pair_statistics_numpy(v: np.ndarray) -> Stats:
    """:func:`_pair_statistics` with numpy: one ``einsum`` Gram matrix of the centred rows for all
    pairs (no BLAS thread pool competing with the summary workers); with non-finite values,
    each pair on its own finite positions (a pair at a time)."""
    a, b = _pairs(v.shape[0])
    if not np.isfinite(v).all():
        cols = []
        for i, j in zip(a.tolist(), b.tolist()):
            ok = np.isfinite(v[i]) & np.isfinite(v[j])
            cols.append([c[0] for c in _pair_statistics_numpy(np.stack((v[i][ok], v[j][ok])))])
        m_, same_, r_, keep_ = (np.array(c) for c in zip(*cols))
        return m_.astype(np.int64), same_.astype(np.int64), r_.astype(np.float64), keep_.astype(bool)
    rows, m = v.shape
    spread = v.max(axis=1) > v.min(axis=1) if m else np.zeros(rows, dtype=bool)
    centred = v - v.mean(axis=1, keepdims=True) if m else v
    gram = np.einsum("im,jm->ij", centred, centred)
    norms = np.sqrt(np.diagonal(gram))
    # per row i, its equal values with the rows after it (the pairs in (a, b) order): no (pairs, m)
    # float copies (at k = 8, m = BLOCK_CAP those cost 10 times more)
    same = np.concatenate([(v[i] == v[i + 1:]).sum(axis=1) for i in range(rows - 1)])
    keep = spread[a] & spread[b] & (m >= MIN_CORRELATION)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(keep, np.clip(gram[a, b] / (norms[a] * norms[b]), -1.0, 1.0), 0.0)
    return np.full(a.size, m, dtype=np.int64), same.astype(np.int64), r, keep


def _pair_tests(splits: Splits | list[tuple[int, int]], stats: Stats | None, model: CellModel,
                chosen: Candidates | None = None) -> _Tests:
    """Identity and correlation tests of every pair of shards of every split.

    ``splits``: ``(axis, k)`` per split; ``stats``: their pairs' :func:`_pair_statistics`,
    concatenated in split order. Each pair ``(i, j)`` is tested on the ``m'`` positions where both
    values are finite: the count of equal values against ``Binomial(m', s_2)``, and, when both rows
    vary and ``m' ≥ MIN_CORRELATION``, Pearson's ``r`` by ``t = r·√((m'−2)/(1−r²))`` on ``m' − 2``
    degrees of freedom. Only the smallest p-value is needed (Bonferroni), so the special functions
    are only evaluated where it can be (:func:`_candidates_numpy`): identity tests with an equal
    value (else p = 1), and per number of degrees of freedom the largest ``|t|`` (the p-value falls
    with ``|t|``). Ties go to the first test in split order, identity tests before correlation
    tests. ``chosen``: the :data:`Candidates` where already computed with the statistics (then
    ``stats`` is not read).
    """
    if chosen is None:
        assert stats is not None
        chosen = _candidates(stats)
    ints, floats, hits, kept, pairs, same0, m0 = chosen
    count = pairs + kept
    c = ints.shape[1]
    kind, u = 0, -1  # the smallest test: its kind and column (-1: pair 0, every p being 1)
    p = 1.0
    if c:
        q = ints[0].tolist()
        group = _groups(tuple(splits))  # each pair's split
        ps: list[float] = []
        if hits:  # P(Binomial(m', s2) ≥ same), as _binom_sf
            ps += special.bdtrc(ints[3, :hits], ints[2, :hits], min(max(model.s2, 0.0), 1.0)).tolist()
        if c > hits:  # two-sided Student t
            ps += [2.0 * v for v in special.stdtr(ints[3, hits:], floats[0, hits:]).tolist()]
        # (p, split, kind, pair, column): ties go to the first split, identity tests first
        p, _, kind, _q, u = min((ps[w], group[q[w]], int(w >= hits), q[w], w) for w in range(c))

    def describe() -> str:
        q, same, m = (0, same0, m0) if u < 0 else (int(ints[0, u]), int(ints[1, u]), int(ints[2, u]))
        _g, axis, k, i, j = _pair_of(splits, q)
        name = f"axis {axis}, {k}-way split, shards {i} and {j}"
        if kind == 0:
            return f"{name}: {same:,} of {m:,} aligned values equal"
        return f"{name}: correlation {floats[1, u]:+.3f} over {m:,} aligned values"

    return _Tests(count, p, describe)


def _candidates(stats: Stats) -> Candidates:
    """The :data:`Candidates` of the pairs' statistics (compiled
    :func:`verifier.stats.blocks_kernels.candidates` where numba is usable, else
    :func:`_candidates_numpy`), packed as :func:`verifier.stats.blocks_kernels.pack_candidates` packs
    them."""
    m, same, r, keep = stats
    found = _compiled("candidates", m, same, r, keep)
    hit, top, df, t, kept = _candidates_numpy(m, same, r, keep) if found is None else found
    q = np.concatenate((hit, top))
    ints = np.stack((q, same[q], m[q], np.concatenate((same[hit] - 1, df))))
    floats = np.stack((np.concatenate((np.zeros(hit.size), -t)), r[q]))
    return ints, floats, int(hit.size), int(kept), int(m.size), int(same[0]), int(m[0])


@lru_cache(maxsize=256)
def _groups(splits: Splits) -> tuple[int, ...]:
    """Each pair's split: ``g`` repeated ``k(k−1)/2`` times for the ``g``-th split (cached)."""
    return tuple(g for g, (_axis, k) in enumerate(splits) for _ in range(k * (k - 1) // 2))


def _candidates_numpy(m: np.ndarray, same: np.ndarray, r: np.ndarray, keep: np.ndarray,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The pairs whose p-values can be the smallest (see :func:`_pair_tests`): ``(pairs with an
    equal value, per df the first kept pair with the largest t, their df, their t, the number of
    kept pairs)``, ``t = |r|·√(df/(1 − r²))`` on ``df = m' − 2``. Compiled:
    :func:`verifier.stats.blocks_kernels.candidates`."""
    hit = np.flatnonzero(same > 0)
    kept = np.flatnonzero(keep)
    if not kept.size:
        return hit, kept, kept, np.zeros(0), 0
    df = m[kept] - 2
    t = np.abs(r[kept]) * np.sqrt(df / np.maximum(1e-300, 1.0 - r[kept] ** 2))
    top = _first_largest(t, df)  # positions in kept: per df, the first pair with the largest |t|
    return hit, kept[top], df[top], t[top], int(kept.size)


def _first_largest(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Per distinct ``df`` (ascending), the position of the first largest ``t`` among those of that
    ``df`` (a NaN counts as the largest, as in ``np.argmax``)."""
    if df[0] == df[-1] and np.all(df == df[0]):  # one df (every split of one shard size, all finite)
        return np.array([np.argmax(t)])
    key = np.where(np.isnan(t), -np.inf, -t)
    order = np.lexsort((key, df))  # by df, then by t descending; stable: ties keep their order
    ordered = df[order]
    return order[np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))]


def _pair_of(splits: Splits | list[tuple[int, int]], q: int) -> tuple[int, int, int, int, int]:
    """``(split, axis, k, i, j)`` of the ``q``-th pair of :func:`_pair_tests` (splits in order, each
    split's pairs in the order of :func:`_pairs`)."""
    for g, (axis, k) in enumerate(splits):
        pairs = k * (k - 1) // 2
        if q < pairs:
            a, b = _pairs(k)
            return g, axis, k, int(a[q]), int(b[q])
        q -= pairs
    raise IndexError(q)


def _unsigned_mask(bits: np.ndarray) -> np.integer:
    """Every bit of ``bits``' unsigned type but the sign bit of the float it holds."""
    return bits.dtype.type((1 << (8 * bits.itemsize - 1)) - 1)


def _repeated_slices(bits: np.ndarray, axis: int) -> int:
    """How many slices along ``axis`` repeat an earlier one (bit patterns ``bits``, C-contiguous,
    compared exactly).

    Candidates are slices with equal sums of their bit patterns without the sign bit (an exact
    integer hash modulo 2⁶⁴; identical slices always share it); each group of candidates is
    compared exactly. Slices equal but for the sign of a zero count as different (a little power
    lost). The hashes are computed by :func:`verifier.stats.blocks_kernels.slice_hashes` where
    numba is usable, else by numpy.
    """
    rows = bits.shape[axis]
    mask = _unsigned_mask(bits)
    view = bits.reshape(math.prod(bits.shape[:axis]), rows, math.prod(bits.shape[axis + 1:]))
    hashed = _compiled("slice_hashes", view, mask)
    if hashed is not None:
        h, shared = hashed
        if not shared:  # no two slices share a hash: none repeats
            return 0
    else:
        others = tuple(d for d in range(bits.ndim) if d != axis)
        h = np.asarray(np.sum(bits & mask, axis=others, dtype=np.uint64))
    order = np.argsort(h, kind="stable")
    if not np.any(h[order[1:]] == h[order[:-1]]):
        return 0
    flat = np.moveaxis(bits, axis, 0).reshape(rows, -1)
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
    mask = _unsigned_mask(bits)
    # a matrix: whether any two rows, any two columns share a hash, in one compiled pass (else per axis)
    shared = _compiled("shared_slice_hashes", bits, mask) if bits.ndim == 2 else None
    for axis, rows in enumerate(a.shape):
        length = a.size // rows if rows else 0
        if rows < 2 or length < 2:
            continue
        repeats = 0 if shared is not None and not shared[axis] else _repeated_slices(bits, axis)
        what = names.get(axis, f"slices along axis {axis}")
        if repeats:
            bound = rows * (rows - 1) / 2.0 * math.exp(length * math.log(max(model.s2, 1e-300)))
            out.append(_one(min(1.0, bound), f"{repeats} of {rows} {what} repeat an earlier one (length {length})"))
        else:
            out.append(_one(1.0, f"no repeated {what}"))
    return out


def check_blocks(sample: Sample, model: CellModel) -> CheckResult | None:
    """Shards of 2/4/8-way splits along every axis (identity, correlation) and repeated slices."""
    generator: list[np.random.Generator] = []

    def rng() -> np.random.Generator:  # seeded once per check, at the first subsampled split
        if not generator:
            generator.append(np.random.default_rng(0))
        return generator[0]

    tests: list[_Tests] = []
    skipped = ""
    splits: Splits = ()
    parts: list[Stats] = []
    chosen: Candidates | None = None  # the only chunk's candidates, where computed with its statistics
    alone = len(sample.chunks) == 1
    for chunk in sample.chunks:
        shape = tuple(map(int, chunk.shape))
        n = math.prod(shape)
        if n == 0:
            continue
        host = _host(chunk) if isinstance(chunk, np.ndarray) or chunk.is_cpu else None
        names, stats, chosen = _chunk_statistics(chunk, shape, host, sample.dtype, rng, alone)
        splits += names
        parts += stats
        if len(shape) >= 2 and n <= SLICES_CAP:
            tests += _slice_tests(_host(chunk) if host is None else host, model)
        elif len(shape) >= 2:
            skipped = f"; rows/columns not compared above {SLICES_CAP:,} values"
    if splits:
        joined = None if chosen is not None else parts[0] if len(parts) == 1 else \
            tuple(np.concatenate(c) for c in zip(*parts))
        tests.insert(0, _pair_tests(splits, joined, model, chosen))  # type: ignore[arg-type]
    count = sum(t.count for t in tests)
    if not count:
        return None
    worst = min(tests, key=lambda t: t.pvalue)
    p = min(1.0, count * worst.pvalue)
    detail = f"{count} shard/slice tests (Bonferroni), smallest p: {worst.describe()}{skipped}"
    return CheckResult("blocks", float(count), p, detail)
