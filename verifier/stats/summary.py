"""One-pass, mergeable summaries of a sample.

A :class:`Summary` holds everything the checks need: counts of non-finite values,
min/max, central moments (float64 accumulators, merged with Pébay's parallel formulas)
and one of three goodness-of-fit representations:

``exact``  the sorted finite values (float32/float64 samples up to ``EXACT_MAX`` values);
``grid``   a histogram over the 65,536 bit patterns (float16/bfloat16, any size): exact;
``pit``    a histogram of ``u = F(x)`` in ``B = ceil(100·√n)`` equal bins (large float32/
           float64 samples): KS within a certified ``1/B``.

Two summaries of disjoint parts merge into the summary of the whole (``a.merge(b)``).
Values are read in blocks, so extra memory is O(block + bins), never a float64 copy of
the whole tensor.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from . import fused
from .grid import GRID_DTYPES, grid_values, grids_holding
from .moments import Moments

if TYPE_CHECKING:
    from ..sources.sample import Sample
    from ..theory.distributions import Distribution

__all__ = ["EXACT_MAX", "BLOCK", "GRID_PROBE", "TORCH_MIN", "Moments", "Summary", "summarize", "pit_bins", "iter_blocks",
           "flat_views", "streamed_grid"]

EXACT_MAX = 1 << 14
"""Largest float32/float64 sample kept (sorted) for exact KS, AD and CvM. Above it the streamed
PIT histogram (``B = 100·√n`` bins: its certified bounds cost < 1 % of KS's resolution). The whole
verdict on the exact and on the streamed path at the same n (``benchmarks/speed.py``: one process,
interleaved, best of 7, the same checks on both paths), exact/streamed, two runs on 2 cores (stop
20): 0.49–0.51 at 2^12, 0.60–0.61 at 2^14, 0.80–0.87 at 2^15, 0.93–0.94 at 2^16, 0.92–0.94 at
2^18 and 1.72–1.75 at 2^20 (the sort and the exact statistics over every value). Stop 19 measured
0.80–0.85 at 2^12, 0.96–0.99 at 2^14 and 1.19–1.29 at 2^15–2^16, which set the switch here; it
could now move up to 2^16–2^18 (not done: it changes which tensors get certified bounds rather
than exact statistics)."""


BLOCK = 1 << 20
"""Values read per block."""

NUMPY_EXACT_MAX = 1 << 14
"""Exact summaries of at most this many values (all of them, at the default :data:`EXACT_MAX`) are
made by :func:`_exact_block_summary` whatever the backend choice (``'auto'``): numpy's sort, then the
float64 copy and the moments in one compiled call where numba is usable. The fused pass's fixed cost
(accumulators, views, the merge) does not pay off at these sizes (25 µs at n = 1e3 for numpy's sort
and reductions against 60 for the fused pass)."""


def pit_bins(n: int) -> int:
    """Number of equal PIT bins for ``n`` values: ``ceil(100·√n)`` (KS error ≤ 1/B ≤ 0.01/√n)."""
    return int(math.ceil(100.0 * math.sqrt(max(n, 1))))


@dataclass(frozen=True)
class Summary:
    """Everything the checks read, from one pass over the values."""

    dtype: str
    mode: str  # 'exact' | 'grid' | 'pit'
    n_total: int
    n_nan: int
    n_posinf: int
    n_neginf: int
    moments: Moments
    min: float
    max: float
    sorted_values: np.ndarray | None = None
    counts: np.ndarray | None = None
    n_below: int = 0  # pit mode: finite values below the null's support
    n_above: int = 0
    pit_error: float = 0.0  # pit mode: bound on |computed u - F(x)| (widens the certified bounds)
    shards: int | None = None  # a distributed tensor: how many ranks' shards were merged (None: one tensor)
    repeated_shards: int = 0  # shards whose values repeat another shard's (the same seed on every rank)
    stored_as: str | None = None  # grid mode: the float32/float64 dtype of values all found on this 16-bit grid

    @property
    def n(self) -> int:
        """Number of finite values."""
        return self.moments.n

    @property
    def n_nonfinite(self) -> int:
        return self.n_nan + self.n_posinf + self.n_neginf

    @property
    def value_grids(self) -> tuple[str, ...]:
        """Exact mode: the 16-bit grids holding every (finite, sorted) value
        (:func:`~verifier.stats.grid.grids_holding`), asked for the grid re-expression of the
        summary and the structure checks' cell model and computed once (kept in the instance dict,
        without ``functools.cached_property``'s lock); ``()`` in the other modes."""
        grids = self.__dict__.get("_value_grids")
        if grids is None:
            grids = grids_holding(self.sorted_values) if self.mode == "exact" and self.sorted_values is not None else ()
            self.__dict__["_value_grids"] = grids
        return grids

    @property
    def bins(self) -> int:
        """Number of PIT bins (pit mode), else 0."""
        return int(self.counts.size) if self.mode == "pit" and self.counts is not None else 0

    def merge(self, other: Summary) -> Summary:
        """Summary of the union of two disjoint samples summarised the same way."""
        if (self.dtype, self.mode) != (other.dtype, other.mode):
            raise ValueError("cannot merge summaries of different dtype or mode")
        sorted_values = counts = None
        if self.mode == "exact":
            assert self.sorted_values is not None and other.sorted_values is not None
            sorted_values = np.sort(np.concatenate([self.sorted_values, other.sorted_values]), kind="mergesort")
        else:
            assert self.counts is not None and other.counts is not None
            if self.counts.shape != other.counts.shape:
                raise ValueError("cannot merge histograms with different bins")
            counts = self.counts + other.counts
        return replace(
            self,
            n_total=self.n_total + other.n_total,
            n_nan=self.n_nan + other.n_nan,
            n_posinf=self.n_posinf + other.n_posinf,
            n_neginf=self.n_neginf + other.n_neginf,
            moments=self.moments.merge(other.moments),
            min=_nanmin(self.min, other.min),
            max=_nanmax(self.max, other.max),
            sorted_values=sorted_values,
            counts=counts,
            n_below=self.n_below + other.n_below,
            n_above=self.n_above + other.n_above,
            pit_error=max(self.pit_error, other.pit_error),
        )


def _nanmin(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else min(a, b)


def _nanmax(a: float, b: float) -> float:
    return b if math.isnan(a) else a if math.isnan(b) else max(a, b)


def flat_views(a: Any) -> Iterator[Any]:
    """Yield 1-D views covering ``a`` (numpy array or torch tensor) without copying it whole.

    Contiguous arrays are viewed flat; a permutation of a dense array (a transpose) is read
    flat in storage order; anything else is split along the first axis until the pieces are.
    """
    is_numpy = isinstance(a, np.ndarray)
    if a.ndim <= 1:
        yield a.reshape(-1)
        return
    if a.flags.c_contiguous if is_numpy else a.is_contiguous():
        yield a.reshape(-1)
        return
    strides = [abs(st) for st in a.strides] if is_numpy else list(a.stride())
    perm = sorted(range(a.ndim), key=lambda d: -strides[d])
    p = a.transpose(perm) if is_numpy else a.permute(*perm)
    if p.flags.c_contiguous if is_numpy else p.is_contiguous():
        yield p.reshape(-1)
        return
    for i in range(a.shape[0]):
        yield from flat_views(a[i])


def _to_numpy_block(t: Any, dtype: str) -> np.ndarray:
    """A numpy block from a numpy or torch 1-D block (bit patterns for 16-bit grids)."""
    if isinstance(t, np.ndarray):
        return t.view(np.uint16) if dtype in GRID_DTYPES else t
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if dtype in GRID_DTYPES:
        import torch

        return t.contiguous().view(torch.int16).numpy().view(np.uint16)
    return t.numpy()


def iter_blocks(sample: Sample, block: int = BLOCK) -> Iterator[np.ndarray]:
    """Yield the sample's values as 1-D numpy blocks of at most ``block`` values.

    float16/bfloat16 blocks are uint16 bit patterns; others keep their float dtype.
    """
    for chunk in sample.chunks:
        for flat in flat_views(chunk):
            for start in range(0, flat.shape[0], block):
                yield _to_numpy_block(flat[start:start + block], sample.dtype)


def _nonfinite_counts(x: np.ndarray) -> tuple[int, int, int]:
    """``(NaN, +inf, -inf)`` counts of ``x``."""
    return int(np.isnan(x).sum()), int(np.isposinf(x).sum()), int(np.isneginf(x).sum())


def _exact_block_summary(x: np.ndarray, dtype: str, compiled: bool = False) -> Summary:
    """The exact summary of one block: its values sorted once, in float64 (sorting commutes with
    exact upcasting). NaN sorts last and ±inf to the ends, so finite ends mean finite values (no
    separate pass looks for them); the range is read at the ends. ``compiled``: the float64 copy and
    the moments in one compiled call (:func:`verifier.stats.fused_kernels.widen_with_moments`,
    where numba is usable), equal to :meth:`Moments.of` to float64 rounding."""
    s = np.sort(x)
    n_all = int(s.size)
    n_nan = n_pos = n_neg = 0
    if n_all and not (math.isfinite(s[0]) and math.isfinite(s[-1])):
        n_nan, n_pos, n_neg = _nonfinite_counts(s)
        s = s[np.isfinite(s)]
    if not s.size:
        nan = float("nan")
        return Summary(dtype, "exact", n_all, n_nan, n_pos, n_neg, Moments(), nan, nan, s.astype(np.float64))
    moments = None
    if compiled:
        wide, st = np.empty(s.size), np.empty(4)
        if fused.call_compiled(fused._kernels(), "widen_with_moments", s, wide, st) is not None:
            moments = Moments(int(s.size), float(st[0]), float(st[1]), float(st[2]), float(st[3]))
    if moments is None:
        wide = s.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # huge values: inf/NaN moments, judged by the checks
            moments = Moments.of(wide)
    return Summary(dtype, "exact", n_all, n_nan, n_pos, n_neg, moments, float(wide[0]), float(wide[-1]), wide)


def _pit_block_summary(x: np.ndarray, dtype: str, dist: Distribution, bins: int) -> Summary:
    """The streamed summary of one block: moments, range and the PIT histogram of ``bins`` bins."""
    n_all = int(x.size)
    n_nan = n_pos = n_neg = 0
    with np.errstate(over="ignore", invalid="ignore"):
        all_finite = bool(np.isfinite(x.sum(dtype=np.float64)))
    if not all_finite:
        n_nan, n_pos, n_neg = _nonfinite_counts(x)
        x = x[np.isfinite(x)]
    n_below = n_above = 0
    lo = float(x.min()) if x.size else float("nan")
    hi = float(x.max()) if x.size else float("nan")
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: inf/NaN moments, judged by the checks
        moments = Moments.of(x)
    low, high = dist.support
    if x.size and (lo < low or hi > high):
        # exact comparisons in float64 (a Python float would be cast to the data's dtype)
        n_below = int((x < np.float64(low)).sum())
        n_above = int((x > np.float64(high)).sum())
    u = dist.cdf(x)
    idx = np.minimum((u * bins).astype(np.int64), bins - 1)
    counts = np.bincount(idx, minlength=bins).astype(np.int64)
    return Summary(dtype, "pit", n_all, n_nan, n_pos, n_neg, moments, lo, hi, None, counts, n_below, n_above)


def _grid_summary(counts: np.ndarray, dtype: str) -> Summary:
    grid = grid_values(dtype)
    finite = np.isfinite(grid)
    fc = counts[finite]
    fv = grid[finite]
    present = fc > 0
    moments = Moments.of_counts(fv[present], fc[present])
    lo = float(fv[present].min()) if present.any() else float("nan")
    hi = float(fv[present].max()) if present.any() else float("nan")
    return Summary(
        dtype, "grid", int(counts.sum()),
        int(counts[np.isnan(grid)].sum()),
        int(counts[np.isposinf(grid)].sum()),
        int(counts[np.isneginf(grid)].sum()),
        moments, lo, hi, None, counts,
    )


def choose_mode(dtype: str, n: int, exact_max: int = EXACT_MAX) -> str:
    """'grid' for 16-bit floats, 'exact' up to ``exact_max`` values, else 'pit'."""
    if dtype in GRID_DTYPES:
        return "grid"
    return "exact" if n <= exact_max else "pit"


TORCH_MIN = 1 << 22
"""Numpy samples at least this large are summarised with torch when it is installed
(importing torch costs about a second; below this, numpy is fast enough)."""


def _use_torch(sample: Sample, mode: str) -> bool:
    from .kernels import torch_available

    torch = torch_available()
    if torch is not None and any(isinstance(c, torch.Tensor) for c in sample.chunks):
        return True
    if mode == "exact":
        return False
    if torch is not None:
        return True
    return sample.n >= TORCH_MIN and torch_available(load=True) is not None


GRID_PROBE = 4096
"""Values read first to decide whether a streamed float32/float64 sample may lie on a 16-bit grid."""


def streamed_grid(sample: Sample, block: int = BLOCK) -> Summary | None:
    """The grid summary of a float32/float64 sample whose values all lie on the bfloat16 (or
    float16) grid, else ``None``: the bit histogram of that grid, exact at any ``n``.

    A continuous float32 value is bfloat16-representable with probability 2⁻¹⁶: the first
    :data:`GRID_PROBE` values decide whether the pass is tried (one more read, bounded
    memory); any value off the grid ends it. (Exact summaries are re-expressed on a grid by
    :func:`verifier.stats.null.on_detected_grid` from their sorted values.)
    """
    from .grid import detect_grid, grid_bits

    probe = next(iter_blocks(sample, GRID_PROBE), None)
    g = detect_grid(np.asarray(probe, dtype=np.float64)) if probe is not None else None
    if g is None:
        return None
    counts = np.zeros(65536, dtype=np.int64)
    for x in iter_blocks(sample, block):
        bits = grid_bits(x, g)
        if bits is None:
            return None
        counts += np.bincount(bits, minlength=65536)
    return replace(_grid_summary(counts, g), stored_as=sample.dtype)


def summarize(sample: Sample, dist: Distribution | None = None, *, exact_max: int = EXACT_MAX,
              block: int = BLOCK, backend: str = "auto", detect_grid: bool = True) -> Summary:
    """Summarise a sample in one pass over blocks.

    ``dist`` (the null distribution) is needed only in 'pit' mode, where values are
    binned by ``u = dist.cdf(x)``. ``backend``: ``'auto'`` (the compiled fused pass of
    :mod:`verifier.stats.fused` for CPU values when numba is installed and the null is
    supported; else torch kernels for torch tensors, and for numpy arrays when torch is
    loaded or the array is large; see :mod:`verifier.stats.kernels`; one Triton kernel for
    CUDA tensors in 'pit' mode, :mod:`verifier.stats.gpu`), ``'fused'``, ``'gpu'``,
    ``'torch'`` or ``'numpy'`` (no torch needed). Extra memory is O(block + bins) either way.
    ``detect_grid``: a streamed float32/float64 sample whose values all lie on a 16-bit grid is
    summarised on that grid (:func:`streamed_grid`; its ``stored_as`` says so).
    """
    mode = choose_mode(sample.dtype, sample.n, exact_max)
    if mode == "pit" and dist is None:
        raise ValueError("a streamed (pit) summary needs the null distribution")
    bins = pit_bins(sample.n) if mode == "pit" else 0
    if backend not in ("auto", "fused", "gpu", "torch", "numpy"):
        raise ValueError(f"backend must be 'auto', 'fused', 'gpu', 'torch' or 'numpy', got {backend!r}")
    if getattr(sample, "shard", None) is not None:  # one rank's shard of a distributed tensor
        from ..distributed import merge_across_ranks

        local = replace(sample, shard=None)
        part = summarize(local, dist, exact_max=exact_max, block=block, backend=backend, detect_grid=False) \
            if _has_values(local) else _empty_summary(sample.dtype, mode, bins)
        return merge_across_ranks(part, sample)  # (shards are not re-expressed on a grid: ranks could disagree)
    if backend == "auto" and mode == "exact" and sample.n <= NUMPY_EXACT_MAX:
        return _summarize_numpy(sample, dist, mode, bins, block, compiled=fused.available())
    if detect_grid and mode == "pit" and sample.dtype in ("float32", "float64"):
        on_grid = streamed_grid(sample, block)
        if on_grid is not None:
            return on_grid
    if backend in ("auto", "gpu") and mode == "pit":
        from . import gpu

        usable = gpu.supports(dist, mode) and gpu.on_cuda(sample.chunks) and gpu.available()
        if backend == "gpu" and not usable:
            raise ValueError("the gpu backend needs CUDA tensors, Triton (pip install verifier[gpu]) and a "
                             "normal, truncated normal or uniform null")
        if usable:
            return gpu.summarize_triton(sample.chunks, sample.dtype, mode, dist, bins)
    if backend in ("auto", "fused"):
        usable = fused.available() and fused.supports(dist, mode) and fused.cpu_only(sample.chunks)
        if backend == "fused" and not usable:
            raise ValueError("the fused backend needs numba (pip install verifier[fast]), CPU values "
                             "and a normal, truncated normal or uniform null")
        if usable:
            try:
                return fused.summarize_fused(sample.chunks, sample.dtype, mode, dist, bins)
            except fused._DeferOverflow:  # many values on bin edges: the reference path
                return _summarize_numpy(sample, dist, mode, bins, block)
            except OSError:  # numba could not write its compiled kernels (a full disk): the other paths
                if backend == "fused":
                    raise
                fused.disable()
    if backend == "torch" or (backend == "auto" and _use_torch(sample, mode)):
        from .kernels import summarize_torch

        chunk = None if block == BLOCK else block
        return summarize_torch(sample.chunks, sample.dtype, mode, dist, bins, chunk=chunk)
    return _summarize_numpy(sample, dist, mode, bins, block)


def _has_values(sample: Sample) -> bool:
    return any(int(np.prod(getattr(c, "shape", ()), dtype=np.int64)) for c in sample.chunks)


def _empty_summary(dtype: str, mode: str, bins: int) -> Summary:
    """The summary of no values (a rank whose shard is empty or replicates another's)."""
    if mode == "grid":
        return _grid_summary(np.zeros(65536, dtype=np.int64), dtype)
    nan = float("nan")
    if mode == "exact":
        return Summary(dtype, mode, 0, 0, 0, 0, Moments(), nan, nan, sorted_values=np.empty(0))
    return Summary(dtype, mode, 0, 0, 0, 0, Moments(), nan, nan, counts=np.zeros(bins, dtype=np.int64))


def _summarize_numpy(sample: Sample, dist: Distribution | None, mode: str, bins: int, block: int,
                     compiled: bool = False) -> Summary:
    """The numpy reference path, block by block (``compiled``: exact blocks through
    :func:`_exact_block_summary`'s compiled call)."""
    if mode == "grid":
        counts = np.zeros(65536, dtype=np.int64)
        for bits in iter_blocks(sample, block):
            counts += np.bincount(bits, minlength=65536)
        return _grid_summary(counts, sample.dtype)
    if mode == "exact":
        parts = [_exact_block_summary(x, sample.dtype, compiled) for x in iter_blocks(sample, block)]
        assert parts
        if len(parts) == 1:
            return parts[0]
        kept = [p.sorted_values for p in parts]  # sorted once at the end, not at every merge
        total = replace(parts[0], sorted_values=np.empty(0))
        for part in parts[1:]:
            total = total.merge(replace(part, sorted_values=np.empty(0)))
        return replace(total, sorted_values=np.sort(np.concatenate(kept)))  # type: ignore[arg-type]
    streamed: Summary | None = None
    for x in iter_blocks(sample, block):  # one block's histogram at a time: memory O(block + bins)
        assert dist is not None
        part = _pit_block_summary(x, sample.dtype, dist, bins)
        streamed = part if streamed is None else streamed.merge(part)
    assert streamed is not None
    return streamed
