"""Goodness-of-fit statistics and their null distributions.

Two forms of the same tests:

*exact*, from the sorted probability-integral transforms ``u_(1) <= ... <= u_(n)`` of
the data under the null CDF ``F`` (``u = F(x)``);

*grouped*, from counts ``c_k`` of observations in consecutive groups whose upper edges
have null cumulative probability ``G_k``. Groups are either the representable values
of a low-precision dtype (the null is then the distribution rounded to that grid, and the
statistics are exact for that discrete null) or equal-width bins of ``u`` (a streamed
approximation with a certified error bound, see :func:`ks_grouped`).

For a discrete (grouped) null the p-values below, taken from the continuous laws, are
conservative: the grouped statistic is a supremum / integral over fewer points than the
continuous one, so it is stochastically smaller under the null (Noether 1963 for KS;
Choulakian, Lockhart & Stephens 1994 for Anderson-Darling). The test suite checks the
calibration by simulation.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import fused
from .gof_laws import ad_pvalue, cvm_pvalue, ks_pvalue

__all__ = [
    "GofStatistic",
    "exact_statistics",
    "ks_exact",
    "ks_grouped",
    "ad_exact",
    "ad_grouped",
    "ks_pvalue",
    "ad_pvalue",
    "cvm_exact",
    "cvm_grouped",
    "cvm_pvalue",
    "pit_statistics",
]

# Smallest u used inside logarithms. Exactly 0 or 1 only arises from rounding of values
# at a bound of the support (probability ~2^-24 per float32 value); the clip bounds the
# term's contribution to (2i-1)/n * 27.6 instead of infinity.
_U_CLIP = 1e-12


@dataclass(frozen=True)
class GofStatistic:
    """A goodness-of-fit statistic with the interval it is certified to lie in.

    ``value`` is the statistic used for the p-value; ``low``/``high`` bound the statistic
    of the ungrouped data (equal to ``value`` when computed exactly).
    """

    value: float
    low: float
    high: float

    @property
    def bound(self) -> float:
        """Half-open width of the certified interval (0 when exact)."""
        return self.high - self.low


_EXACT_BLOCK = 1 << 16
"""Order statistics processed at a time by the exact statistics (memory O(block))."""


def _blocks(n: int) -> range:
    return range(0, n, _EXACT_BLOCK)


def exact_statistics(u_sorted: np.ndarray) -> tuple[GofStatistic, GofStatistic, GofStatistic]:
    r"""Kolmogorov-Smirnov, Anderson-Darling and Cramér-von Mises statistics from sorted
    ``u_i = F(x_(i))``, in blocks of :data:`_EXACT_BLOCK` sharing ``k_i = 2i − 1`` and
    ``a_i = 2n·u_(i) − k_i`` (``2n`` times the deviation from the plotting position):

    .. math::
        D &= \max_i \max(i/n - u_{(i)},\ u_{(i)} - (i-1)/n) = \frac{1 + \max_i |a_i|}{2n}
        \quad(\sup_x |F_n(x) - F(x)|,\ \text{ties included}),\\
        A^2 &= -n - \frac1n \sum_i \left[k_i \ln u_{(i)} + (2n - k_i) \ln(1 - u_{(i)})\right]
        \quad(u\ \text{clipped to}\ [ε, 1 - ε],\ ε = 10^{-12}),\\
        W^2 &= \frac{1}{12n} + \sum_i \left(u_{(i)} - \frac{2i-1}{2n}\right)^2 = \frac{1}{12n} + \frac{\sum_i a_i^2}{4n^2}.
    """
    n = u_sorted.size
    if n == 0:
        zero = GofStatistic(0.0, 0.0, 0.0)
        return zero, zero, zero
    kernels = fused._kernels() if fused.available() else None
    acc = np.zeros(3)  # max |a|, Σ a², the AD sum
    for s0 in _blocks(n):
        u = u_sorted[s0:s0 + _EXACT_BLOCK]
        if kernels is not None:
            with np.errstate(divide="ignore", invalid="ignore"):  # u = 0 or 1: the kernel clips those
                log_u = np.log(u)
                log1m_u = np.negative(u)
                np.log1p(log1m_u, out=log1m_u)
            if fused.call_compiled(kernels, "exact_sums", u, log_u, log1m_u, s0, n, _U_CLIP, acc) is not None:
                continue
        c = np.clip(u, _U_CLIP, 1.0 - _U_CLIP)  # numpy: the same sums
        _, k, a = _plotting_deviations(u_sorted, s0, n)
        acc[0] = max(acc[0], float(np.abs(a).max()))
        acc[1] += _dot(a, a)
        acc[2] += _dot(k, np.log(c)) + _dot(2.0 * n - k, np.log1p(-c))
    top, cvm_sum, ad_sum = (float(v) for v in acc)
    if math.isnan(cvm_sum):  # a NaN u: NaN statistics (the compiled maximum and clip would skip it)
        top = ad_sum = math.nan
    d = (1.0 + top) / (2 * n)
    a2 = float(-n - ad_sum / n)
    w2 = 1.0 / (12 * n) + cvm_sum / (4.0 * n * n)
    return GofStatistic(d, d, d), GofStatistic(a2, a2, a2), GofStatistic(w2, w2, w2)


def _plotting_deviations(u_sorted: np.ndarray, s0: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The block of ``u`` from order statistic ``s0`` on, its ``k_i = 2i − 1`` and ``a_i = 2n·u_(i) − k_i``."""
    u = u_sorted[s0:s0 + _EXACT_BLOCK]
    k = np.arange(2 * s0 + 1, 2 * (s0 + u.size), 2, dtype=np.float64)
    return u, k, u * (2.0 * n) - k


