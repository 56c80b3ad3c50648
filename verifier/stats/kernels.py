"""Fast, chunked, multithreaded summary kernels on torch (CPU or CUDA).

:func:`verifier.stats.summary.summarize` calls :func:`summarize_torch` for CUDA tensors, and
for CPU values when the fused compiled pass (:mod:`verifier.stats.fused`, numba) is not
installed or does not support the null: torch tensors, and large numpy arrays (memmaps
included, through :func:`torch.from_numpy`, no copy) when torch is installed. Without torch the numpy path in ``summary.py`` is used; both give
the same :class:`~verifier.stats.summary.Summary` (the same counts, moments to rounding).

Memory
    Values are read in chunks of :data:`CPU_CHUNK` values (``CUDA_CHUNK`` on a GPU) into a
    few preallocated buffers (two float64, one float32, one int32 of chunk length: 24 bytes
    per chunk value, 6 MiB on CPU), plus the histogram (uint8 counts folded into int64: 9
    bytes per bin; 28 MiB at n = 1e9). Nothing proportional to n is allocated; no full sort for large n.

Moments
    Per chunk in float64: the chunk is copied into a float64 buffer and the power sums
    ``Σd, Σd², Σd³, Σd⁴`` about a shift (the null mean in pit mode, else the chunk mean)
    computed with float64 accumulation; chunks are merged with Pébay's formulas
    (:meth:`Moments.merge`). One exception, on CPU float32 chunks with a zero shift:
    ``Σd³, Σd⁴`` come from float32 products and dot products (relative error ~1e-6), which
    keeps the chunk in cache. They feed only the sample skewness and kurtosis (diagnosis,
    identification), never a test; ``Σd`` and ``Σd²`` (the mean and variance tests) stay
    float64.

The PIT histogram and its certified error
    Bin ``k`` of ``B`` holds the values with ``floor(B·F(x)) = k``. On CPU, for normal and
    (mildly) truncated normal nulls on float32 data, ``B·u = A·erf(z') + C`` is computed in
    float32 with ``z' = (x - μ)/(σ√2)`` (float32 ``erf`` is vectorised and within 1 ulp;
    the bound used, :data:`ERF32_ERROR`, is twice what a dense sweep measures). The
    computed ``ũ`` is thus within ``δ`` of the exact ``u`` (:func:`pit_error`: about
    2.1e-7 for a normal null, against ``1/B = 3.2e-7`` at n = 1e9 and ``1.4e-6`` at 5e7).
    If every ``|ũ_i - u_i| ≤ δ`` then ``F_n(t-δ) ≤ F̃_n(t) ≤ F_n(t+δ)``, so the KS distance of
    the exact ``u`` is within ``δ`` of that of ``ũ``: the certified KS interval is widened
    by ``δ`` on each side (``Summary.pit_error``), and the AD/CvM bounds allow each value to
    sit ``ceil(δB)`` bins from where it was counted (:func:`verifier.stats.gof.pit_statistics`).
    Uniform nulls are binned in float64 (δ ≈ 3e-14); so are float64 data and everything on
    CUDA (where float64 is cheap and float32 ``erf`` is less accurate).
"""

from __future__ import annotations

import math
import os
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .grid import GRID_DTYPES
from .summary import flat_views

if TYPE_CHECKING:
    from ..theory.distributions import Distribution
    from .summary import Summary

__all__ = ["CPU_CHUNK", "CUDA_CHUNK", "ERF32_ERROR", "pit_error", "torch_available", "summarize_torch"]

CPU_CHUNK = 1 << 18
"""Values per chunk on CPU (float64 buffers of 2 MiB stay in the L2 cache)."""

CUDA_CHUNK = 1 << 26
"""Values per chunk on a GPU (fewer, larger kernels; device memory is plentiful)."""

GRID_CHUNK = 1 << 20

SPILL_PERIOD = 16
"""uint8 PIT counts are folded into int64 every ``SPILL_PERIOD·B`` values per worker: a
bin of a conforming sample then expects 16 counts, and wrapping past 255 is detected."""


class _CountsWrapped(Exception):
    """A uint8 PIT bin wrapped between two folds (detected exactly; the caller recounts)."""
"""Values per chunk for the 16-bit bit-pattern histogram."""

