"""The numba kernels of :mod:`verifier.stats.blocks` (imported only where numba is installed).

:func:`split_statistics`
    For every pair of shards of every split of a tensor compared whole, what
    :func:`verifier.stats.blocks._pair_statistics_numpy` computes from the split's ``(k, m)`` shard
    matrix: the count ``m'`` of positions where both values are finite, the count of equal values
    among them, and Pearson's ``r`` on them with its ``keep`` flag (:func:`pair_statistics`: the
    same for one given shard matrix, for the subsampled splits).
:func:`candidates`
    The pairs whose p-values can be the smallest, as
    :func:`verifier.stats.blocks._candidates_numpy` finds them.
:func:`split_candidates`
    Both, packed in two arrays (:func:`pack_candidates`), in one call (most tensors are one chunk
    compared whole: one dispatch instead of two).
:func:`slice_hashes`
    The hashes of the slices along one axis, and whether two are equal
    (:func:`shared_slice_hashes`: only whether, for the rows and the columns of a matrix at once).

Each replaces tens of numpy calls and their temporaries, which cost more than the arithmetic at
``n ≤ 10⁵``. Numba's cache keys on this file only, so nothing compiled in comes from another
module: the shortest correlated shard (``MIN_CORRELATION``) is an argument, the fastmath flags are
stated here (only the ``njit`` decorator, which compiles nothing in, is shared with
:mod:`verifier.stats.fused_kernels`).
"""

# mypy: ignore-errors
import numpy as np

from .fused_kernels import njit

