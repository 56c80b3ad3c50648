"""Structure checks: what a streaming summary of the marginal law cannot see.

A tensor made of four identical blocks, float16 subnormals flushed to zero, a clamp that piles
values on a truncation bound, rows repeated: each keeps the marginal law close enough that KS,
AD and the moment tests pass, yet the values are not ``n`` independent draws. The checks here
read the values themselves (bounded in memory, see below) and return the same
:class:`~verifier.stats.checks.CheckResult` as the summary checks.

The null model of the cells (shared by every check here)
--------------------------------------------------------
Under H0 the finite values are iid draws from the expected law ``F`` (density ``f``, std ``σ``),
*represented on cells*: a value is produced on the generator's lattice and rounded to the dtype's
grid (or to a coarser float grid the values are found to lie on: bfloat16 or float16 values
stored as float32, float32 values stored as float64). Every cell containing ``x`` has width at
most

.. math:: W(x) = 1.5\\,\\mathrm{ulp}(x) + 2h, \\qquad h = 2^{-20}\\sigma,

(a rounding cell spans half an ulp each side, 1.5 ulp at a binade edge; ``h`` bounds the
generator's resolution: torch draws uniforms on ``2^{24}`` levels (``h ≈ 2^{-22.2}σ``), JAX in
float32 on ``2^{23}`` (``2^{-21.2}σ``); a coarser generator, such as one with ``2^{10}`` levels,
is a quantised law and is meant to fail). With cell probabilities ``p_k``, Cauchy–Schwarz and
Hölder on each cell give the bounds used below:

.. math:: s_2 = \\sum_k p_k^2 \\le \\int f^2 W\\,dx, \\qquad s_3 = \\sum_k p_k^3 \\le \\int f^3 W^2\\,dx,
          \\qquad P(\\text{cell} \\ni x) \\le F(x + W(x)) - F(x - W(x)).

Every p-value is computed with these upper bounds in place of the unknown ``p_k``; each test's
tail is increasing in them, so the p-values are conservative (false alarms ≤ α, shown by the
seeded studies in ``tests/stats/test_structure.py``).

The checks
----------
``ties``
    The number of tied pairs ``C = Σ_v c_v(c_v−1)/2`` over distinct values (``−0`` = ``+0``):
    ``E C = \\binom m2 s_2`` and ``Var C ≤ \\binom m2 s_2 + 6\\binom m3 s_3``; p-value the smaller of
    Markov ``E/C`` and Cantelli ``V/(V + (C−E)^2)``. With it, the count of exact zeros against
    ``Binomial(m, P(cell ∋ 0))`` (flushed subnormals, masks); Bonferroni over the two.
``bound atoms`` (bounded laws)
    Values exactly on a support bound (as rounded to the dtype) against
    ``Binomial(m, P(cell ∋ low) + P(cell ∋ high))`` restricted to the support: a clamp instead of
    a resample puts a whole tail's mass there.
``blocks``
    Equal blocks along every axis: the shards a 2-, 4- or 8-way split would make (tensor-parallel
    shards seeded alike, repeated tiles) compared pairwise at aligned positions for *identity*
    (aligned equal values, ``Binomial(m, s_2)``) and *correlation* (Pearson ``r``,
    ``t = r\\sqrt{(m-2)/(1-r^2)}`` on ``m − 2`` degrees of freedom, used for ``m ≥ 32``), and
    repeated slices (rows, columns, ...: ``P(\\text{any two equal}) ≤ \\binom R2 s_2^L``);
    Bonferroni over every test.

Memory and the power it costs
-----------------------------
16-bit samples use the summary's bit histogram (exact, any size); float32/float64 samples use the
summary's sorted values (exact mode) or, up to :data:`TIES_CAP` values, all their values read
again. Larger samples are subsampled: ties on
:data:`TIES_CAP` positions, one uniformly chosen in each of as many equal strata (positions chosen
without looking at the values hold iid values, so the null is exact), where a value repeated ``r``
times keeps each pair with probability about ``q² = (m/n)²``
(four identical blocks of ``n`` values: ``C ≈ 1.5·m·q``); blocks on :data:`BLOCK_CAP` aligned
positions per shard (identity and correlation keep full power: one shared position already
costs ``s_2``); repeated slices only up to :data:`SLICES_CAP` values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .blocks import BLOCK_CAP, SLICES_CAP, check_blocks
from .checks import CheckResult
from .grid import grid_values, grids_holding
from .reading import _binom_sf, _decode, _host, _subsample

if TYPE_CHECKING:
    from ..sources.sample import Sample
    from ..theory.distributions import Distribution
    from .summary import Summary

__all__ = [
    "BLOCK_CAP",
    "GENERATOR_RESOLUTION",
    "SLICES_CAP",
    "TIES_CAP",
    "CellModel",
    "cell_model",
    "check_blocks",
    "check_bound_atoms",
    "check_ties",
    "detect_grid",
    "structure_checks",
]

GENERATOR_RESOLUTION = 2.0**-20
"""``h/σ``: the coarsest generator lattice the null allows, in units of the law's std."""