EPS32 = 2.0**-24
ERF32_ERROR = 2 * EPS32
"""Bound on the absolute error of torch's float32 ``erf`` on CPU (1 ulp measured over a
dense sweep of [-12, 12]; tested in ``tests/stats/test_streaming.py`` with this 2x margin)."""

FLOAT64_ERROR = 2.0**-45
"""Bound on the PIT error of the float64 paths (a few float64 ulps of ``B·u``, generous)."""


def torch_available(load: bool = False) -> Any:
    """torch if it is imported (or, with ``load``, importable), else ``None``."""
    mod = sys.modules.get("torch")
    if mod is not None or not load:
        return mod
    try:
        import torch
    except Exception:  # pragma: no cover - torch missing or broken
        return None
    return torch


def _fast_kind(dist: Distribution, dtype: str, device: str) -> str:
    """How the PIT is computed: 'normal32', 'normal64', 'uniform64', 'trunc32', 'trunc64' or 'numpy'."""
    from ..theory.distributions import Normal, TruncatedNormal, Uniform

    wide = dtype == "float64" or device != "cpu"
    if type(dist) is Uniform:
        return "uniform64"
    if type(dist) is Normal:
        return "normal64" if wide else "normal32"
    if type(dist) is TruncatedNormal:
        z = dist._z_mass
        if z >= 0.5 and max(abs(dist.alpha), abs(dist.beta)) < 40:
            return "trunc64" if wide else "trunc32"
        return "trunc64" if z >= 1e-6 else "numpy"
    return "numpy"


def pit_error(dist: Distribution, dtype: str, device: str = "cpu") -> float:
    """Certified bound ``δ`` on ``|ũ - F(x)|`` of the computed PIT (see the module docstring)."""
    kind = _fast_kind(dist, dtype, device)
    # u·B = erf(z')·A + C in float32, z' = (x - μ)/(σ√2):
    #   erf error / 2                                  ≤ ERF32_ERROR/2
    #   z' rounding (relative 2·2⁻²⁴), times max |d erf/dz'|·|z'|/2 = e^{-1/2}/√(2π)·... ≤ 0.5·2⁻²⁴
    #   the multiply-add rounding in float32 at magnitude ≤ B            ≤ 2·2⁻²⁴
    if kind == "normal32":
        return ERF32_ERROR / 2 + 0.5 * EPS32 + 2 * EPS32
    if kind == "trunc32":
        # u = (Φ(z) - Φ(α))/Z: the erf and z' errors are divided by Z (≥ 0.5); the clamp of z'
        # to the float32-rounded bounds adds ≤ 0.5·2⁻²⁴/Z; A·erf may reach B/(2Z) in magnitude.
        z = dist._z_mass
        return (ERF32_ERROR / 2 + 0.5 * EPS32 + 0.5 * EPS32) / z + EPS32 * (1 + 1 / (2 * z))
    if kind == "trunc64":
        return FLOAT64_ERROR / dist._z_mass
    if kind == "numpy":
        return 0.0  # the reference float64 cdf itself
    return FLOAT64_ERROR


class _NoWriteWarning(warnings.catch_warnings):
    """Silence torch's warning about wrapping read-only numpy arrays (we only read)."""

    def __enter__(self) -> None:
        super().__enter__()
        warnings.filterwarnings("ignore", message=".*non-writable.*")
        warnings.filterwarnings("ignore", message=".*not writable.*")


def iter_torch_chunks(chunks: Iterable[Any], dtype: str, chunk: int | None = None) -> Iterator[Any]:
    """Yield 1-D torch tensors of at most ``chunk`` values (``int16`` bit patterns for 16-bit grids).

    numpy arrays are wrapped with :func:`torch.from_numpy` (no copy); pieces much shorter
    than a chunk (rows of an odd-strided array) are gathered into chunk-sized tensors so
    the per-chunk overhead stays small.
    """
    import torch

    pending: list[Any] = []
    pending_n = 0
    for arr in chunks:
        is_numpy = isinstance(arr, np.ndarray)
        pieces = flat_views(arr if is_numpy else arr.detach())
        for piece in pieces:
            if is_numpy:
                if dtype in GRID_DTYPES:
                    piece = piece.view(np.int16)
                with _NoWriteWarning():
                    t = torch.from_numpy(piece) if piece.size else None
                if t is None:
                    continue
            else:
                t = piece.view(torch.int16) if dtype in GRID_DTYPES else piece
            size = chunk or (CUDA_CHUNK if t.device.type == "cuda" else CPU_CHUNK)
            m = t.shape[0]
            if m < size // 4:
                pending.append(t)
                pending_n += m
                if pending_n >= size:
                    yield torch.cat(pending)
                    pending, pending_n = [], 0
                continue
            for start in range(0, m, size):
                yield t[start:start + size]
    if pending:
        yield torch.cat(pending)


