"""The numba kernels (imported only where numba is installed): the fused summary pass of
:mod:`verifier.stats.fused`, the exact summary's float64 copy and moments
(:mod:`verifier.stats.summary`), the PIT statistics blocks and the exact statistics' sums of
:mod:`verifier.stats.gof` and the exact small-n KS law of :mod:`verifier.stats.gof_laws`.

Module-level functions, so that numba's on-disk cache (``cache=True``, in ``__pycache__``) is reused
by every later process: kernels defined inside a function were recompiled in each process (their
closure cells defeated the cache index), about 1–2.5 s at the first check of every process.
Where no cache location is writable each kernel is compiled in memory instead. The intrinsics
(bitcasts, the vector-width hint) are code generators inlined into their callers: the cache holds
the result like any other code.
"""

# mypy: ignore-errors
import math
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

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
    NONE,
    NORMAL,
    SUB,
    UNIFORM,
)

#: The constants above as this file compiled them. numba's cache keys on this file only, so a change
#: of them in fused.py alone would be served stale from the cache (SUB sizes buffers that the kernels
#: index without bounds checks). ``tests/stats/test_fused.py`` requires this copy to equal fused.py's:
#: changing them means editing this file too, which rebuilds the cache.
COMPILED_CONSTANTS = {"_ABOVE": 11, "_BELOW": 10, "_N": 0, "_NAN": 7, "_NDEFER": 12, "_NEG": 9, "_POS": 8,
                      "_S1": 1, "_S2": 2, "_S3": 3, "_S4": 4, "NONE": 0, "NORMAL": 2, "SUB": 2048, "UNIFORM": 1}


def njit(**kw: Any) -> Any:
    """``numba.njit`` with the on-disk cache where a cache location is writable."""
    def deco(f: Any) -> Any:
        try:
            return numba.njit(cache=True, **kw)(f)
        except RuntimeError:  # no locator for the cache: compile in memory each process
            return numba.njit(cache=False, **kw)(f)
    return deco


# reassoc/contract only: the float64 sums may be reordered (vectorised) and multiply-adds
# fused; no 'nnan'/'ninf' (non-finite values are detected) and no approximate division. Nothing
# below relies on a sequence of roundings that reassociation could change beyond rounding noise:
# the steps that must be exact are exact in any order (rint, floor; t - floor(t) - 1/2 with t ≥ 1/2,
# where t, floor(t) and 1/2 are multiples of ulp(t); an integer-valued kd + SHIFTER).
FASTMATH = {"reassoc", "contract"}

SHIFTER = 6755399441055744.0  # 1.5·2^52: an integer-valued k + SHIFTER holds k in its low bits
SHIFTER_BITS = 0x4338000000000000
LOG2E = 1.4426950408889634
LN2 = 0.6931471805599453


@intrinsic
def f64_bits(typingctx, v):
    """The IEEE bits of a float64 as an int64 (a bitcast: LLVM vectorises it)."""
    if v != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def bits_f64(typingctx, v):
    """The float64 with these IEEE bits (a bitcast)."""
    if v != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def prefer_512_bit_vectors(typingctx):
    """Mark the calling function ``"prefer-vector-width"="512"`` (LLVM's per-function override).

    LLVM tunes most AVX-512 CPUs to vectorise with 256-bit registers; a loop over float64 values
    then runs 4 lanes wide where the float32 one runs 8 (the loop vectoriser sizes its lanes from
    the widest type loaded or stored). The Φ̃ loops are arithmetic-bound: 8 lanes made the float64
    loop 1.6 times faster here. Machines without 512-bit registers ignore the hint. (llvmlite
    lists only keyword attributes, hence ``set.add``.)
    """
    def codegen(context, builder, sig, args):
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()
    return types.none(), codegen


