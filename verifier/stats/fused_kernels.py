"""The numba kernels of :mod:`verifier.stats.fused` (imported only where numba is installed).

Module-level functions, so that numba's on-disk cache (``cache=True``, in ``__pycache__``) is reused
by every later process: kernels defined inside a function were recompiled in each process (their
closure cells defeated the cache index), about 1–2.5 s at the first check of every process.
Where no cache location is writable each kernel is compiled in memory instead.
"""

# mypy: ignore-errors
from typing import Any

import numba
import numpy as np

from .fused import (
    _ABOVE,
    _BELOW,
    _N,
    _NAN,
    _NDEFER,
    _NEG,
    _POS,
    _S1,
    _S2,
    _S3,
    _S4,
    CELLS_PER_UNIT,
    DEGREE,
    NONE,
    NORMAL,
    SUB,
    UNIFORM,
    Z_MAX,
)


def njit(**kw: Any) -> Any:
    """``numba.njit`` with the on-disk cache where a cache location is writable."""
    def deco(f: Any) -> Any:
        try:
            return numba.njit(cache=True, **kw)(f)
        except RuntimeError:  # no locator for the cache: compile in memory each process
            return numba.njit(cache=False, **kw)(f)
    return deco


# reassoc/contract only: the float64 sums may be reordered (vectorised) and multiply-adds
# fused; no 'nnan'/'ninf' (non-finite values are detected) and no approximate division.
FASTMATH = {"reassoc", "contract"}
CELLS = int(2 * Z_MAX * CELLS_PER_UNIT)


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False, inline="always")
def phi(z: float, tab: Any) -> float:
    """Φ̃(z): the cubic of z's cell (0 and 1 beyond ±Z_MAX; NaN reads a valid row)."""
    zc = min(max(z, -Z_MAX), Z_MAX)
    t = (zc + Z_MAX) * CELLS_PER_UNIT
    j = min(max(np.int64(t), 0), CELLS - 1)
    w = (t - j - 0.5) * (1.0 / CELLS_PER_UNIT)
    b = j * (DEGREE + 1)
    u = tab[b] + w * (tab[b + 1] + w * (tab[b + 2] + w * tab[b + 3]))
    if z <= -Z_MAX:
        return 0.0
    if z >= Z_MAX:
        return 1.0
    return u


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False)
def phi_block(x: Any, s: int, e: int, loc: float, inv_scale: float, z_lo: float, z_hi: float,
              mul: float, add: float, tab: Any, out: Any) -> None:
    """out[i - s] = mul·Φ̃(z) + add, z = clamp((x - loc)·inv_scale, z_lo, z_hi)."""
    for i in range(s, e):
        z = (np.float64(x[i]) - loc) * inv_scale
        z = min(max(z, z_lo), z_hi)
        out[i - s] = phi(z, tab) * mul + add


@njit(nogil=True, fastmath=FASTMATH)
def moments_block(x: Any, s: int, e: int, c: float, st: Any) -> bool:
    """Add Σd..Σd⁴ of x[s:e] to st; False (nothing added) if a value is not finite.

    (A non-finite value makes Σd non-finite, or Σd⁴ infinite; min/max are taken by
    the caller with numpy's vectorised reductions, which LLVM does not emit here.)
    """
    b1 = b2 = b3 = b4 = 0.0
    for i in range(s, e):
        d = np.float64(x[i]) - c
        d2 = d * d
        b1 += d
        b2 += d2
        b3 += d2 * d
        b4 += d2 * d2
    if not (abs(b1) < np.inf and abs(b4) < np.inf):
        return False
    st[_N] += e - s
    st[_S1] += b1
    st[_S2] += b2
    st[_S3] += b3
    st[_S4] += b4
    return True