class _Buffers:
    """Preallocated per-chunk work buffers on one device."""

    def __init__(self, torch: Any, size: int, device: Any, need_pit: bool, count_dtype: Any) -> None:
        self.size = size
        self.f64 = torch.empty(size, dtype=torch.float64, device=device)
        self.tmp64 = torch.empty(size, dtype=torch.float64, device=device)
        self.f32 = torch.empty(size, dtype=torch.float32, device=device) if need_pit else None
        index_dtype = torch.int64 if count_dtype == torch.int64 else torch.int32
        self.idx = torch.empty(size, dtype=index_dtype, device=device) if need_pit else None
        self.ones = torch.ones(size, dtype=count_dtype, device=device) if need_pit else None


class _FloatAccumulator:
    """Accumulates counts, min/max, moments and the PIT histogram over float chunks."""

    def __init__(self, torch: Any, dtype: str, mode: str, dist: Distribution | None, bins: int,
                 device: Any, narrow: bool = True) -> None:

        self.torch = torch
        self.dtype = dtype
        self.mode = mode
        self.dist = dist
        self.bins = bins
        self.device = device
        self.n_total = self.n_nan = self.n_pos = self.n_neg = 0
        self.n_below = self.n_above = 0
        self.lo = math.inf
        self.hi = -math.inf
        self.parts: dict[int, Any] = {}  # chunk index → its moments, merged in index order (_combine)
        self.kept: list[Any] = []  # exact mode: finite values per chunk
        self.bufs: _Buffers | None = None
        self.counts = None
        self.kind = "numpy"
        self.spill: np.ndarray | None = None  # int64 store the narrow counts are folded into
        self.since_spill = 0
        dev = "cpu" if torch.device(device).type == "cpu" else "cuda"
        # CPU workers count in uint8 (the 0.7 M bins of n = 5e7 then fit in a core's L2
        # cache: the random increments cost a third of int32's), folded into int64 every
        # SPILL_PERIOD·B values. A bin that wrapped past 255 in between is detected
        # exactly at the fold (the uint8 counts then sum to less than the values added:
        # Σ (c mod 256) = Σ c - 256·wraps) and the summary is recomputed with int32
        # counts (``narrow=False``), which spill before they could overflow.
        if dev != "cpu":
            self.count_dtype = torch.int64
        else:
            self.count_dtype = torch.uint8 if narrow else torch.int32
        self.spill_limit = SPILL_PERIOD * (bins + 1) if self.count_dtype == torch.uint8 else 2**31 - 1
        if mode == "pit":
            assert dist is not None
            # one extra bin for u·B == B (u rounded to 1), folded into the last at the end
            self.counts = torch.zeros(bins + 1, dtype=self.count_dtype, device=device)
            self.kind = _fast_kind(dist, dtype, dev)
            self.error = pit_error(dist, dtype, dev)
            self.support = dist.support
        else:
            self.error = 0.0
        self.shift = float(dist.mean) if mode == "pit" and dist is not None else None

    def _buffers(self, k: int) -> _Buffers:
        if self.bufs is None or self.bufs.size < k:
            self.bufs = _Buffers(self.torch, k, self.device, self.mode == "pit", self.count_dtype)
        return self.bufs

    def _finite(self, x: Any) -> Any:
        """Count and drop non-finite values (the rare slow path)."""
        torch = self.torch
        self.n_nan += int(torch.isnan(x).sum())
        self.n_pos += int(torch.isposinf(x).sum())
        self.n_neg += int(torch.isneginf(x).sum())
        return x[torch.isfinite(x)]

    def feed(self, item: tuple[int, Any]) -> None:
        """Add chunk ``(index, x)``: its moments are kept per chunk index, so the merge order, hence
        the float64 rounding of the result, does not depend on which thread took which chunk."""
        torch = self.torch
        from .summary import Moments

        index, x = item
        k = int(x.shape[0])
        if k == 0:
            return
        self.n_total += k
        bufs = self._buffers(k)
        b = bufs.f64[:k]
        b.copy_(x)
        # Power sums about a shift c: the null mean in pit mode (often 0: no subtraction),
        # the chunk mean otherwise. Σ(x - c) is finite iff every value is (float64 cannot
        # overflow on float32 data), so it doubles as the finiteness test.
        c = self.shift
        if c is not None and c != 0.0:
            b.sub_(c)
        s1 = float(b.sum())
        if not math.isfinite(s1):
            x = self._finite(x)
            k = int(x.shape[0])
            if k == 0:
                return
            b = bufs.f64[:k]
            b.copy_(x)
            if c is not None and c != 0.0:
                b.sub_(c)
            s1 = float(b.sum())
        if c is None:  # shift by the chunk mean
            c = s1 / k
            b.sub_(c)
            s1 = float(b.sum())
        lo, hi = (float(v) for v in torch.aminmax(x))
        self.lo = min(self.lo, lo)
        self.hi = max(self.hi, hi)
        if self.mode == "exact":
            self.kept.append(x.clone())
        elif self.mode == "pit":
            self._pit(x, b, k, lo, hi)
        s2 = float(torch.dot(b, b))
        q = bufs.tmp64[:k]
        if c == 0.0 and x.dtype == torch.float32 and x.device.type == "cpu":
            # Σx³, Σx⁴ only feed the sample skewness/kurtosis (diagnosis, identification),
            # never a test: float32 products and dot products (relative error ~1e-6, far
            # below their sampling error) keep the chunk in cache; Σx, Σx² stay float64.
            sq = bufs.f32[:k] if bufs.f32 is not None else torch.empty_like(x)
            torch.mul(x, x, out=sq)
            s3 = float(torch.dot(sq, x))
            s4 = float(torch.dot(sq, sq))
        else:
            torch.mul(b, b, out=q)
            s3 = float(torch.dot(q, b))
            s4 = float(torch.dot(q, q))
        a = s1 / k
        if a * a > 1e6 * max(s2 / k - a * a, 0.0) and self.shift is not None:
            # data far from the null mean: redo this chunk's sums about its own mean
            b.copy_(x)
            cm = float(b.sum()) / k
            b.sub_(cm)
            s1, s2 = float(b.sum()), float(torch.dot(b, b))
            torch.mul(b, b, out=q)
            s3, s4, c = float(torch.dot(q, b)), float(torch.dot(q, q)), cm
        self.parts[index] = _central_from_power(k, c, s1, s2, s3, s4, Moments)

    def _pit(self, x: Any, b: Any, k: int, lo: float, hi: float) -> None:
        """Add the chunk to the PIT histogram; ``b`` holds ``x - shift`` in float64."""
        torch = self.torch
        dist = self.dist
        bufs = self.bufs
        assert bufs is not None and dist is not None and self.counts is not None
        c = self.shift or 0.0
        low, high = self.support
        if lo < low or hi > high:  # exact comparisons in float64 (rare path)
            xd = x.double()
            self.n_below += int((xd < low).sum())
            self.n_above += int((xd > high).sum())
        q = bufs.tmp64[:k]
        idx = bufs.idx[:k]
        B = self.bins
        kind = self.kind
        if kind == "uniform64":
            torch.add(b, c - dist.low, out=q)
            q.mul_(B / dist.width)
            q.clamp_(0.0, float(B))
            idx.copy_(q)
        elif kind in ("normal32", "trunc32"):
            # u·B = (1 + erf(z/√2))·B/2: float32 erf is fast and accurate (see pit_error)
            f = bufs.f32[:k]
            s = 1.0 / (dist.scale * math.sqrt(2.0))
            if dist.loc == 0.0:
                torch.mul(x, s, out=f)
            else:
                torch.add(b, c - dist.loc, out=q)
                q.mul_(s)
                f.copy_(q)
            if kind == "trunc32":
                f.clamp_(dist.alpha / math.sqrt(2.0), dist.beta / math.sqrt(2.0))
            torch.erf(f, out=f)
            if kind == "trunc32":
                from scipy import special

                z = dist._z_mass
                f.mul_(B / (2.0 * z)).add_(B * (0.5 - float(special.ndtr(dist.alpha))) / z)
                f.clamp_(0.0, float(B))
            else:
                f.mul_(B / 2.0).add_(B / 2.0)
            idx.copy_(f)
        elif kind in ("normal64", "trunc64"):
            if c == dist.loc:  # b is already x - loc (a normal's shift is its loc)
                torch.mul(b, 1.0 / dist.scale, out=q)
            else:
                torch.add(b, c - dist.loc, out=q)
                q.mul_(1.0 / dist.scale)
            if kind == "trunc64":
                q.clamp_(dist.alpha, dist.beta)
                torch.special.ndtr(q, out=q)
                from scipy import special

                q.sub_(float(special.ndtr(dist.alpha)))
                q.mul_(B / dist._z_mass)
                q.clamp_(0.0, float(B))
            else:
                torch.special.ndtr(q, out=q)
                q.mul_(B)  # in [0, B]: the extra bin takes u = 1, no clamp needed
            idx.copy_(q)
        else:  # any other distribution: its own float64 cdf on the host
            u = dist.cdf(b.cpu().numpy() + c)
            ii = np.minimum((u * B).astype(np.int64), B - 1)
            idx.copy_(torch.from_numpy(ii))
        if self.count_dtype != torch.int64 and self.since_spill + k >= self.spill_limit:
            self._spill()
        self.since_spill += k
        # index_add_ into persistent narrow counts: no per-chunk B-bin temporary (batched
        # bincount measured 10-20 % slower here, its zeroing competing for cache).
        self.counts.index_add_(0, idx, bufs.ones[:k])

    def _spill(self) -> None:
        assert self.counts is not None
        c = self.counts.cpu().numpy().astype(np.int64)
        if int(c.sum()) != self.since_spill:
            raise _CountsWrapped
        self.spill = c if self.spill is None else self.spill + c
        self.counts.zero_()
        self.since_spill = 0

    def histogram(self) -> np.ndarray:
        """The PIT counts as int64 (frees the device counts)."""
        assert self.counts is not None
        self._spill()  # fold the last counts in, checking they did not wrap
        c, self.counts, self.spill = self.spill, None, None
        assert c is not None
        c[-2] += c[-1]
        return c[:-1]