@njit(nogil=True, fastmath=FASTMATH, inline="always")
def phi(z: float, g: Any, a_max: float, x_scale: float) -> float:
    """Φ̃(z), branch-free (see :mod:`verifier.stats.fused`): ``Q̃ = exp(P₁₃(2a/7 - 1))``,
    ``a = min(|z|, 7)``; ``Q̃`` for ``z < 0``, else ``1 - Q̃``. In ``(0, 1)`` for every ``z``, NaN
    included (``Q̃ ≥ Q̃(7) = 1.1e-12``).

    ``g``: the 14 coefficients of P₁₃ as a tuple (registers); ``a_max``: 7, the end of their
    interval; ``x_scale = 2/a_max`` (all read from :func:`~verifier.stats.fused.phi_table` at
    run time: numba's cache would keep a constant imported from another module after it
    changed). ``exp(y) = 2^k·e^r``:
    ``k = rint(y/ln 2)``, ``r = y - k·ln 2`` (one fused multiply-add:
    ``|k·(ln 2 - fl(ln 2))| ≤ 45·2.3e-17``), ``|r| ≤ ln2/2``; ``e^r`` by a degree-8 minimax
    polynomial (relative error 7.8e-13); ``2^k`` built from its bits (``y ≥ -31``: no underflow).
    Both polynomials by Estrin's scheme (shorter dependency chains than Horner's: faster here).
    """
    a = abs(z)
    a = a if a < a_max else a_max
    x = a * x_scale - 1.0
    x2 = x * x
    x4 = x2 * x2
    x8 = x4 * x4
    y01 = g[1] * x + g[0]
    y23 = g[3] * x + g[2]
    y45 = g[5] * x + g[4]
    y67 = g[7] * x + g[6]
    y89 = g[9] * x + g[8]
    yab = g[11] * x + g[10]
    ycd = g[13] * x + g[12]
    y03 = y23 * x2 + y01
    y47 = y67 * x2 + y45
    y8b = yab * x2 + y89
    y07 = y47 * x4 + y03
    y8d = ycd * x4 + y8b
    y = y8d * x8 + y07  # ≈ log Φ(-a), in [-27, -0.69]
    kd = np.rint(y * LOG2E)
    r = y - kd * LN2
    r2 = r * r
    r4 = r2 * r2
    e01 = r * 0.999999999980616 + 0.9999999999997601
    e23 = r * 0.16666666885458511 + 0.5000000000617894
    e45 = r * 0.00833326703290107 + 0.04166666421952613
    e67 = r * 0.00019915420859871474 + 0.0013889178907835595
    e03 = e23 * r2 + e01
    e48 = (2.472704352366513e-05 * r4 + e67 * r2) + e45
    e = e48 * r4 + e03
    # ·2^k: k + 1023 in the exponent field (k read from the low bits of kd + SHIFTER: no
    # float-to-int64 conversion, which AVX2 lacks)
    q = e * bits_f64((f64_bits(kd + SHIFTER) + (1023 - SHIFTER_BITS)) << 52)
    return q if z < 0.0 else 1.0 - q


@njit(nogil=True, fastmath=FASTMATH, inline="always")
def bin_of(t: float, nb: int, band: float) -> np.int32:
    """``floor(t)`` clamped to ``[0, nb - 1]`` where that is the reference bin of every value
    within ``band`` of ``t``, else -1 (set aside).

    ``t`` is first clamped to ``[1/2, nb - 1/2]``: below 1/2 every value within ``band`` is in
    bin 0, above ``nb - 1/2`` in bin ``nb - 1`` (the reference clamps ``u`` to ``[0, 1]`` and
    ``floor(B·u)`` to ``B - 1``: ``t = 0`` and ``t = B`` are no edges), so values far in the
    tails are binned at once. Then ``kd = floor(t)``, ``d = t - kd`` (exact), sure when
    ``|d - 1/2| < 1/2 - band``, i.e. ``band < d < 1 - band``. NaN ``t`` (not passed) would
    become 1/2.
    """
    t = t if t > 0.5 else 0.5
    t = t if t < nb - 0.5 else nb - 0.5
    kd = np.floor(t)
    sure = abs((t - kd) - 0.5) < 0.5 - band
    return np.int32(kd) if sure else np.int32(-1)