def ks_exact(u_sorted: np.ndarray) -> GofStatistic:
    """Kolmogorov-Smirnov distance from sorted ``u_i``, as :func:`exact_statistics` computes it
    without the AD and CvM sums (the identification scores many laws by KS alone)."""
    n = u_sorted.size
    top = -math.inf
    for s0 in _blocks(n):
        a = _plotting_deviations(u_sorted, s0, n)[2]
        top = max(top, float(a.max()), -float(a.min()))
    d = (1.0 + top) / (2 * n) if n else 0.0
    return GofStatistic(d, d, d)


def ks_grouped(counts: np.ndarray, upper: np.ndarray | None, *, within_group: bool = False,
               u_error: float = 0.0) -> GofStatistic:
    r"""KS distance from group counts.

    Parameters
    ----------
    counts : int array, counts ``c_k`` of observations in group ``k`` (groups ordered).
    upper : float array, null CDF at the upper edge of each group, ``G_k`` (``G_{K-1} = 1``).
    within_group : bool
        ``False`` when the data are constant within a group (a dtype grid): the statistic
        ``max_k |C_k/n - G_k|`` is then the exact KS distance against the discrete null.
        ``True`` when the groups are bins of continuous data: the distance of the
        ungrouped data lies in ``[low, high]`` with

        .. math:: low = \max_k |C_k/n - G_k|,\quad
                  high = \max_k \max(C_k/n - G_{k-1},\ G_k - C_{k-1}/n)

        so ``high - low`` is at most the largest group probability (``1/B`` for ``B``
        equal bins). ``value = low`` is used for the p-value (conservative).
    u_error : float
        Bound ``δ`` on the error of the computed ``u = F(x)`` that assigned values to bins
        (``Summary.pit_error``). The binned ECDF then lies between the true one shifted by
        ``±δ``, so the true distance is within ``δ`` of the binned one: ``[low - δ, high + δ]``.
    """
    if upper is None:  # equal bins of u: blockwise, O(block) memory
        return pit_statistics(counts, u_error)[0]
    n = counts.sum()
    cum = np.cumsum(counts) / n
    low = float(np.max(np.abs(cum - upper))) if cum.size else 0.0
    if not within_group:
        return GofStatistic(low, low, low)
    high = max(float(np.max(cum[:-1] - upper[:-1], initial=0.0)) if cum.size > 1 else 0.0, 0.0)
    # max_k (C_k/n - G_{k-1}) and max_k (G_k - C_{k-1}/n), with C_{-1} = G_{-1} = 0
    high = max(float(cum[0]), float(np.max(cum[1:] - upper[:-1], initial=0.0)),
               float(upper[0]), float(np.max(upper[1:] - cum[:-1], initial=0.0)))
    return GofStatistic(low, max(low - u_error, 0.0), max(high, low) + u_error)