def _combine(accs: list[_FloatAccumulator]) -> Summary:
    """The summary of all accumulators (disjoint parts of one sample)."""
    from .summary import Moments, Summary

    a0 = accs[0]
    moments = Moments()
    parts = {i: part for a in accs for i, part in a.parts.items()}
    for i in sorted(parts):  # chunk order, whichever thread summarised a chunk: reproducible reports
        moments = moments.merge(parts[i])
    lo = min(a.lo for a in accs)
    hi = max(a.hi for a in accs)
    if moments.n == 0:
        lo = hi = float("nan")
    sorted_values = counts = None
    if a0.mode == "exact":
        kept = [v.cpu().numpy() for a in accs for v in a.kept]
        if kept:
            allv = np.concatenate(kept) if len(kept) > 1 else kept[0]
            sorted_values = np.sort(allv).astype(np.float64)  # sorting commutes with exact upcasting
        else:
            sorted_values = np.empty(0, dtype=np.float64)
    elif a0.mode == "pit":
        for a in accs:
            a.bufs = None
        counts = accs[0].histogram()
        for a in accs[1:]:
            counts += a.histogram()
    return Summary(a0.dtype, a0.mode, sum(a.n_total for a in accs), sum(a.n_nan for a in accs),
                   sum(a.n_pos for a in accs), sum(a.n_neg for a in accs), moments, lo, hi, sorted_values, counts,
                   sum(a.n_below for a in accs), sum(a.n_above for a in accs), pit_error=a0.error)


