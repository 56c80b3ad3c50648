"""One fused pass over float values, compiled with numba (optional: ``pip install verifier[fast]``).

:func:`verifier.stats.summary.summarize` uses :func:`summarize_fused` for CPU values (numpy
arrays, memmaps, CPU torch tensors) when numba is installed; without numba the torch/numpy
paths are used. Both give the same :class:`~verifier.stats.summary.Summary`: the same
counts, min/max and histogram (exactly), moments to float64 rounding.

One loop per value
    Each chunk of :data:`CHUNK` values is read once. Per value: the finiteness test, the
    range (as integer order keys of the bit patterns: a vectorised loop; float min/max reductions
    vectorise only with ``nnan``, under which NaN detection would be undefined), the power sums ``Σd, Σd², Σd³, Σd⁴`` of ``d = x - c`` about a shift ``c`` (the
    null mean, or the first chunk's mean) in float64, accumulated in blocks of
    :data:`SUB` values whose sums are added to the chunk totals (blocked summation: the
    rounding error grows with ``SUB + n/SUB``, not ``n``), and, in 'pit' mode, the bin
    ``floor(B·F(x))`` of the PIT histogram. Non-finite values are counted and skipped;
    nothing proportional to ``n`` is allocated.

The PIT bin, exactly the reference one
    ``Φ̃(z)`` is branch-free arithmetic, so that LLVM vectorises it (8 float64 lanes with
    AVX-512; a table of polynomials needs gathers, which LLVM does not emit on Intel targets,
    and its loop stayed scalar: 3.3 ns a value). With ``a = min(|z|, 7)``:
    ``Q̃ = exp(P₁₃(2a/7 - 1))``, where ``P₁₃`` (:data:`LOGQ_COEF`) is a degree-13 polynomial
    fitted to ``log Φ(-a)`` on ``[0, 7]`` with weight ``Φ(-a)`` (so its weighted error is the
    absolute error of ``Q̃``: 5.0e-12); ``exp(y) = 2^k·e^r`` with ``k = round(y/ln 2)``,
    ``|r| ≤ ln2/2``, ``e^r`` by a degree-8 minimax polynomial (relative error 7.8e-13) and
    ``2^k`` built from its bits; ``Φ̃ = Q̃`` for ``z < 0``, ``1 - Q̃`` otherwise. Beyond
    ``|z| = 7``, ``Φ(-|z|) ≤ Φ(-7) = 1.3e-12`` is replaced by ``Q̃(7)``. ``Φ̃`` lies in
    ``(0, 1)`` for every input (NaN included). The error ``|Φ̃ - Φ|``, measured on a grid of
    step 1e-5 over ``[-10, 10]`` and at 2e6 random points (the error is a smooth function of
    ``z``: between grid points it exceeds the grid's maximum by ``< 1e-14``), is 5.2e-12;
    ``tests/stats/test_fused.py`` checks it and that :data:`U_BAND` (5e-11) keeps a margin of
    9 over it, which also covers the float64 rounding of ``z`` (the reference divides by
    ``scale`` where the kernel multiplies by ``1/scale``: ``≤ 1e-16`` in ``Φ``) and of
    ``t = B·Φ̃`` (relative 2⁻⁵³). So ``|t - B·F(x)| < B·U_BAND`` with ``F`` the reference cdf
    of :mod:`verifier.theory.distributions` (``scipy.special.ndtr``). If ``t`` is farther than
    ``B·U_BAND`` from an integer, ``floor(t) = floor(B·F(x))``; the values that are not (a
    fraction ``2·B·U_BAND`` of them: 7e-5 at ``n = 5e7``, ``B = 707,107``) are set aside and
    binned afterwards with the reference ``F`` itself. ``t = 0`` and ``t = B`` are no bin
    edges (the reference clamps ``u`` to ``[0, 1]`` and ``floor(B·u)`` to ``B - 1``), so
    values far in the tails, or outside a bounded support, are binned at once, not set aside.
    The histogram therefore equals the numpy reference path's exactly, and ``pit_error`` is 0.
    Uniform nulls use ``t = (clip(x, low, high) - low)·B/width``; truncated normals
    ``t = (Φ̃(z) - Φ(α))·B/Z`` with ``z`` clipped to ``[α, β]`` and the band widened to
    ``B·U_BAND/Z``.
    Per block of :data:`SUB` values (in L1), one vectorised loop computes the power sums and
    writes each value's bin, or -1 (set aside), into an int32 buffer; a scalar loop then adds
    the counts (random increments over the 0.7 MB count array, bound by the L2 cache at about
    0.9 ns a value). The coefficients were fitted by Lawson's iteration (iteratively
    reweighted least squares converging to the minimax fit) in a Chebyshev basis, then
    converted to monomials; the bound stated above is the measured one, not the fit's.

Threads
    The calling thread and ``cpu_workers() - 1`` more Python threads each take the next chunk
    when free (:func:`verifier.stats.kernels._feed_parallel`) and call the compiled kernel with
    the GIL released; samples below :data:`THREAD_MIN` values are
    summarised in the calling thread (no thread is started). numba's own parallel layer is
    not used, so nothing competes with torch's or BLAS's thread pools.

PIT counts
    uint8 per bin (the 0.7 M bins of n = 5e7 stay in a core's L2 cache); a bin that wraps
    past 255 adds 256 to an int64 array (allocated zeroed, touched only on wraps), so the
    counts are exact at any n without a recount.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special

if TYPE_CHECKING:
    from ..theory.distributions import Distribution
    from .summary import Summary

__all__ = ["CHUNK", "THREAD_MIN", "U_BAND", "available", "phi_table", "summarize_fused", "supports"]

CHUNK = 1 << 20
"""Values per chunk handed to one kernel call (the kernel works in blocks of :data:`SUB` values
that stay in L1; a chunk only sets the per-call Python cost, ~0.1 ms: 48 calls at n = 5e7)."""

SUB = 1 << 11
"""Values per block of the blocked float64 power sums."""

THREAD_MIN = 1 << 21
"""Samples with fewer values are summarised in the calling thread (no thread start/join)."""

U_BAND = 5e-11
"""Values whose ``B·ũ`` lies within ``B·U_BAND`` of an integer are re-binned with the
reference cdf (see the module docstring): 9 times the measured ``max |Φ̃ - Φ|``."""

DEFER_CAP = 1 << 12
"""Values set aside per chunk; past this the chunk is binned with the reference cdf. A chunk
sets aside ``CHUNK·2·B·U_BAND`` values on average (18 at ``n = 5e7``, 260 at ``n = 1e10``)
plus ties on a bin edge."""

A_MAX = 7.0
"""``Φ̃(z)`` uses ``a = min(|z|, A_MAX)``: ``Φ(-7) = 1.3e-12``."""

LOGQ_COEF = (
    -8.366065292896003, -13.129869506231852, -5.7762904138358975, -0.16796889053511826,
    0.08322256277144391, -0.03955908495532126, 0.021004927333622827, -0.003380817680598402,
    -0.0012177967612588096, -0.024687948133756372, -0.041898666306063086, -0.03741396058172652,
    -0.018178798710558542, -0.0033960897165280306,
)
"""``log Φ(-a) ≈ Σ LOGQ_COEF[j]·x^j``, ``x = 2a/A_MAX - 1`` on ``[0, A_MAX]``: a weighted minimax
fit of degree 13 (Lawson's iteration on 40,001 points, weight ``Φ(-a)``, so that the error is the
absolute error of ``Φ(-a) = exp(…)``): 5.0e-12. A Chebyshev fit converted to monomials
(``|coefficients| ≤ 13.2``: Horner's rounding on ``|x| ≤ 1`` is ~1e-14 of ``|log Φ(-a)| ≤ 27``)."""


# stats vector layout (float64)
_N, _S1, _S2, _S3, _S4, _MIN, _MAX, _NAN, _POS, _NEG, _BELOW, _ABOVE, _NDEFER = range(13)
_NSTAT = 13

# PIT kinds
NONE, UNIFORM, NORMAL, TRUNC = 0, 1, 2, 3


_DISABLED = False


def available() -> bool:
    """Whether numba imports (the fused path is usable) and the path was not disabled."""
    return not _DISABLED and _kernels() is not None


def disable() -> None:
    """Stop using the fused path in this process (numba failed to compile or cache its kernels)."""
    global _DISABLED
    _DISABLED = True


def call_compiled(kernels: Any, name: str, *args: Any) -> Any:
    """``kernels.<name>(*args)`` for a module of compiled kernels (``None`` where numba is not
    usable: then ``None``). Where numba cannot write the compiled kernel (OSError: a full disk),
    every compiled path is disabled (:func:`disable`) and ``None`` returned: the caller computes the
    same with numpy or scipy."""
    if kernels is None:
        return None
    try:
        return getattr(kernels, name)(*args)
    except OSError:
        disable()
        return None


def supports(dist: Distribution | None, mode: str) -> bool:
    """Whether the fused pass summarises this mode/null (other nulls use the torch/numpy paths)."""
    if mode != "pit":
        return True
    return _pit_kind(dist) != NONE


def _pit_kind(dist: Distribution | None) -> int:
    from ..theory.distributions import Normal, TruncatedNormal, Uniform

    if type(dist) is Uniform:
        return UNIFORM
    if type(dist) is Normal:
        return NORMAL
    if type(dist) is TruncatedNormal and dist._z_mass > 1e-6:
        return TRUNC
    return NONE


@lru_cache(maxsize=1)
def phi_table() -> np.ndarray:
    """What the compiled ``Φ̃`` reads: ``[A_MAX, 2/A_MAX, *LOGQ_COEF]`` (float64; passed at run
    time, not compiled in as constants, so that numba's cache never pairs new coefficients with
    an old ``A_MAX``)."""
    return np.array((A_MAX, 2.0 / A_MAX, *LOGQ_COEF), dtype=np.float64)


@lru_cache(maxsize=1)
def _kernels() -> Any:
    """The compiled kernels (:mod:`verifier.stats.fused_kernels`, loaded from numba's cache when
    it has them); ``None`` without numba."""
    if os.environ.get("VERIFIER_NO_JIT"):
        return None
    try:
        from . import fused_kernels
    except Exception:  # noqa: BLE001 - numba missing or broken: the torch/numpy paths are used
        return None
    return fused_kernels


def phi_fast(z: np.ndarray) -> np.ndarray:
    """``Φ̃(z)`` as the compiled PIT loop computes it (for the tests of the error bound)."""
    z = np.ascontiguousarray(z, dtype=np.float64).ravel()
    out = np.empty_like(z)
    _kernels().phi_values(z, phi_table(), out)
    return out


def _params(dist: Distribution, kind: int, bins: int) -> np.ndarray:
    """Kernel parameters ``[loc, inv_scale, mul, add, sup_lo, sup_hi, z_lo, z_hi, band_b]``."""
    band_b = U_BAND * bins
    if kind == UNIFORM:
        lo, hi = dist.support
        return np.array([lo, 1.0 / (hi - lo), 0, 0, lo, hi, 0, 0, band_b])
    if kind == NORMAL:
        return np.array([dist.loc, 1.0 / dist.scale, float(bins), 0.0, -np.inf, np.inf, -np.inf, np.inf, band_b])
    # truncated: u = (Φ(z) - Φ(α))/Z on [α, β]; the band also covers the float64 error of Φ(α)
    z = dist._z_mass
    lo, hi = dist.support
    pa = float(special.ndtr(dist.alpha))
    return np.array([dist.loc, 1.0 / dist.scale, bins / z, -bins * pa / z, lo, hi,
                     dist.alpha, dist.beta, band_b / z])


def _views(chunks: Iterable[Any], dtype: str) -> Iterator[np.ndarray]:
    """1-D numpy views of at most :data:`CHUNK` values (uint16 bit patterns for 16-bit grids)."""
    from .summary import _to_numpy_block, flat_views

    for arr in chunks:
        for flat in flat_views(arr if isinstance(arr, np.ndarray) else arr.detach()):
            if not isinstance(flat, np.ndarray) and flat.is_contiguous():
                flat = _to_numpy_block(flat, dtype)  # one numpy view of it all: slicing a tensor costs 50 µs
            m = flat.shape[0]
            s = 0
            while s < m:  # the last chunks smaller: the workers finish together
                size = CHUNK if m - s > 4 * CHUNK else CHUNK // 4
                yield _to_numpy_block(flat[s:s + size], dtype)
                s += size


def cpu_only(chunks: Iterable[Any]) -> bool:
    """Whether every chunk is a numpy array or a CPU torch tensor."""
    for c in chunks:
        if isinstance(c, np.ndarray):
            continue
        dev = getattr(c, "device", None)
        if dev is None or getattr(dev, "type", "cpu") != "cpu":
            return False
    return True


_KEY_MAX = np.iinfo(np.int64).max


def _int_type(dtype: np.dtype) -> tuple[type, int]:
    """The signed integer type of a float dtype's bit patterns, and the mask of their magnitude bits."""
    return (np.int32, (1 << 31) - 1) if dtype == np.float32 else (np.int64, (1 << 63) - 1)


def _bits(x: np.ndarray) -> tuple[np.ndarray, int]:
    """``x``'s bit patterns as signed integers (a view) and the mask of their magnitude bits."""
    itype, mask = _int_type(x.dtype)
    return x.view(itype), mask


def _from_keys(mm: np.ndarray, dtype: np.dtype) -> tuple[float, float]:
    """The floats whose order keys (:func:`verifier.stats.fused_kernels.order_key`) are ``mm``."""
    itype, mask = _int_type(dtype)
    bits = np.array([k ^ mask if k < 0 else k for k in (int(mm[0]), int(mm[1]))], dtype=np.int64)
    lo, hi = bits.astype(itype).view(dtype)
    return float(lo), float(hi)


class _FusedAccumulator:
    """One worker's partial summary: stats vector, narrow + wide PIT counts, kept values."""

    def __init__(self, mode: str, dist: Distribution | None, bins: int, shift: float | None) -> None:
        self.mode = mode
        self.dist = dist
        self.st = np.zeros(_NSTAT)
        self.st[_MIN], self.st[_MAX] = np.inf, -np.inf
        self.shift = shift
        self.kind = _pit_kind(dist) if mode == "pit" else NONE
        self.tab = phi_table()
        self.bins = bins
        nb = max(bins, 1)
        self.counts = np.zeros(nb if self.kind else 1, dtype=np.uint8)
        self.wide = np.zeros(nb if self.kind else 1, dtype=np.int64)
        self.params = _params(dist, self.kind, bins) if self.kind else np.zeros(9)
        self.defer = np.empty(DEFER_CAP, dtype=np.float64)
        self.keep = np.empty(SUB, dtype=np.bool_)
        self.extra: list[np.ndarray] = []  # reference-binned values (bins), folded at the end
        self.kept: list[np.ndarray] = []  # exact mode: the chunks (views; finite filter at the end)
        self.parts: dict[int, Any] = {}  # chunk index → its central moments (merged in index order)
        self.ker = _kernels()

    def feed(self, item: tuple[int, np.ndarray]) -> None:
        from .summary import Moments

        index, x = item
        k = int(x.shape[0])
        if k == 0:
            return
        st = np.zeros(_NSTAT)
        st[_MIN], st[_MAX] = np.inf, -np.inf
        c = self.shift
        if c is None:  # no null: shift by the chunk's first finite-looking values' mean
            head = x[:SUB].astype(np.float64)
            head = head[np.isfinite(head)]
            c = float(head.mean()) if head.size else 0.0
        xb, maxpos = _bits(x)
        mm = np.array([_KEY_MAX, -_KEY_MAX - 1], dtype=np.int64)
        self.ker.fused_float(x, xb, maxpos, c, self.kind, self.params, self.tab, self.counts, self.wide,
                             self.defer, self.keep, st, mm)
        nd = int(st[_NDEFER])
        if nd:
            if nd > DEFER_CAP:
                raise _DeferOverflow
            self._rebin(self.defer[:nd].copy())
        m = int(st[_N])
        if m:
            a = st[_S1] / m
            if a * a > 1e6 * max(st[_S2] / m - a * a, 0.0):
                # data far from the shift: this chunk's sums again, about its own mean
                st2 = np.zeros(_NSTAT)
                st2[_MIN], st2[_MAX] = np.inf, -np.inf
                self.ker.fused_float(x, xb, maxpos, c + a, NONE, self.params, self.tab, self.counts,
                                     self.wide, self.defer, self.keep, st2, mm.copy())
                st[_S1:_S4 + 1] = st2[_S1:_S4 + 1]
                c = c + a
            from .kernels import _central_from_power

            part = _central_from_power(m, c, st[_S1], st[_S2], st[_S3], st[_S4], Moments)
            self.parts[index] = part
        for i in (_NAN, _POS, _NEG, _BELOW, _ABOVE):
            self.st[i] += st[i]
        self.st[_N] += k
        if m:
            lo, hi = _from_keys(mm, x.dtype)
            self.st[_MIN] = min(self.st[_MIN], lo)
            self.st[_MAX] = max(self.st[_MAX], hi)
        if self.mode == "exact":
            self.kept.append(x)

    def _rebin(self, v: np.ndarray) -> None:
        """Bin values with the reference cdf (the numpy path's formula)."""
        assert self.dist is not None
        u = self.dist.cdf(v)
        self.extra.append(np.minimum((u * self.bins).astype(np.int64), self.bins - 1))

    def add_counts(self, h: np.ndarray | None) -> np.ndarray:
        """Add this worker's PIT counts (narrow + wide + re-binned) to the int64 histogram ``h``
        (made from the narrow counts when ``None``). In place: every fresh 5.6 MB array of the
        0.7 M bins at n = 5e7 cost ~1 ms of page faults."""
        if h is None:
            h = self.counts.astype(np.int64)
        else:
            np.add(h, self.counts, out=h)
        if np.count_nonzero(self.wide):  # untouched zero pages cost no memory to read
            h += self.wide
        for e in self.extra:  # the few re-binned values
            np.add.at(h, e, 1)
        return h


class _DeferOverflow(Exception):
    """Too many values near bin edges in one chunk (ties on an edge): use the reference path."""


class _GridAccumulator:
    def __init__(self) -> None:
        self.counts = np.zeros((4, 65536), dtype=np.int64)
        self.ker = _kernels()

    def feed(self, item: tuple[int, np.ndarray]) -> None:
        self.ker.grid_counts(item[1], self.counts)


def summarize_fused(chunks: tuple[Any, ...], dtype: str, mode: str, dist: Distribution | None, bins: int,
                    *, workers: int | None = None) -> Summary:
    """The :class:`Summary` of CPU arrays/tensors ``chunks`` from one compiled pass.

    Raises :class:`_DeferOverflow` (caught by :func:`~verifier.stats.summary.summarize`,
    which then uses the reference path) if one chunk has more than :data:`DEFER_CAP` values
    within ``U_BAND`` of a bin edge.
    """
    from .kernels import _feed_parallel, cpu_workers
    from .summary import Moments, Summary, _grid_summary

    n = sum(int(np.prod(getattr(c, "shape", ()), dtype=np.int64)) for c in chunks)
    nw = 1 if n < THREAD_MIN else (workers or cpu_workers())
    if mode == "grid":
        gaccs = [_GridAccumulator() for _ in range(nw)]
        _feed_parallel(enumerate(_views(chunks, dtype)), gaccs)
        counts = sum(g.counts.sum(axis=0) for g in gaccs)
        return _grid_summary(np.asarray(counts, dtype=np.int64), dtype)
    shift = float(dist.mean) if dist is not None and mode == "pit" else None
    accs = [_FusedAccumulator(mode, dist, bins, shift) for _ in range(nw)]
    _feed_parallel(enumerate(_views(chunks, dtype)), accs)
    # the moments are merged in chunk order, whichever thread summarised a chunk: float sums are
    # not associative, and a report must be the same bytes in every run
    parts = {i: part for a in accs for i, part in a.parts.items()}
    moments = Moments()
    for i in sorted(parts):
        moments = moments.merge(parts[i])
    st = np.sum([a.st for a in accs], axis=0)
    lo = min(float(a.st[_MIN]) for a in accs)
    hi = max(float(a.st[_MAX]) for a in accs)
    if moments.n == 0:
        lo = hi = float("nan")
    sorted_values = counts = None
    if mode == "exact":
        kept = [v for a in accs for v in a.kept]
        allv = np.concatenate(kept) if len(kept) > 1 else (kept[0] if kept else np.empty(0))
        if st[_NAN] + st[_POS] + st[_NEG]:
            allv = allv[np.isfinite(allv)]
        sorted_values = np.sort(allv).astype(np.float64)  # sorting commutes with exact upcasting
    elif mode == "pit":
        counts = None
        for a in accs:
            counts = a.add_counts(counts)
    return Summary(dtype, mode, int(st[_N]), int(st[_NAN]), int(st[_POS]), int(st[_NEG]), moments, lo, hi,
                   sorted_values, counts, int(st[_BELOW]), int(st[_ABOVE]), pit_error=0.0)