FASTMATH = {"reassoc", "contract"}
"""Sums may be reordered (vectorised) and multiply-adds fused; no ``nnan``/``ninf``: non-finite
values are detected."""


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")
def _finite_pair(v, i, j):
    """``(m', Σx, Σy, x varies, y varies)`` of rows ``i`` and ``j`` of ``v`` over the positions where
    both are finite (a scalar loop: only rows holding a non-finite value come here)."""
    x, y = v[i], v[j]
    n = 0
    sx = 0.0
    sy = 0.0
    x0 = np.nan
    y0 = np.nan
    vx = False
    vy = False
    for p in range(x.size):
        a = x[p]
        b = y[p]
        if np.isfinite(a) and np.isfinite(b):
            if n == 0:
                x0 = a
                y0 = b
            n += 1
            sx += a
            sy += b
            vx |= a != x0
            vy |= b != y0
    return n, sx, sy, vx, vy


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")
def _pairs_into(v, min_correlation, count, same, r, keep, q0):
    """Per pair ``(i, j)``, ``i < j``, of rows of ``v`` (float64, ``(k, m)``), in the order of
    ``itertools.combinations``: ``(m', equal count, r, keep)`` on the positions where both are finite.

    ``r = Σ(x-x̄)(y-ȳ) / √(Σ(x-x̄)²·Σ(y-ȳ)²)`` (two passes: the means, then the centred sums),
    clipped to ``[-1, 1]``; ``keep``: both rows vary (not all equal) and ``m' ≥ min_correlation``;
    ``r = 0`` where not kept. Written to ``count, same, r, keep`` from position ``q0`` on (``r`` and
    ``keep`` zeroed there beforehand). For rows finite everywhere, the mean and ``Σ(x-x̄)²`` of each
    row are computed once, and each pair's ``Σ(x-x̄)(y-ȳ)`` and equal count in one loop (centring on
    the fly: no centred copy to read back), all branch-free loops that LLVM vectorises; a pair with a
    non-finite value is computed on its own finite positions in a scalar loop.
    """
    k, m = v.shape
    finite = np.zeros(k, np.bool_)
    spread = np.zeros(k, np.bool_)
    ss = np.zeros(k, np.float64)
    means = np.zeros(k, np.float64)
    for i in range(k):
        x = v[i]
        if m == 0:
            finite[i] = True
            continue
        s = 0.0
        nan = 0.0  # x·0 is NaN exactly where x is not finite
        differ = 0
        x0 = x[0]
        for p in range(m):
            s += x[p]
            nan += x[p] * 0.0
            differ += np.int64(x[p] != x0)
        if nan != 0.0:  # NaN: the row holds a non-finite value
            continue
        finite[i] = True
        spread[i] = differ > 0
        mean = s / m
        means[i] = mean
        acc = 0.0
        for p in range(m):
            d = x[p] - mean
            acc += d * d
        ss[i] = acc
    q = q0
    for i in range(k):
        for j in range(i + 1, k):
            x, y = v[i], v[j]
            eq = 0
            if finite[i] and finite[j]:
                n = m
                if spread[i] and spread[j] and n >= min_correlation:
                    mx = means[i]
                    my = means[j]
                    sxy = 0.0
                    for p in range(m):
                        sxy += (x[p] - mx) * (y[p] - my)
                        eq += np.int64(x[p] == y[p])
                    r[q] = sxy / (np.sqrt(ss[i]) * np.sqrt(ss[j]))
                    keep[q] = True
                else:
                    for p in range(m):
                        eq += np.int64(x[p] == y[p])
            else:  # each pair on its own finite positions
                n, sx, sy, vx, vy = _finite_pair(v, i, j)
                for p in range(m):
                    eq += np.int64(x[p] == y[p] and np.isfinite(x[p]))
                if vx and vy and n >= min_correlation:
                    mx = sx / n
                    my = sy / n
                    sxx = 0.0
                    syy = 0.0
                    sxy = 0.0
                    for p in range(m):
                        a = x[p]
                        b = y[p]
                        if np.isfinite(a) and np.isfinite(b):
                            a -= mx
                            b -= my
                            sxx += a * a
                            syy += b * b
                            sxy += a * b
                    r[q] = sxy / (np.sqrt(sxx) * np.sqrt(syy))
                    keep[q] = True
            if r[q] > 1.0:  # NaN (0/0 after an underflow) stays NaN, as np.clip leaves it
                r[q] = 1.0
            elif r[q] < -1.0:
                r[q] = -1.0
            count[q] = n
            same[q] = eq
            q += 1


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")
def pair_statistics(v, min_correlation):
    """:func:`_pairs_into` for the rows of one ``(k, m)`` float64 matrix: ``(m', equal count, r, keep)``
    per pair ``(i, j)``, ``i < j``, in the order of ``itertools.combinations``."""
    k = v.shape[0]
    pairs = k * (k - 1) // 2
    count = np.empty(pairs, np.int64)
    same = np.empty(pairs, np.int64)
    r = np.zeros(pairs, np.float64)
    keep = np.zeros(pairs, np.bool_)
    _pairs_into(v, min_correlation, count, same, r, keep, 0)
    return count, same, r, keep


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False, error_model="numpy")
def split_statistics(flat, splits, min_correlation):
    """:func:`pair_statistics` of several splits of one C-ordered tensor whose every position is
    compared, concatenated in the order of ``splits``.

    ``flat``: the tensor's values (float32 or float64, C order); ``splits``: one row
    ``(before, k, size, after)`` per split, the tensor seen as ``(before, k·size, after)`` with the
    split axis in the middle. Shard ``j``'s row is ``[b, j·size + s, a]`` over ``(b, s, a)`` in C
    order (shard 0's positions in C order), copied to float64 one contiguous run of ``size·after``
    values at a time.
    """
    pairs = 0
    for g in range(splits.shape[0]):
        k = splits[g, 1]
        pairs += k * (k - 1) // 2
    count = np.empty(pairs, np.int64)
    same = np.empty(pairs, np.int64)
    r = np.zeros(pairs, np.float64)
    keep = np.zeros(pairs, np.bool_)
    q0 = 0
    for g in range(splits.shape[0]):
        before, k, size, after = splits[g, 0], splits[g, 1], splits[g, 2], splits[g, 3]
        run = size * after
        v = np.empty((k, before * run), np.float64)
        for j in range(k):
            row = v[j]
            for b in range(before):
                src = (b * k + j) * run
                dst = b * run
                for p in range(run):
                    row[dst + p] = flat[src + p]
        _pairs_into(v, min_correlation, count, same, r, keep, q0)
        q0 += k * (k - 1) // 2
    return count, same, r, keep


@njit(nogil=True, boundscheck=False)
def slice_hashes(bits, mask):
    """Per slice ``r`` of ``bits`` seen as ``(before, rows, after)`` (unsigned integers, C order):
    ``Σ (bits & mask)`` over ``(b, a)`` as uint64 (modulo 2⁶⁴, as numpy sums it), and whether
    two slices share a hash (sorted and compared)."""
    before, rows, after = bits.shape
    h = np.zeros(rows, np.uint64)
    if after == 1:  # the slices run across rows: add each contiguous row of the 2-D view
        for b in range(before):
            for r in range(rows):
                h[r] += np.uint64(bits[b, r, 0] & mask)
    else:
        for b in range(before):
            for r in range(rows):
                s = np.uint64(0)
                for a in range(after):
                    s += np.uint64(bits[b, r, a] & mask)
                h[r] += s
    return h, _shared(h)


@njit(nogil=True, boundscheck=False)
def _shared(h):
    """Whether two of the hashes ``h`` are equal (sorted and compared)."""
    ordered = np.sort(h)
    shared = False
    for r in range(1, h.size):
        shared |= ordered[r] == ordered[r - 1]
    return shared