@njit(nogil=True, inline="always")
def coefficients(tab: Any) -> Any:
    """``tab = [A_MAX, 2/A_MAX, P₁₃'s 14 coefficients]`` as (the coefficients' tuple, A_MAX, 2/A_MAX):
    loop-invariant registers, no loads in the loop (and no division: with 'reassoc' LLVM may turn
    ``a·(2/A_MAX)`` into ``2a/A_MAX``)."""
    return (tab[2], tab[3], tab[4], tab[5], tab[6], tab[7], tab[8], tab[9], tab[10], tab[11], tab[12], tab[13],
            tab[14], tab[15]), tab[0], tab[1]


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False)
def phi_values(z: Any, tab: Any, out: Any) -> None:
    """out[i] = Φ̃(z[i]) (for the tests of the error bound)."""
    prefer_512_bit_vectors()  # the same code as pit_block's (FMA contraction may differ with the width)
    g, a_max, x_scale = coefficients(tab)
    for i in range(z.shape[0]):
        out[i] = phi(z[i], g, a_max, x_scale)


@njit(nogil=True, fastmath=FASTMATH, inline="always")
def add_powers(d: float, b1: float, b2: float, b3: float, b4: float) -> Any:
    """``(b1 + d, b2 + d², b3 + d³, b4 + d⁴)``: one value's share of the power sums (inlined into
    the vectorised loops)."""
    d2 = d * d
    return b1 + d, b2 + d2, b3 + d2 * d, b4 + d2 * d2


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False)
def pit_block(xs: Any, c: float, kind: int, p: Any, tab: Any, nb: int, kbuf: Any) -> Any:
    """One vectorised loop per kind over a block: kbuf[i] = the bin of xs[i] or -1 (set aside),
    and the block's sums. Returns ``(Σd, Σd², Σd³, Σd⁴, #below, #above)``, ``d = x - c``
    (below/above the support: 0 for a normal null). Non-finite values give some bin and make
    ``Σd`` or ``Σd⁴`` non-finite: the caller then redoes the block value by value."""
    prefer_512_bit_vectors()
    band = p[8]
    b1 = b2 = b3 = b4 = 0.0
    below = 0
    above = 0
    if kind == UNIFORM:
        lo, hi, mul = p[4], p[5], p[1] * nb
        for i in range(xs.shape[0]):
            v = np.float64(xs[i])
            b1, b2, b3, b4 = add_powers(v - c, b1, b2, b3, b4)
            below += np.int64(v < lo)
            above += np.int64(v > hi)
            v = v if v > lo else lo  # the reference clips u to [0, 1]
            v = v if v < hi else hi
            kbuf[i] = bin_of((v - lo) * mul, nb, band)
    elif kind == NORMAL:
        g, a_max, x_scale = coefficients(tab)
        loc, inv, mul = p[0], p[1], p[2]
        for i in range(xs.shape[0]):
            v = np.float64(xs[i])
            b1, b2, b3, b4 = add_powers(v - c, b1, b2, b3, b4)
            kbuf[i] = bin_of(phi((v - loc) * inv, g, a_max, x_scale) * mul, nb, band)
    else:  # truncated normal: t = (Φ̃(z) - Φ(α))·B/Z, z clamped to [α, β]
        g, a_max, x_scale = coefficients(tab)
        loc, inv, mul, add, lo, hi, zlo, zhi = p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
        for i in range(xs.shape[0]):
            v = np.float64(xs[i])
            b1, b2, b3, b4 = add_powers(v - c, b1, b2, b3, b4)
            below += np.int64(v < lo)
            above += np.int64(v > hi)
            z = (v - loc) * inv
            z = z if z > zlo else zlo
            z = z if z < zhi else zhi
            t = phi(z, g, a_max, x_scale) * mul + add
            t = t if v < hi else np.float64(nb)  # at or above the top: u = 1, last bin (reference)
            kbuf[i] = bin_of(t, nb, band)
    return b1, b2, b3, b4, below, above