def _central_from_power(k: int, mean: float, s1: float, s2: float, s3: float, s4: float, cls: Any) -> Any:
    r"""Moments from sums of powers of ``d = x - c`` (``c`` near the mean, ``Σd = s1`` small)."""
    a = s1 / k  # exact mean is c + a
    m2 = s2 - k * a * a
    m3 = s3 - 3 * a * s2 + 2 * k * a**3
    m4 = s4 - 4 * a * s3 + 6 * a * a * s2 - 3 * k * a**4
    return cls(k, mean + a, max(m2, 0.0), m3, max(m4, 0.0))


class _GridAccumulator:
    """Histogram over the 65,536 bit patterns of int16 chunks."""

    def __init__(self, torch: Any) -> None:
        self.torch = torch
        self.counts = None

    def feed(self, bits: Any) -> None:
        torch = self.torch
        w = bits.to(torch.int32)
        w.bitwise_and_(0xFFFF)
        c = torch.bincount(w, minlength=65536)
        self.counts = c if self.counts is None else self.counts.add_(c)


_THREADS_LOCK = threading.Lock()


def cpu_workers() -> int:
    """Worker threads for CPU summaries: torch's intra-op thread count (without torch: the
    cores this process may run on), at most the cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch = torch_available()
    n = torch.get_num_threads() if torch is not None else cores
    return max(1, min(n, cores))


def _feed_parallel(items: Iterator[Any], accs: list[Any]) -> None:
    """Feed chunks to accumulators: the calling thread and one thread per further accumulator
    each pull the next chunk when they are free (whole chunks per worker: the load balances
    itself, and at most one chunk per worker is in flight).

    torch's own intra-op parallelism is switched off meanwhile (and restored): one OpenMP
    barrier per elementwise op on a small chunk is fast on an idle machine but collapses
    (10x slower measured) when another process holds a core; independent workers that
    each own whole chunks degrade gracefully. No thread only hands out chunks: a feeding
    thread took a core's share from the workers on a 2-core machine.
    """
    torch = torch_available()
    if len(accs) == 1:
        for x in items:
            accs[0].feed(x)
        return
    lock = threading.Lock()  # a generator may not be advanced by two threads at once
    errors: list[BaseException] = []

    def run(acc: Any) -> None:
        while not errors:
            with lock:
                x = next(items, _DONE)
            if x is _DONE:
                return
            try:
                acc.feed(x)
            except BaseException as exc:  # re-raised in the calling thread
                errors.append(exc)

    with _THREADS_LOCK:
        prev = torch.get_num_threads() if torch is not None else 1
        if torch is not None:
            torch.set_num_threads(1)
        try:
            threads = [threading.Thread(target=run, args=(a,), daemon=True) for a in accs[1:]]
            for t in threads:
                t.start()
            try:
                run(accs[0])
            finally:
                for t in threads:
                    t.join()
        finally:
            if torch is not None:
                torch.set_num_threads(prev)
    if errors:
        raise errors[0]


_DONE = object()


def summarize_torch(chunks: Iterable[Any], dtype: str, mode: str, dist: Distribution | None, bins: int,
                    *, chunk: int | None = None, workers: int | None = None) -> Summary:
    """The :class:`Summary` of torch tensors / numpy arrays ``chunks``, computed with torch.

    On CPU, ``workers`` threads (default :func:`cpu_workers`) each summarise whole chunks;
    their partial summaries are merged. CUDA tensors are summarised on their GPU; only the
    summary (the histogram and a few scalars) comes back to the host.
    """
    import torch

    from .summary import _grid_summary

    items = iter_torch_chunks(chunks, dtype, chunk or (GRID_CHUNK if mode == "grid" else None))
    first = next(items, None)
    device = first.device if first is not None else torch.device("cpu")
    nw = 1 if device.type != "cpu" else (workers or cpu_workers())

    def all_items() -> Iterator[Any]:
        if first is not None:
            yield first
        for x in items:
            yield x if x.device == device else x.to(device)

    if mode == "grid":
        gaccs = [_GridAccumulator(torch) for _ in range(nw)]
        _feed_parallel(all_items(), gaccs)
        counts = np.zeros(65536, dtype=np.int64)
        for g in gaccs:
            if g.counts is not None:
                counts += g.counts.cpu().numpy()
        return _grid_summary(counts, dtype)
    accs = [_FloatAccumulator(torch, dtype, mode, dist, bins, device) for _ in range(nw)]
    try:
        _feed_parallel(enumerate(all_items()), accs)
        return _combine(accs)
    except _CountsWrapped:
        # values concentrated in a few PIT bins (ties, a far wrong scale): count again, wide
        items = iter_torch_chunks(chunks, dtype, chunk)
        first = next(items, None)
        accs = [_FloatAccumulator(torch, dtype, mode, dist, bins, device, narrow=False) for _ in range(nw)]
        _feed_parallel(enumerate(all_items()), accs)
        return _combine(accs)