TIES_CAP = 1 << 18
"""Values the ties check reads from a float32/float64 sample larger than the exact summary (2^20
until a 1.1B-parameter audit spent a third of its time here; a repeat still shows in ``m·q`` pairs)."""

_MANTISSA = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}
_MIN_SPACING = {"float64": 2.0**-1074, "float32": 2.0**-149, "float16": 2.0**-24, "bfloat16": 2.0**-133}


def ulp(x: Any, dtype: str) -> np.ndarray:
    """Spacing of ``dtype``'s grid at ``|x|`` (the gap to the next value away from 0)."""
    a = np.abs(np.asarray(x, dtype=np.float64))
    _, e = np.frexp(a)
    with np.errstate(over="ignore"):
        s = np.ldexp(1.0, (e - _MANTISSA[dtype]).astype(np.int64))
    return np.where(a == 0.0, _MIN_SPACING[dtype], np.maximum(s, _MIN_SPACING[dtype]))


@dataclass(frozen=True)
class CellModel:
    """Upper bounds on the cell probabilities of the null (see the module docstring)."""

    dist: Any
    grids: tuple[str, ...]
    h: float
    s2: float
    s3: float
    zero: float = 1.0
    """Upper bound on the probability of the cell of 0 (:meth:`cell_mass` at 0, computed once)."""

    def width(self, x: Any) -> np.ndarray:
        """``W(x) = 1.5·ulp(x) + 2h``, the coarsest grid the values lie on."""
        u = np.max([ulp(x, g) for g in self.grids], axis=0)
        return 1.5 * u + 2.0 * self.h

    def cell_mass(self, x: float) -> float:
        """Upper bound on the probability of the cell containing ``x``."""
        w = float(self.width(x))
        return float(min(1.0, self.dist.cdf(x + w) - self.dist.cdf(x - w)))

    def __str__(self) -> str:
        return f"cells ≤ 1.5 ulp({'/'.join(self.grids)}) + 2^-19·σ"


def _integration_range(dist: Distribution) -> tuple[float, float, float]:
    """``[lo, hi]`` holding all but ``tail`` of the mass."""
    low, high = dist.support
    tail = 1e-15
    lo = low if math.isfinite(low) else float(dist.ppf(tail))
    hi = high if math.isfinite(high) else float(dist.ppf(1.0 - tail))
    return lo, hi, 0.0 if (math.isfinite(low) and math.isfinite(high)) else 2.0 * tail


@lru_cache(maxsize=256)
def cell_model(dist: Distribution, grids: tuple[str, ...]) -> CellModel:
    """The bounds ``s_2 ≤ ∫f²W``, ``s_3 ≤ ∫f³W²`` for ``dist`` on ``grids``.

    The integrals use the midpoint rule on ``2^15`` points over the support (or the central
    ``1 − 2e-15`` of it), times a 2 % margin for the jumps of ``ulp`` at powers of two; the
    mass outside that range adds at most ``2e-15``. Cached (audits meet the same laws again).
    """
    h = GENERATOR_RESOLUTION * dist.std
    lo, hi, tail = _integration_range(dist)
    edges = np.linspace(lo, hi, (1 << 15) + 1)
    mid = (edges[1:] + edges[:-1]) / 2.0
    dx = edges[1] - edges[0]
    f = np.asarray(dist.pdf(mid), dtype=np.float64)
    model = CellModel(dist, grids, h, 0.0, 0.0)
    w = model.width(mid)
    s2 = 1.02 * float(np.sum(f * f * w) * dx) + tail
    s3 = 1.02 * float(np.sum(f**3 * w * w) * dx) + tail
    return CellModel(dist, grids, h, min(s2, 1.0), min(s3, 1.0), model.cell_mass(0.0))