@njit(nogil=True, boundscheck=False)
def count_block(xs: Any, kbuf: Any, ok: bool, keep: Any, counts: Any, wide: Any, defer: Any, nd: int) -> int:
    """Add the bins of kbuf to the counts; values marked -1 go to ``defer`` (``nd`` of them so far,
    counted past the capacity). Not ``ok``: only the values with keep[i] (finite) are counted."""
    cap = defer.shape[0]
    for i in range(xs.shape[0]):
        if not ok and not keep[i]:
            continue
        k = kbuf[i]
        if k >= 0:
            count(k, counts, wide)
        else:
            if nd < cap:
                defer[nd] = np.float64(xs[i])
            nd += 1
    return nd


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False)
def moments_block(x: Any, s: int, e: int, c: float, st: Any) -> bool:
    """Add Σd..Σd⁴ of x[s:e] to st; False (nothing added) if a value is not finite.

    (A non-finite value makes Σd non-finite, or Σd⁴ infinite; the range is kept by
    :func:`key_range`.) Used without a null; :func:`pit_block` adds the same sums in its own loop.
    """
    b1 = b2 = b3 = b4 = 0.0
    xs = x[s:e]  # indices from 0: contiguous vector loads (x[i] for i in range(s, e) may wrap
    for i in range(xs.shape[0]):  # around a negative i, so LLVM emitted gathers)
        b1, b2, b3, b4 = add_powers(np.float64(xs[i]) - c, b1, b2, b3, b4)
    if not (abs(b1) < np.inf and abs(b4) < np.inf):
        return False
    st[_N] += e - s
    st[_S1] += b1
    st[_S2] += b2
    st[_S3] += b3
    st[_S4] += b4
    return True


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False)
def widen_with_moments(x: Any, out: Any, st: Any) -> bool:
    """``out[:] = float64(x)`` and ``st[:4] = (mean, Σd², Σd³, Σd⁴)`` with ``d = x - mean``, for finite
    ``x`` (two passes: the mean first, then the central sums, as :meth:`Moments.of` computes them);
    True (what :func:`verifier.stats.fused.call_compiled` returns where numba is usable)."""
    n = x.shape[0]
    t = 0.0
    for i in range(n):
        v = np.float64(x[i])
        out[i] = v
        t += v
    mean = t / n
    b2 = b3 = b4 = 0.0
    for i in range(n):
        d = out[i] - mean
        d2 = d * d
        b2 += d2
        b3 += d2 * d
        b4 += d2 * d2
    st[0] = mean
    st[1] = b2
    st[2] = b3
    st[3] = b4
    return True


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False)
def exact_sums(u: Any, log_u: Any, log1m_u: Any, s0: int, n: int, eps: float, acc: Any) -> bool:
    """One block of :func:`verifier.stats.gof.exact_statistics`: with ``k_i = 2(s0 + i) + 1``,
    ``a_i = 2n·u_i - k_i`` and ``c_i = clip(u_i, eps, 1 - eps)``,
    ``acc += (max |a_i|, Σ a_i², Σ k_i·ln c_i + (2n - k_i)·ln(1 - c_i))`` (the maximum kept).
    ``log_u``, ``log1m_u``: ``ln u`` and ``ln(1 - u)`` from numpy (its vectorised ``log``/``log1p``:
    libm's, per value, cost 9 ns against 2.5); the rare ``u`` outside ``[eps, 1 - eps]`` get the
    logarithms of ``c`` here."""
    tn = 2.0 * n
    top = 0.0
    cvm = 0.0
    ad = 0.0
    hi = 1.0 - eps
    for i in range(u.shape[0]):
        k = 2.0 * (s0 + i) + 1.0
        v = u[i]
        a = v * tn - k
        top = max(top, abs(a))
        cvm += a * a
        if eps <= v <= hi:
            ad += k * log_u[i] + (tn - k) * log1m_u[i]
        else:
            c = min(max(v, eps), hi)
            ad += k * math.log(c) + (tn - k) * math.log1p(-c)
    acc[0] = max(acc[0], top)
    acc[1] += cvm
    acc[2] += ad
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


@njit(nogil=True, boundscheck=False, inline="always")
def order_key(b: int, maxpos: int) -> int:
    """An integer that orders like the float whose bits (as a signed integer) are ``b``: negative
    floats have their magnitude bits flipped (``maxpos`` = 2^31 - 1 or 2^63 - 1)."""
    b = np.int64(b)
    return b ^ maxpos if b < 0 else b


@njit(nogil=True, boundscheck=False)
def key_range(xb: Any, maxpos: int, mm: Any) -> None:
    """mm = [min, max] of the order keys of a block of finite values (a vectorised integer loop)."""
    lo, hi = mm[0], mm[1]
    for i in range(xb.shape[0]):
        k = order_key(xb[i], maxpos)
        lo = min(lo, k)
        hi = max(hi, k)
    mm[0], mm[1] = lo, hi