@njit(nogil=True, boundscheck=False)
def shared_slice_hashes(bits, mask):
    """For a 2-D array of unsigned integers: whether two rows, and whether two columns, share the
    hash :func:`slice_hashes` gives them (``Σ (bits & mask)`` modulo 2⁶⁴: any order of the sum gives
    it), in one pass; most weight matrices have neither, and then need no hash at all."""
    rows, cols = bits.shape
    hr = np.zeros(rows, np.uint64)
    hc = np.zeros(cols, np.uint64)
    for r in range(rows):
        s = np.uint64(0)
        for c in range(cols):
            b = np.uint64(bits[r, c] & mask)
            s += b
            hc[c] += b
        hr[r] = s
    return _shared(hr), _shared(hc)


@njit(nogil=True, boundscheck=False, error_model="numpy")
def candidates(m, same, r, keep):
    """The pairs whose p-values can be the smallest, as :func:`verifier.stats.blocks._candidates_numpy`
    finds them: ``(pairs with an equal value, per df ascending the first pair with the largest t,
    their df, their t, the number of kept pairs)``.

    ``t = |r|·√(df/max(1e-300, 1 − r²))``, ``df = m' − 2`` over the kept pairs, with numpy's
    operations in numpy's order (no fastmath: the same roundings); a NaN counts as the largest
    (as ``np.argmax`` picks it)."""
    pairs = m.size
    n_hit = 0
    n_kept = 0
    for q in range(pairs):
        n_hit += same[q] > 0
        n_kept += keep[q]
    hit = np.empty(n_hit, np.int64)
    kept = np.empty(n_kept, np.int64)
    df = np.empty(n_kept, np.int64)
    t = np.empty(n_kept, np.float64)
    h = 0
    c = 0
    for q in range(pairs):
        if same[q] > 0:
            hit[h] = q
            h += 1
        if keep[q]:
            kept[c] = q
            df[c] = m[q] - 2
            d = 1.0 - r[q] * r[q]
            if d < 1e-300:  # a NaN stays NaN, as np.maximum leaves it
                d = 1e-300
            t[c] = abs(r[q]) * np.sqrt(df[c] / d)
            c += 1
    top = np.empty(n_kept, np.int64)
    u = 0
    below = np.iinfo(np.int64).min  # the df groups in ascending order, one scan each (few groups)
    while True:
        d = np.iinfo(np.int64).max
        for c in range(n_kept):
            if below < df[c] < d:
                d = df[c]
        if d == np.iinfo(np.int64).max:
            break
        best = -1
        for c in range(n_kept):
            if df[c] != d:
                continue
            if best < 0 or (not np.isnan(t[best]) and (np.isnan(t[c]) or t[c] > t[best])):
                best = c
        top[u] = best
        u += 1
        below = d
    top = top[:u]
    return hit, kept[top], df[top], t[top], n_kept


@njit(nogil=True, boundscheck=False)
def pack_candidates(m, same, r, hit, top, t):
    """The candidates as :data:`verifier.stats.blocks.Candidates` packs them: per candidate (the
    ``hit`` pairs, then the ``top`` pairs) its pair, equal count, ``m'`` and the integer argument of
    its p-value (``same − 1`` for a hit, ``df = m' − 2`` for a top pair) (int64 ``(4, c)``), and the
    other argument (0 for a hit, ``−t`` for a top pair) and ``r`` (float64 ``(2, c)``)."""
    c = hit.size + top.size
    ints = np.empty((4, c), np.int64)
    floats = np.zeros((2, c), np.float64)
    for u in range(c):
        if u < hit.size:
            q = hit[u]
            ints[3, u] = same[q] - 1
        else:
            q = top[u - hit.size]
            ints[3, u] = m[q] - 2
            floats[0, u] = -t[u - hit.size]
        ints[0, u] = q
        ints[1, u] = same[q]
        ints[2, u] = m[q]
        floats[1, u] = r[q]
    return ints, floats


@njit(nogil=True, boundscheck=False, error_model="numpy")
def split_candidates(flat, splits, min_correlation):
    """:func:`split_statistics`, their :func:`candidates`, packed (:func:`pack_candidates`), in one
    call: ``(ints, floats, hits, kept pairs, pairs, pair 0's equal count, pair 0's m')``. Each step is
    computed by its own function (each with its own fastmath flags), as if called apart; two arrays
    come back instead of nine (each costs a boxing)."""
    count, same, r, keep = split_statistics(flat, splits, min_correlation)
    hit, top, df, t, n_kept = candidates(count, same, r, keep)
    ints, floats = pack_candidates(count, same, r, hit, top, t)
    return ints, floats, hit.size, n_kept, count.size, same[0], count[0]