@njit(nogil=True)
def slow_block(x: Any, s: int, e: int, c: float, st: Any, keep: Any) -> None:
    """Per value: count non-finite values; the finite ones are added (keep[i] marks them)."""
    for i in range(s, e):
        v = np.float64(x[i])
        if np.isnan(v):
            st[_NAN] += 1
            keep[i - s] = False
        elif v == np.inf:
            st[_POS] += 1
            keep[i - s] = False
        elif v == -np.inf:
            st[_NEG] += 1
            keep[i - s] = False
        else:
            keep[i - s] = True
            d = v - c
            st[_N] += 1
            st[_S1] += d
            st[_S2] += d * d
            st[_S3] += d * d * d
            st[_S4] += d * d * d * d


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False, inline="always")
def count(k: int, counts: Any, wide: Any) -> None:
    """counts[k] += 1 in uint8; a wrap past 255 moves 256 into the int64 wide counts."""
    q = counts[k]
    if q == 255:
        wide[k] += 256
        counts[k] = 0
    else:
        counts[k] = q + 1


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False)
def normal_block(x: Any, s: int, e: int, loc: float, inv_scale: float, mul: float, band: float,
                 tab: Any, counts: Any, wide: Any, defer: Any, nd: int, st: Any) -> int:
    """The PIT bins of a block of finite values under a normal null (the common case, lean)."""
    cap = defer.shape[0]
    for i in range(s, e):
        v = np.float64(x[i])
        t = phi((v - loc) * inv_scale, tab) * mul  # in [0, B]: B·u = B only beyond z = 9
        k = np.int64(t)
        f = t - k
        if f > band and f < 1.0 - band:
            count(k, counts, wide)
        else:
            if nd < cap:
                defer[nd] = v
            nd += 1
    return nd


@njit(nogil=True, boundscheck=False)
def fused_float(x: Any, c: float, kind: int, p: Any, tab: Any, counts: Any, wide: Any,
                defer: Any, keep: Any, st: Any) -> None:
    """One pass over x: moments about c, non-finite counts and (kind > 0) the PIT bins.

    p = [loc, inv_scale, mul, add, sup_lo, sup_hi, z_lo, z_hi, band_b]. Per block of SUB
    values (in L1): the power sums (vectorised), then ``t = B·ũ`` and the counts
    (scalar: LLVM emits no gathers for the table on this target, measured).
    """
    n = x.shape[0]
    nb = counts.shape[0]
    nd = int(st[_NDEFER])
    band = p[8]
    for s in range(0, n, SUB):
        e = min(n, s + SUB)
        ok = moments_block(x, s, e, c, st)
        if not ok:
            slow_block(x, s, e, c, st, keep)
        if kind == NONE:
            continue
        if ok and kind == NORMAL:
            nd = normal_block(x, s, e, p[0], p[1], p[2], band, tab, counts, wide, defer, nd, st)
            continue
        for i in range(s, e):
            if not ok and not keep[i - s]:
                continue
            v = np.float64(x[i])
            if v <= p[4]:  # at or below the bottom of the support: u = 0 (truncated/uniform nulls)
                if v < p[4]:
                    st[_BELOW] += 1
                k = 0
                sure = True
            elif v >= p[5]:  # at or above the top of the support: u = 1, last bin
                if v > p[5]:
                    st[_ABOVE] += 1
                k = nb - 1
                sure = True
            else:
                if kind == UNIFORM:
                    t = (v - p[0]) * p[1] * nb
                else:
                    z = (v - p[0]) * p[1]
                    z = min(max(z, p[6]), p[7])
                    t = phi(z, tab) * p[2] + p[3]
                t = max(t, 0.0)
                k = np.int64(t)
                if k >= nb:  # the reference clamps floor(B·u) ≥ B - 1 to B - 1 as well
                    sure = t >= nb - 1 + band
                    k = nb - 1
                else:
                    f = t - k
                    sure = f > band and f < 1.0 - band
            if sure:
                count(k, counts, wide)
            elif nd < defer.shape[0]:
                defer[nd] = v
                nd += 1
            else:
                nd += 1  # overflow: the caller re-bins with the reference path
    st[_NDEFER] = nd


@njit(nogil=True)
def grid_counts(bits: Any, counts: Any) -> None:
    """counts[b] += 1 for each 16-bit pattern (four interleaved tables: no store-forwarding stall)."""
    n = bits.shape[0]
    m = n - n % 4
    for i in range(0, m, 4):
        counts[0, bits[i]] += 1
        counts[1, bits[i + 1]] += 1
        counts[2, bits[i + 2]] += 1
        counts[3, bits[i + 3]] += 1
    for i in range(m, n):
        counts[0, bits[i]] += 1