@njit(nogil=True, boundscheck=False)
def kept_key_range(xb: Any, keep: Any, maxpos: int, mm: Any) -> None:
    """:func:`key_range` of the values marked in ``keep`` (the finite ones)."""
    for i in range(xb.shape[0]):
        if keep[i]:
            k = order_key(xb[i], maxpos)
            mm[0] = min(mm[0], k)
            mm[1] = max(mm[1], k)


@njit(nogil=True, fastmath=FASTMATH, boundscheck=False, inline="always")
def count(k: int, counts: Any, wide: Any) -> None:
    """counts[k] += 1 in uint8; a wrap past 255 moves 256 into the int64 wide counts."""
    q = counts[k]
    if q == 255:
        wide[k] += 256
        counts[k] = 0
    else:
        counts[k] = q + 1


@njit(nogil=True, boundscheck=False)
def fused_float(x: Any, xb: Any, maxpos: int, c: float, kind: int, p: Any, tab: Any, counts: Any, wide: Any,
                defer: Any, keep: Any, st: Any, mm: Any) -> None:
    """One pass over x: moments about c, non-finite counts, the range and (kind > 0) the PIT bins.

    xb: x's bit patterns as signed integers (a view); the range is kept as ``mm = [min, max]`` of
    the finite values' order keys (:func:`order_key`: integer min/max vectorise without fast-math
    flags, which float min/max need; numpy's min/max afterwards re-read every value, 0.55 ns a value
    once the chunk has left the cache).

    p = [loc, inv_scale, mul, add, sup_lo, sup_hi, z_lo, z_hi, band_b]; tab: the coefficients
    of Φ̃. Per block of SUB values (in L1): the power sums and the bins in one vectorised loop
    (:func:`pit_block`; :func:`moments_block` without a null), then the counts
    (:func:`count_block`, scalar). A block with a non-finite value is redone value by value
    (:func:`slow_block`) and only its finite values are counted.
    """
    n = x.shape[0]
    nb = counts.shape[0]
    nd = int(st[_NDEFER])
    kbuf = np.empty(SUB, dtype=np.int32)
    for s in range(0, n, SUB):
        e = min(n, s + SUB)
        if kind == NONE:
            if moments_block(x, s, e, c, st):
                key_range(xb[s:e], maxpos, mm)
            else:
                slow_block(x, s, e, c, st, keep)
                kept_key_range(xb[s:e], keep, maxpos, mm)
            continue
        xs = x[s:e]
        b1, b2, b3, b4, below, above = pit_block(xs, c, kind, p, tab, nb, kbuf)
        ok = abs(b1) < np.inf and abs(b4) < np.inf  # False for NaN too
        if ok:
            st[_N] += e - s
            st[_S1] += b1
            st[_S2] += b2
            st[_S3] += b3
            st[_S4] += b4
            key_range(xb[s:e], maxpos, mm)
        else:
            slow_block(x, s, e, c, st, keep)
            kept_key_range(xb[s:e], keep, maxpos, mm)
            below = above = 0  # among the finite values only
            for i in range(e - s):
                if keep[i]:
                    below += xs[i] < p[4]
                    above += xs[i] > p[5]
        st[_BELOW] += below
        st[_ABOVE] += above
        nd = count_block(xs, kbuf, ok, keep, counts, wide, defer, nd)
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


