"""The defining property of a structured spec (:mod:`verifier.theory.structured`), as checks.

:func:`spec_checks` turns a sample and a spec into the sample the statistical checks read and
the extra checks of the property (undecided :class:`~verifier.stats.checks.CheckResult`; they
join the verdict's decision). For a plain distribution spec it returns the sample unchanged
and no checks.

``orthogonal(gain)``: check ``gram``
    ``G = W·Wᵀ`` (rows ≤ cols) or ``Wᵀ·W``, computed in float64 from the stored values; fails
    when ``max |G − g²·I| > 2·g²·√N·eps`` (``N`` the length of the dot products, ``eps`` the
    dtype's machine epsilon). Rounding the exact matrix to the dtype moves each entry of ``G``
    by at most ``eps·g²`` (Cauchy–Schwarz); a QR computed in the dtype adds a rounding error
    growing like ``√N·eps``; a wrong gain or a matrix that is not orthogonal is off by O(1).
    Deterministic (p = 0 or 1). Above :data:`GRAM_MAX` vectors, the Gram matrix of a seeded
    random subset of :data:`GRAM_MAX` of them is checked (any subset of orthonormal vectors is
    orthonormal).
``sparse(sparsity, std)``: check ``zeros per column``
    torch's ``sparse_`` sets exactly ``z = ceil(sparsity·rows)`` entries of every column to 0.
    Fewer zeros in any column: fails (p = 0). More: a non-zero ``N(0, std²)`` draw rounds to 0
    only when ``|x|`` is below half the dtype's smallest subnormal, with probability ``p₀``; the
    extra zeros are tested against ``Binomial((rows − z)·cols, p₀)``. The statistical checks then
    read the non-zero values, whose law is ``N(0, std²)``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats as _st

from ..theory.structured import OrthogonalSpec, SparseSpec, matrix_view
from .checks import CheckResult

if TYPE_CHECKING:
    from ..sources.sample import Sample
    from ..theory.specs import Spec

__all__ = ["EPS", "GRAM_MAX", "check_gram", "check_sparse_zeros", "spec_checks"]

GRAM_MAX = 2048
"""Most orthonormal vectors whose mutual dot products are computed."""

EPS = {"float64": 2.0**-52, "float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}
"""Machine epsilon of each dtype."""

_TINY = {"float64": 2.0**-1074, "float32": 2.0**-149, "float16": 2.0**-24, "bfloat16": 2.0**-133}
"""Smallest positive subnormal of each dtype."""


def _float64(m: Any) -> np.ndarray:
    if isinstance(m, np.ndarray):
        return np.asarray(m, dtype=np.float64)
    t = m.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    return t.double().numpy()


def check_gram(spec: OrthogonalSpec, sample: Sample, layout: str) -> CheckResult:
    """``max |G − g²·I|`` against ``2·g²·√N·eps`` over every draw (see the module docstring)."""
    rows, cols = matrix_view(sample.shape, layout)
    vectors, length = min(rows, cols), max(rows, cols)
    side = "W·Wᵀ" if rows <= cols else "Wᵀ·W"
    g2 = spec.gain**2
    tol = 2.0 * g2 * math.sqrt(length) * EPS[sample.dtype]
    rng = np.random.default_rng(0)
    worst = 0.0
    for chunk in sample.chunks:
        m = chunk.reshape(rows, cols)  # C order: (shape[0], rest) in torch layout, (rest, shape[-1]) in Keras
        pick = np.sort(rng.choice(vectors, GRAM_MAX, replace=False)) if vectors > GRAM_MAX else None
        if rows <= cols:
            sub = m if pick is None else m[pick]
            a = _float64(sub)
        else:
            sub = m if pick is None else m[:, pick]
            a = _float64(sub).T
        if not np.isfinite(a).all():
            worst = math.inf
            break
        gram = a @ a.T
        gram[np.diag_indices_from(gram)] -= g2
        worst = max(worst, float(np.abs(gram).max()))
    subset = f" ({GRAM_MAX} of {vectors} vectors, chosen at random)" if vectors > GRAM_MAX else ""
    detail = (f"max |{side} − {g2:.4g}·I| = {worst:.3g}, tolerance 2·gain²·√{length}·eps({sample.dtype}) = "
              f"{tol:.3g}{subset}")
    return CheckResult("gram", worst, 0.0 if not worst <= tol else 1.0, detail, bound=tol)


def _nonzeros(chunk: Any) -> Any:
    """The non-zero values of a numpy array or torch tensor, 1-D, in its own dtype and device."""
    return chunk[chunk != 0]


def check_sparse_zeros(spec: SparseSpec, sample: Sample) -> CheckResult:
    """Exactly ``ceil(sparsity·rows)`` zeros in every column (torch layout, 2-D)."""
    if len(sample.shape) != 2:
        from ..errors import SpecError

        raise SpecError(f"sparse applies to 2-D weights (torch sparse_), got shape {sample.shape}")
    rows = sample.shape[0]
    want = spec.zeros_per_column(rows)
    zeros = np.concatenate([np.asarray(_float64(c) == 0, dtype=np.int64).sum(axis=0) for c in sample.chunks])
    short = int((zeros < want).sum())
    extra = int((zeros - want).clip(min=0).sum())
    p0 = float(2.0 * _st.norm.cdf(_TINY[sample.dtype] / 2.0 / spec.std) - 1.0)
    trials = (rows - want) * zeros.size
    p_extra = float(_st.binom.sf(extra - 1, trials, p0)) if extra else 1.0
    if short:
        detail = f"{short} of {zeros.size} columns have fewer than ceil({spec.sparsity:g}·{rows}) = {want} zeros " \
                 f"(min {int(zeros.min())})"
        return CheckResult("zeros per column", float(short), 0.0, detail)
    detail = (f"every column has ceil({spec.sparsity:g}·{rows}) = {want} zeros; {extra} more in all (N(0, "
              f"{spec.std:g}) rounds to 0 in {sample.dtype} with p = {p0:.3g}: binomial test over {trials:,} draws)")
    return CheckResult("zeros per column", float(extra), p_extra, detail)


def spec_checks(spec: Spec | Any, sample: Sample, layout: str = "torch") -> tuple[Sample, tuple[CheckResult, ...]]:
    """The sample the statistical checks read, and the property checks of ``spec`` (if any)."""
    if isinstance(spec, OrthogonalSpec):
        return sample, (check_gram(spec, sample, layout),)
    if isinstance(spec, SparseSpec):
        zeros = check_sparse_zeros(spec, sample)
        chunks = tuple(_nonzeros(c) for c in sample.chunks)
        n = sum(int(c.shape[0]) for c in chunks)
        # one chunk of all non-zeros: the statistical checks see the law of the non-zeros
        if len(chunks) > 1:
            chunks = (np.concatenate(chunks),) if isinstance(chunks[0], np.ndarray) else (_cat(chunks),)
        nonzero = dataclasses.replace(sample, chunks=chunks, shape=(n,), draws=1)
        return nonzero, (zeros,)
    return sample, ()


def _cat(chunks: tuple[Any, ...]) -> Any:
    import torch

    return torch.cat(list(chunks))