def _deviation_ranges(cum: np.ndarray, upper: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Smallest and largest ``|F_n(t) - F(t)|`` possible inside each bin of continuous data.

    In bin ``k`` (``G_{k-1} ≤ t ≤ G_k``) the ECDF lies between ``C_{k-1-m}/n`` and
    ``C_{k+m}/n`` (``m = shift`` bins of possible misbinning, 0 when ``u`` is exact), so
    ``F_n - F`` ranges over ``[C_{k-1-m}/n - G_k, C_{k+m}/n - G_{k-1}]``.
    """
    b = cum.size
    lower = np.concatenate(([0.0], upper[:-1]))
    lo_c = np.concatenate((np.zeros(shift + 1), cum[:b - shift - 1])) if b > shift + 1 else np.zeros(b)
    hi_c = np.concatenate((cum[shift:], np.ones(shift))) if shift else cum
    return _bin_deviations(lo_c, hi_c, lower, upper)


def _bin_deviations(lo_c: np.ndarray, hi_c: np.ndarray, lower: np.ndarray,
                    upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest ``|F_n - F|`` in bins ``[lower, upper]`` whose ECDF lies in ``[lo_c, hi_c]``."""
    a = lo_c - upper  # smallest F_n - F in the bin
    c = hi_c - lower  # largest
    hi_dev = np.maximum(np.abs(a), np.abs(c))
    lo_dev = np.where((a <= 0) & (c >= 0), 0.0, np.minimum(np.abs(a), np.abs(c)))
    return lo_dev, hi_dev


def _shift(u_error: float, bins: int) -> int:
    return int(math.ceil(u_error * bins)) if u_error > 0 else 0


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """``Σ a_i b_i`` without BLAS: np.dot's BLAS thread pool would compete with the summary
    workers for the cores (measured 2-7x slower checks under load); einsum's loop is single-threaded."""
    return float(np.einsum("i,i->", a, b))


PIT_BLOCK = 1 << 16
"""Bins processed at a time by :func:`pit_statistics` (memory O(block), not O(bins))."""

PIT_THREAD_BLOCKS = 2
"""With at least twice this many blocks, :func:`pit_statistics` splits them between two threads
(numpy and the compiled block loop release the GIL): 9 → 5 ms at the 0.7 M bins of n = 5e7."""

def _pit_block_numpy(counts: np.ndarray, s0: int, e0: int, carry: int, m: int, n: float, wint: np.ndarray,
                     acc: np.ndarray) -> None:
    """The KS/CvM/AD sums of bins ``[s0, e0)`` for :func:`pit_statistics` (the numpy path; numba's
    :func:`verifier.stats.fused_kernels.pit_statistics_block` does the same per bin), added to
    ``acc`` (its layout is :func:`pit_statistics`'s)."""
    b = int(counts.size)
    inv_b = 1.0 / b
    lo = max(0, s0 - 1 - m)
    hi = min(b, e0 + m)
    base = carry - int(counts[lo:s0].sum())
    ext = (base + np.cumsum(counts[lo:hi], dtype=np.int64)) / n  # C_j/n, j in [lo, hi)
    k = np.arange(s0, e0, dtype=np.float64)
    upper = (k + 1) * inv_b
    lower = k * inv_b
    cum = ext[s0 - lo:e0 - lo]
    prev = ext[s0 - 1 - lo:e0 - 1 - lo] if s0 > 0 else np.concatenate(([0.0], cum[:-1]))
    # C_{k-1-m}/n and C_{k+m}/n (0 before the first bin, 1 after the last): slices of ext
    lo_c = np.zeros(e0 - s0)
    j0, v0, v1 = s0 - 1 - m, max(s0 - 1 - m, 0), max(e0 - 1 - m, 0)
    if v1 > v0:
        lo_c[v0 - j0:v1 - j0] = ext[v0 - lo:v1 - lo]
    hi_c = np.ones(e0 - s0)
    v0, v1 = min(s0 + m, b), min(e0 + m, b)
    if v1 > v0:
        hi_c[:v1 - v0] = ext[v0 - lo:v1 - lo]
    d = cum - upper
    acc[0] = max(acc[0], float(np.max(np.abs(d))))
    acc[1] = max(acc[1], float(np.max(cum - lower)), float(np.max(upper - prev)))
    lo_dev, hi_dev = _bin_deviations(lo_c, hi_c, lower, upper)
    acc[2] += float(_dot(d, d)) * inv_b
    acc[3] += float(_dot(lo_dev, lo_dev)) * inv_b
    acc[4] += float(_dot(hi_dev, hi_dev)) * inv_b
    ok = upper < 1
    w = np.where(ok, inv_b / np.where(ok, upper * (1 - upper), 1.0), 0.0)
    acc[5] += float(_dot(d * d, w))
    acc[6] += float(_dot(lo_dev * lo_dev, wint))
    acc[7] += float(_dot(hi_dev * hi_dev, wint))
    if s0 == 0:
        acc[8], acc[9] = float(hi_dev[0]), float(cum[0])
    if e0 == b:
        acc[10], acc[11] = float(hi_dev[-1]), float(prev[-1])


_PIT_CACHE: list[tuple[np.ndarray, float, tuple[GofStatistic, GofStatistic, GofStatistic]]] = []


def pit_statistics(counts: np.ndarray, u_error: float = 0.0,
                   block: int = PIT_BLOCK) -> tuple[GofStatistic, GofStatistic, GofStatistic]:
    """KS, AD and CvM with certified bounds from a histogram of ``u`` in ``B`` equal bins.

    The same statistics and bounds as :func:`ks_grouped`, :func:`ad_grouped` and
    :func:`cvm_grouped` with ``upper = (k+1)/B`` and ``within_group=True``, computed in one
    pass over blocks of bins with a running cumulative count, so that extra memory is
    O(block) even for millions of bins. The last result is cached (the three checks read
    the same histogram).
    """
    for c, e, res in _PIT_CACHE:
        if c is counts and e == u_error:
            return res
    b = int(counts.size)
    n = float(counts.sum())
    m = _shift(u_error, b)
    # [ks_low, ks_high, cvm, cvm_lo, cvm_hi, ad, ad_lo, ad_hi, first_hi, first_cum, last_hi, last_prev]
    acc = np.zeros(12)
    block_sums = _pit_block_numpy
    if counts.dtype == np.int64:
        kernels = fused._kernels() if fused.available() else None
        # one compiled loop per block (20 ms → 6 ms at 0.7 M bins), compiled or loaded here, in the
        # calling thread, on no bins (the same types); numpy where it cannot be written
        fused.call_compiled(kernels, "pit_statistics_block", counts, 0, 0, 0, m, n, np.empty(0), np.zeros(12))
        if kernels is not None and fused.available():
            block_sums = kernels.pit_statistics_block
    starts = np.arange(0, b, block, dtype=np.int64)
    carries = np.concatenate(([0], np.cumsum(np.add.reduceat(counts, starts), dtype=np.int64)[:-1]))

    def blocks(first: int, last: int, into: np.ndarray) -> None:
        for i in range(first, last):
            s0, e0 = int(starts[i]), min(b, int(starts[i]) + block)
            k = np.arange(s0, e0, dtype=np.float64)
            # ∫ du/(u(1-u)) over the bin = logit(upper) - logit(lower) = log((k+1)(B-k) / (k(B-k-1)))
            # = log1p(B / (k(B-k-1))), as (k+1)(B-k) = k(B-k-1) + B; 0 for the two end bins (their
            # tails are bounded separately below)
            with np.errstate(divide="ignore", invalid="ignore"):
                wint = np.where((k > 0) & (k < b - 1), np.log1p(b / (k * (b - k - 1))), 0.0)
            block_sums(counts, s0, e0, int(carries[i]), m, n, wint, into)

    half = starts.size // 2
    if half >= PIT_THREAD_BLOCKS:  # the second half of the blocks in a second thread (a fixed split:
        later = np.zeros(12)       # the sums are added in the same order in every run)
        with ThreadPoolExecutor(max_workers=1) as pool:
            second = pool.submit(blocks, half, starts.size, later)
            blocks(0, half, acc)
            second.result()  # its error, if any, is raised here: a lost half would give wrong statistics
        acc[0], acc[1] = max(acc[0], later[0]), max(acc[1], later[1])
        acc[2:8] += later[2:8]
        acc[10:12] = later[10:12]
    else:
        blocks(0, starts.size, acc)
    ks_low, ks_high, cvm_val, cvm_lo, cvm_hi, ad_val, ad_lo, ad_hi, first_hi, first_cum, last_hi, last_prev = \
        (float(v) for v in acc)
    inv_b = 1.0 / b
    eps = _U_CLIP
    g0 = inv_b
    if b > 1:
        a0 = max(first_hi, first_cum)
        ad_hi += (a0 * a0 * math.log(max(g0 / eps, 1.0)) + g0 * g0 / 2) / (1 - g0)
        a1 = max(last_hi, 1.0 - last_prev)
        ad_hi += (a1 * a1 * math.log(max(g0 / eps, 1.0)) + g0 * g0 / 2) / (1 - g0)
    ks = GofStatistic(ks_low, max(ks_low - u_error, 0.0), max(ks_high, ks_low) + u_error)
    ad = GofStatistic(n * ad_val, min(n * ad_lo, n * ad_val), max(n * ad_hi, n * ad_val))
    cvm = GofStatistic(n * cvm_val, min(n * cvm_lo, n * cvm_val), max(n * cvm_hi, n * cvm_val))
    res = (ks, ad, cvm)
    _PIT_CACHE[:] = [(counts, u_error, res)]
    return res


def ad_exact(u_sorted: np.ndarray) -> GofStatistic:
    """Anderson-Darling statistic from sorted ``u_i`` (:func:`exact_statistics`)."""
    return exact_statistics(u_sorted)[1]


def ad_grouped(counts: np.ndarray, upper: np.ndarray | None, *, within_group: bool = False,
               u_error: float = 0.0) -> GofStatistic:
    r"""Anderson-Darling statistic for grouped data (discrete form).

    .. math:: A^2 = n \sum_k \frac{(C_k/n - G_k)^2}{G_k (1 - G_k)}\, p_k

    over groups with ``0 < G_k < 1``, ``p_k = G_k - G_{k-1}`` (Choulakian, Lockhart &
    Stephens 1994). For a dtype grid this is the exact statistic against the rounded null.
    For equal bins of continuous data it approximates
    :math:`n\int (F_n - F)^2 / (F(1-F))\,dF`; the ungrouped value lies between the sums of
    the smallest and largest squared deviation possible in each bin
    (:func:`_deviation_ranges`, which also accounts for ``u_error``) times the exact
    weight integral :math:`\int w = \mathrm{logit}(G_k) - \mathrm{logit}(G_{k-1})`. In the
    two end bins the weight is not integrable; as :func:`ad_exact` clips ``u`` to
    ``[ε, 1-ε]`` (ε = 1e-12), the first bin contributes at most
    :math:`(C_0/n)^2\ln(G_0/ε) + G_0^2/2` over ``1 - G_0`` (using
    :math:`(a-t)^2 ≤ a^2 + t^2`), and the last symmetrically.
    ``upper=None`` means equal bins of ``u`` (:func:`pit_statistics`).
    """
    if upper is None:
        return pit_statistics(counts, u_error)[1]
    n = counts.sum()
    cum = np.cumsum(counts) / n
    lower = np.concatenate(([0.0], upper[:-1]))
    p = upper - lower
    ok = (upper > 0) & (upper < 1) & (p > 0)
    g = upper[ok]
    diff = cum[ok] - g
    value = float(n * np.sum(diff * diff * p[ok] / (g * (1 - g))))
    if not within_group:
        return GofStatistic(value, value, value)
    lo_dev, hi_dev = _deviation_ranges(cum, upper, _shift(u_error, counts.size))
    inner = (lower > 0) & (upper < 1)
    with np.errstate(divide="ignore"):
        logit = np.log(upper) - np.log1p(-upper)
        logit_lo = np.log(lower) - np.log1p(-lower)
    wint = np.where(inner, logit - logit_lo, 0.0)
    high = float(np.sum(hi_dev[inner] ** 2 * wint[inner]))
    low = float(np.sum(lo_dev[inner] ** 2 * wint[inner]))
    eps = _U_CLIP
    g0 = float(upper[0])
    if 0 < g0 < 1:
        a = float(max(hi_dev[0], cum[0]))
        high += (a * a * math.log(max(g0 / eps, 1.0)) + g0 * g0 / 2) / (1 - g0)
    gl = float(1.0 - lower[-1])
    if 0 < gl < 1:
        a = float(max(hi_dev[-1], 1.0 - (cum[-2] if cum.size > 1 else 0.0)))
        high += (a * a * math.log(max(gl / eps, 1.0)) + gl * gl / 2) / (1 - gl)
    return GofStatistic(value, min(n * low, value), max(n * high, value))


def cvm_exact(u_sorted: np.ndarray) -> GofStatistic:
    """Cramér-von Mises statistic from sorted ``u_i`` (:func:`exact_statistics`)."""
    return exact_statistics(u_sorted)[2]


def cvm_grouped(counts: np.ndarray, upper: np.ndarray | None, *, within_group: bool = False,
                u_error: float = 0.0) -> GofStatistic:
    r"""Cramér-von Mises statistic for grouped data.

    .. math:: W^2 = n \sum_k (C_k/n - G_k)^2\, p_k

    (Choulakian, Lockhart & Stephens 1994: the exact statistic against a discrete null on a
    dtype grid). For equal bins of continuous data the ungrouped
    :math:`n\int (F_n - F)^2 dF` lies between ``n Σ p_k lo_k²`` and ``n Σ p_k hi_k²`` with
    the per-bin deviation ranges of :func:`_deviation_ranges`. ``upper=None`` means equal
    bins of ``u`` (:func:`pit_statistics`).
    """
    if upper is None:
        return pit_statistics(counts, u_error)[2]
    n = counts.sum()
    cum = np.cumsum(counts) / n
    lower = np.concatenate(([0.0], upper[:-1]))
    p = upper - lower
    diff = cum - upper
    value = float(n * np.sum(diff * diff * p))
    if not within_group:
        return GofStatistic(value, value, value)
    lo_dev, hi_dev = _deviation_ranges(cum, upper, _shift(u_error, counts.size))
    low = float(n * np.sum(lo_dev * lo_dev * p))
    high = float(n * np.sum(hi_dev * hi_dev * p))
    return GofStatistic(value, min(low, value), max(high, value))