@njit(nogil=True, boundscheck=False)
def pit_statistics_block(counts: Any, s0: int, e0: int, carry: int, m: int, n: float, wint: Any, acc: Any) -> None:
    """The KS/CvM/AD sums of bins ``[s0, e0)`` of :func:`verifier.stats.gof.pit_statistics`, one
    loop per bin instead of ~45 array passes (the same float64 operations in the same order per
    bin; the sums are accumulated sequentially, so they agree to rounding, not bit for bit).

    ``carry`` = counts before ``s0``; ``m`` the bin shift of the PIT error; ``wint`` the AD weight
    integrals of the block's bins. ``acc`` = [ks_low, ks_high, cvm, cvm_lo, cvm_hi, ad, ad_lo,
    ad_hi, first_hi, first_cum, last_hi, last_prev].
    """
    b = counts.shape[0]
    inv_b = 1.0 / b
    c_k = carry  # C(k - 1) before bin k, C(k) after adding it
    j = s0 - 1 - m  # C(j) is the lower reach: counts up to bin k - 1 - m
    c_lo = 0
    if j >= 0:
        c_lo = carry
        for i in range(j + 1, s0):
            c_lo -= counts[i]
    h = s0 + m  # C(h) is the upper reach: counts up to bin k + m
    c_hi = carry
    for i in range(s0, min(h, b)):
        c_hi += counts[i]
    ks_low, ks_high = acc[0], acc[1]
    cvm = cvm_lo = cvm_hi = ad = ad_lo = ad_hi = 0.0
    for k in range(s0, e0):
        prev = c_k / n
        c_k += counts[k]
        cum = c_k / n
        lo_c = c_lo / n if j >= 0 else 0.0
        if h < b:
            c_hi += counts[h]
            hi_c = c_hi / n
        else:
            hi_c = 1.0
        upper = (k + 1.0) * inv_b
        lower = k * inv_b
        d = cum - upper
        ks_low = max(ks_low, abs(d))
        ks_high = max(ks_high, cum - lower, upper - prev)
        a = lo_c - upper
        c = hi_c - lower
        hi_dev = max(abs(a), abs(c))
        lo_dev = 0.0 if (a <= 0 and c >= 0) else min(abs(a), abs(c))
        cvm += d * d
        cvm_lo += lo_dev * lo_dev
        cvm_hi += hi_dev * hi_dev
        if upper < 1:
            ad += d * d * (inv_b / (upper * (1 - upper)))
        wk = wint[k - s0]
        ad_hi += hi_dev * hi_dev * wk
        ad_lo += lo_dev * lo_dev * wk
        if k == 0:
            acc[8], acc[9] = hi_dev, cum
        if k == b - 1:
            acc[10], acc[11] = hi_dev, prev
        j += 1
        if j >= 0:
            c_lo += counts[j]
        h += 1
    acc[0], acc[1] = ks_low, ks_high
    acc[2] += cvm * inv_b
    acc[3] += cvm_lo * inv_b
    acc[4] += cvm_hi * inv_b
    acc[5] += ad
    acc[6] += ad_lo
    acc[7] += ad_hi


# ---- the exact null law of the KS statistic at small n -------------------------------------------
# Transcriptions of scipy.stats._ksstats' Durbin-matrix and Pomeranz algorithms (scipy ≥ 1.4), which
# run as Python loops over numpy scalars there: 0.1-2 ms a p-value for n ≤ 140, ~1 µs compiled.

_E128 = 128
_EP128 = 2.0**128
_EM128 = 2.0**-128


@njit(nogil=True)
def ks_durbin_cdf(n, d):
    """``P(D_n ≤ d)`` by Durbin's matrix (Marsaglia, Tsang & Wang 2003) for ``1/(2n) < d < 1``:
    with ``d = (k − h)/n``, ``k`` a positive integer and ``0 ≤ h < 1``, the ``(k, k)`` entry of
    ``(n!/n^n)·H^n`` for the ``(2k−1)²`` matrix ``H`` of the method, by repeated squaring with
    power-of-two rescaling."""
    nd = n * d
    k = int(math.ceil(nd))
    h = k - nd
    m = 2 * k - 1
    H = np.zeros((m, m))
    v = np.empty(m)
    w = np.empty(m)
    fac = 1.0
    for j in range(1, m + 1):
        w[j - 1] = fac
        fac /= j
        v[j - 1] = (1.0 - h**j) * fac
    tt = max(2 * h - 1.0, 0.0) ** m - 2 * h**m
    v[m - 1] = (1.0 + tt) * fac
    for i in range(1, m):
        for r in range(i - 1, m):
            H[r, i] = w[r - i + 1]
    for r in range(m):
        H[r, 0] = v[r]
    for c in range(m):
        H[m - 1, c] = v[m - 1 - c]
    power = np.eye(m)
    nn = n
    expnt = 0
    h_expnt = 0
    while nn > 0:
        if nn % 2:
            power = power @ H
            expnt += h_expnt
        H = H @ H
        h_expnt *= 2
        if abs(H[k - 1, k - 1]) > _EP128:
            H /= _EP128
            h_expnt += _E128
        nn = nn // 2
    p = power[k - 1, k - 1]
    for i in range(1, n + 1):
        p = i * p / n
        if abs(p) < _EM128:
            p *= _EP128
            expnt -= _E128
    return math.ldexp(p, expnt)