def detect_grid(values: np.ndarray, dtype: str, grids16: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The float grids the values lie on: ``dtype`` plus coarser ones (bfloat16/float16
    values stored as float32, float32 values stored as float64; :func:`verifier.stats.grid.grid_bits`).
    ``grids16``: the 16-bit grids holding every value where already known
    (:attr:`~verifier.stats.summary.Summary.value_grids` of an exact summary of these values)."""
    grids = [dtype]
    if dtype not in ("float32", "float64") or values.size == 0:
        return tuple(grids)
    x = values[np.isfinite(values)] if dtype == "float64" or grids16 is None else values
    if dtype == "float64":
        head = x[:256]
        with np.errstate(over="ignore"):
            if not (np.array_equal(head.astype(np.float32).astype(np.float64), head)
                    and np.array_equal(x.astype(np.float32).astype(np.float64), x)):
                return tuple(grids)
        grids.append("float32")
    grids += grids_holding(x) if grids16 is None else grids16
    return tuple(grids)


@dataclass(frozen=True)
class _Values:
    """What the ties and bound-atom checks read: the finite values read, sorted, with their tied
    pairs ``Σ_v c_v(c_v−1)/2`` and their number ``m``."""

    values: np.ndarray
    """Sorted finite values: every value read, repeats included, where ``counts`` is None; else the
    distinct ones (−0 and +0 one entry: they compare equal)."""
    counts: np.ndarray | None
    ties: float
    m: int
    note: str  # how they were read

    def count(self, value: float) -> int:
        """How many of the values read equal ``value`` (``0``: −0 and +0 alike)."""
        x = self.values
        i = int(x.searchsorted(value))
        if i == x.size or x[i] != value:
            return 0
        if self.counts is not None:
            return int(self.counts[i])
        return int(x.searchsorted(value, side="right")) - i


def _tied_pairs(counts: np.ndarray) -> float:
    """``Σ c(c−1)/2`` over ``counts`` (float64, summed by numpy: exact up to ``2^53``)."""
    return float(np.sum(counts * (counts - 1) / 2.0))


EXACT_PAIRS = 1 << 26
"""Sorted values up to this many have fewer than ``2^51`` pairs: their tied pairs are counted from
the runs of equal values alone (:func:`_run_pairs`), exactly as the sum over every count."""


def _run_pairs(same: np.ndarray) -> float:
    """``Σ c(c−1)/2`` over the runs of equal values of a sorted array, from ``same = x[1:] == x[:-1]``
    (a run of ``c`` equal values is ``c − 1`` consecutive True; counting, along each run, how many
    equal values precede each tied one gives ``1 + 2 + … + (c − 1)``). Every term and partial sum is
    an integer below ``2^53`` (``m ≤`` :data:`EXACT_PAIRS`), so the float64 sum is exact and equal to
    :func:`_tied_pairs` of the counts in any order. A few tied positions (continuous data) are
    counted on Python integers, more with numpy calls."""
    tied = np.flatnonzero(same)
    if tied.size <= 64:
        total = run = 0
        last = -2
        for i in tied.tolist():
            run = run + 1 if i == last + 1 else 1
            total += run
            last = i
        return float(total)
    edge = np.empty(tied.size + 1, dtype=bool)  # edge[k]: a run starts at tied[k] (k = size: the end)
    edge[0] = edge[-1] = True
    np.not_equal(tied[1:], tied[:-1] + 1, out=edge[1:-1])
    bounds = np.flatnonzero(edge)
    r = bounds[1:] - bounds[:-1]  # c − 1 per run
    return float(np.sum(r * (r + 1) / 2.0))


def _distinct(sample: Sample, summary: Summary) -> _Values:
    if summary.mode == "grid":
        assert summary.counts is not None
        grid = grid_values(summary.dtype)
        keep = np.isfinite(grid) & (summary.counts > 0)
        v, c = grid[keep], summary.counts[keep]
        v = np.where(v == 0.0, 0.0, v)
        u, inv = np.unique(v, return_inverse=True)
        cnt = np.bincount(inv, weights=c).astype(np.int64)
        return _Values(u, cnt, _tied_pairs(cnt), int(cnt.sum()), f"all {int(cnt.sum()):,} values")
    if summary.mode == "exact":
        assert summary.sorted_values is not None
        x = summary.sorted_values
        note = f"all {x.size:,} values"
    elif summary.n_total <= TIES_CAP:  # every value, as an exact summary would
        x = np.concatenate([_decode(np.asarray(_host(c)).reshape(-1), sample.dtype) for c in sample.chunks])
        x = np.sort(x[np.isfinite(x)])
        note = f"all {x.size:,} values"
    else:
        x = _subsample(sample, min(TIES_CAP, sample.n))
        x = np.sort(x[np.isfinite(x)])
        note = f"{x.size:,} of {sample.n:,} values at random positions"
    same = x[1:] == x[:-1]  # −0 == +0: one run
    if not np.count_nonzero(same):  # continuous values: all distinct, no count to keep
        return _Values(x, None, 0.0, int(x.size), note)
    if x.size <= EXACT_PAIRS:
        return _Values(x, None, _run_pairs(same), int(x.size), note)
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    counts = np.diff(np.append(starts, x.size)).astype(np.int64)
    return _Values(x[starts], counts, _tied_pairs(counts), int(x.size), note)


# ---- the checks ----------------------------------------------------------------------------


def _grids_of(vals: _Values, summary: Summary) -> tuple[str, ...]:
    """The grids of the values read (an exact summary's 16-bit grids are already known: its values)."""
    return detect_grid(vals.values, summary.dtype, summary.value_grids if summary.mode == "exact" else None)


def check_ties(vals: _Values, model: CellModel) -> CheckResult:
    """Tied pairs and exact zeros against their null bounds (see the module docstring)."""
    m = vals.m
    ties = vals.ties
    pairs = m * (m - 1) / 2.0
    mean = pairs * model.s2
    var = pairs * model.s2 + m * (m - 1) * (m - 2) * model.s3
    if ties <= mean:
        p_ties = 1.0
    else:
        p_ties = min(1.0, mean / ties, var / (var + (ties - mean) ** 2))
    zeros = vals.count(0.0)
    p0 = model.zero
    p_zero = _binom_sf(zeros, m, p0)
    p = min(1.0, 2.0 * min(p_ties, p_zero))
    detail = (f"{ties:,.0f} tied pairs (null ≤ {mean:,.3g} ± {math.sqrt(var):,.3g}), {zeros:,} exact zeros "
              f"(null ≤ {m * p0:.3g}) in {vals.note}")
    return CheckResult("ties", ties, p, detail)


@lru_cache(maxsize=256)
def _bound_cells(model: CellModel, dtype: str) -> tuple[tuple[float, float], ...]:
    """Per finite support bound: the bound rounded to ``dtype`` and the null mass of its cell inside
    the support (``F(b + W) − F(b)`` at the low bound, ``F(b) − F(b − W)`` at the high one).
    Cached: they depend on the law and the grid only."""
    from .grid import round_to_dtype

    dist = model.dist
    low, high = dist.support
    cells = []
    for bound in (low, high):
        if math.isfinite(bound):
            atom = round_to_dtype(bound, dtype)
            w = float(model.width(atom))
            inside = dist.cdf(bound + w) - dist.cdf(bound) if bound == low else dist.cdf(bound) - dist.cdf(bound - w)
            cells.append((atom, float(inside)))
    return tuple(cells)


def check_bound_atoms(vals: _Values, model: CellModel, dtype: str) -> CheckResult | None:
    """Values exactly on a support bound (rounded to the dtype) against their null probability."""
    if not model.dist.bounded:
        return None
    count, prob, where = 0, 0.0, []
    for atom, inside in _bound_cells(model, dtype):
        k = vals.count(atom)
        count += k
        prob += inside
        where.append(f"{k:,} at {atom:.6g}")
    p = _binom_sf(count, vals.m, prob)
    detail = f"{', '.join(where)} (null ≤ {vals.m * prob:.3g} in all) in {vals.note}"
    return CheckResult("bound atoms", float(count), p, detail)


def structure_checks(sample: Sample, dist: Distribution, summary: Summary) -> tuple[CheckResult, ...]:
    """The structure checks of a sample against a continuous null, undecided (``passed=None``).

    Empty when there are fewer than 2 finite values or the law has no density (a point mass). A
    shard of a torch.distributed tensor of at most :data:`SLICES_CAP` values is gathered on every
    rank first (a collective: every rank runs the same checks in the same order), so the checks
    are the gathered tensor's; a larger one is not checked here (its ``shards`` check remains).
    """
    std = dist.std
    if summary.n < 2 or not math.isfinite(std) or std <= 0:
        return ()
    shard = getattr(sample, "shard", None)
    if shard is not None:
        if shard.dtensor is None or math.prod(sample.shape) > SLICES_CAP:
            return ()
        whole = shard.dtensor.full_tensor().detach()
        sample = replace(sample, chunks=(whole,), shard=None)
    vals = _distinct(sample, summary)
    if vals.m < 2:
        return ()
    model = cell_model(dist, _grids_of(vals, summary))
    out: list[CheckResult] = [check_ties(vals, model)]
    atoms = check_bound_atoms(vals, model, summary.dtype)
    if atoms is not None:
        out.append(atoms)
    blocks = check_blocks(sample, model)
    if blocks is not None:
        out.append(blocks)
    return tuple(out)