@njit(nogil=True, inline="always")
def _pomeranz_range(i, n, ll, ceilf, roundf):
    """The non-zero entries ``[j1, j2]`` of row ``i`` of Pomeranz's recursion."""
    if i == 0:
        j1, j2 = -ll - ceilf - 1, ll + ceilf - 1
    else:
        half, odd = (i + 1) // 2, (i + 1) % 2
        if odd == 0:
            if half == n + 1:
                j1, j2 = n - ll - ceilf - 1, n + ll + ceilf - 1
            else:
                j1, j2 = half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1
        else:
            j1, j2 = half - 1 - ll - 1, half + ll + roundf - 1
    return max(j1 + 2, 0), min(j2, n)


@njit(nogil=True)
def ks_pomeranz_cdf(n, x):
    """``P(D_n ≤ x)`` by Pomeranz's (1974) recursion: ``2n + 1`` rows, each the convolution of the
    previous one with Poisson-like weights ``(g/n)^m/m!``, ``(2g/n)^m/m!`` or ``((1−2g)/n)^m/m!``
    (``g`` the distance of ``n·x`` to the nearest integer); the answer is ``n!`` times the last
    entry, with power-of-two rescaling against underflow."""
    t = n * x
    ll = int(math.floor(t))
    f = t - ll
    g = min(f, 1.0 - f)
    ceilf = 1 if f > 0 else 0
    roundf = 1 if f > 0.5 else 0
    npwrs = 2 * (ll + 1)
    gpower = np.empty(npwrs)
    twogpower = np.empty(npwrs)
    onem2gpower = np.empty(npwrs)
    gpower[0] = twogpower[0] = onem2gpower[0] = 1.0
    g_n, two_g_n, one_m2g_n = g / n, 2 * g / n, (1 - 2 * g) / n
    for m in range(1, npwrs):
        gpower[m] = gpower[m - 1] * g_n / m
        twogpower[m] = twogpower[m - 1] * two_g_n / m
        onem2gpower[m] = onem2gpower[m - 1] * one_m2g_n / m
    v0 = np.zeros(npwrs)
    v1 = np.zeros(npwrs)
    v1[0] = 1.0
    v0s = v1s = 0
    expnt = 0
    j1, j2 = _pomeranz_range(0, n, ll, ceilf, roundf)
    for i in range(1, 2 * n + 2):
        k1 = j1
        v0, v1 = v1, v0
        v0s, v1s = v1s, v0s
        v1[:] = 0.0
        j1, j2 = _pomeranz_range(i, n, ll, ceilf, roundf)
        if i == 1 or i == 2 * n + 1:
            pw = gpower
        elif i % 2:
            pw = twogpower
        else:
            pw = onem2gpower
        ln2 = j2 - k1 + 1
        if ln2 > 0:
            a0 = k1 - v0s  # conv = convolve(v0[a0:a0 + ln2], pw[:ln2]), entries j1 − k1 .. j2 − k1
            la = min(ln2, npwrs - a0)
            lb = min(ln2, npwrs)
            top = 0.0
            for c in range(j2 - j1 + 1):
                q = j1 - k1 + c
                acc = 0.0
                for a in range(max(0, q - lb + 1), min(q, la - 1) + 1):
                    acc += v0[a0 + a] * pw[q - a]
                v1[c] = acc
                top = max(top, acc)
            if 0 < top < _EM128:
                v1 *= _EP128
                expnt -= _E128
            v1s = v0s + j1 - k1
    ans = v1[n - v1s]
    for m in range(1, n + 1):
        if abs(ans) > _EP128:
            ans *= _EM128
            expnt += _E128
        ans *= m
    return math.ldexp(ans, expnt)
