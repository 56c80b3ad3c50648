"""The fused summary pass as one Triton kernel, for CUDA tensors (``pip install verifier[gpu]``;
CUDA builds of torch ship Triton).

:func:`verifier.stats.summary.summarize` calls :func:`summarize_triton` for CUDA values in
'pit' mode under a normal, truncated normal or uniform null when Triton imports; other cases
use the torch kernels of :mod:`verifier.stats.kernels`. Both give the same
:class:`~verifier.stats.summary.Summary`: the same counts and extremes, moments to float64
rounding, the same certified ``pit_error``.

One read of the data
    Each program reads ``ITERS`` consecutive blocks of ``BLOCK`` values (16,384 values) once.
    Per value, in float64 registers: the finiteness test, min and max, the power sums
    ``Σd, Σd², Σd³, Σd⁴`` of ``d = x − c`` about the null mean ``c``, values outside the
    null's support, and the PIT bin ``k = min(⌊B·F(x)⌋, B − 1)`` added to an int64 histogram
    with an atomic add (integer adds commute: the histogram is exact whatever the order).
    ``F`` is ``Φ(z) = (1 + erf(z/√2))/2`` (libdevice's float64 ``erf``, within 2 ulp), so the
    computed ``u`` is within ``1e-15`` of the exact one, far inside the ``2⁻⁴⁵`` that
    ``pit_error`` certifies for the float64 paths (:func:`verifier.stats.kernels.pit_error`).

Deterministic moments
    Each program writes its partial sums (a fixed-shape tree inside the program) to its own
    row of a ``(programs, NSTAT)`` float64 array; the rows are summed by torch (no atomics),
    so two runs on the same tensor give the same bytes. Only that array (0.7 MB per 10⁹
    values) and the histogram come back to the host.

Tested on CPU
    With ``TRITON_INTERPRET=1`` Triton runs the same kernel on CPU tensors (its numpy
    interpreter): ``tests/stats/test_gpu.py`` compares that against the reference summary,
    and runs on the GPU itself where CUDA is present.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .fused import NONE, _params, _pit_kind as _kind

if TYPE_CHECKING:
    from ..theory.distributions import Distribution
    from .summary import Summary

__all__ = ["BLOCK", "ITERS", "LAUNCH_MAX", "available", "summarize_triton", "supports"]

BLOCK = 512
"""Values one program reads at a time (4 warps × 32 threads × 4 values)."""

ITERS = 32
"""Blocks per program: 16,384 values, whose partial sums take one row of the partials.
(On an H200 at 1e9 values, 512 × 32 with 4 warps ran the kernel in 10.3 ms; 1024 × 16 in 13.4,
1024 × 16 with 8 warps in 17.3, 4096 × 4 with 16 warps in 74. On an H100, 512 × 32 and 256 × 64
with 2 or 4 warps all took 11.5 ms, 0.5 ms over the 10⁹ histogram atomics alone:
``benchmarks/gpu_kernel.py``.)"""

LAUNCH_MAX = 1 << 30
"""Values per kernel launch (offsets stay well inside int64 arithmetic; partials ≤ 0.5 MB)."""

# the row of partials each program writes (float64)
_S1, _S2, _S3, _S4, _MIN, _MAX, _FIN, _NAN, _POS, _NEG, _BELOW, _ABOVE = range(12)
NSTAT = 12

def supports(dist: Distribution | None, mode: str) -> bool:
    """Whether the kernel summarises this mode and null ('pit' under normal/truncated/uniform)."""
    return mode == "pit" and _kind(dist) != NONE


def available() -> bool:
    """Whether Triton imports (and ``VERIFIER_NO_JIT`` is not set)."""
    return _kernel() is not None


def on_cuda(chunks: Iterable[Any]) -> bool:
    """Whether every chunk is a CUDA torch tensor."""
    for c in chunks:
        dev = getattr(c, "device", None)
        if dev is None or getattr(dev, "type", "") != "cuda":
            return False
    return True


@lru_cache(maxsize=2)
def _kernel(interpret: bool = False) -> Any:
    """Compile the kernel (``None`` without Triton). ``interpret``: Triton's CPU interpreter."""
    if os.environ.get("VERIFIER_NO_JIT"):
        return None
    if interpret != (os.environ.get("TRITON_INTERPRET") == "1"):
        return None  # Triton chooses its interpreter from this variable when it decorates the kernel
    import importlib

    try:
        from . import gpu_kernel

        gpu_kernel = importlib.reload(gpu_kernel)  # decorated again under the current variable
    except Exception:  # noqa: BLE001 - Triton missing or broken: the torch kernels are used
        return None
    return gpu_kernel.fused_pass


def _launch(ker: Any, x: Any, c: float, kind: int, params: np.ndarray, counts: Any, bins: int) -> Any:
    """Run the kernel over the 1-D tensor ``x`` (≤ LAUNCH_MAX values); its partials rows."""
    import torch

    n = int(x.shape[0])
    programs = max(1, -(-n // (BLOCK * ITERS)))
    part = torch.empty((programs, NSTAT), dtype=torch.float64, device=x.device)
    p = torch.tensor((c, *(float(v) for v in params[:8])), dtype=torch.float64, device=x.device)
    ker[(programs,)](x, n, part, counts, p, int(bins), KIND=kind, BLOCK=BLOCK, ITERS=ITERS, num_warps=4)
    return part


def _pieces(chunks: Iterable[Any], dtype: str) -> list[Any]:
    from .kernels import iter_torch_chunks

    return list(iter_torch_chunks(chunks, dtype, LAUNCH_MAX))


def summarize_triton(chunks: Iterable[Any], dtype: str, mode: str, dist: Distribution | None, bins: int,
                     *, interpret: bool = False) -> Summary:
    """The 'pit' :class:`Summary` of torch tensors ``chunks`` from one Triton pass per chunk.

    ``interpret``: run Triton's interpreter on CPU tensors (tests; needs ``TRITON_INTERPRET=1``).
    """
    import torch

    from .kernels import _central_from_power, pit_error
    from .summary import Moments, Summary

    ker = _kernel(interpret)
    kind = _kind(dist)
    if ker is None or mode != "pit" or kind == NONE:
        raise ValueError("the Triton pass summarises 'pit' mode under a normal, truncated normal or uniform "
                         "null, with Triton installed (pip install verifier[gpu])")
    assert dist is not None
    pieces = _pieces(chunks, dtype)
    device = pieces[0].device if pieces else torch.device("cpu")
    n_total = sum(int(x.shape[0]) for x in pieces)
    # int32 counts where no bin can reach 2**31 (half the atomics' bytes and of the copy back)
    counts = torch.zeros(bins, dtype=torch.int32 if n_total < 2**31 else torch.int64, device=device)
    params = _params(dist, kind, bins)
    c = float(dist.mean)
    parts = [_launch(ker, x, c, kind, params, counts, bins) for x in pieces]
    rows = torch.cat(parts) if parts else torch.zeros((0, NSTAT), dtype=torch.float64)
    if rows.shape[0]:  # one copy back: the column sums, the smallest min and the largest max
        head = torch.cat((rows.sum(dim=0), rows[:, _MIN].min().reshape(1), rows[:, _MAX].max().reshape(1)))
        tot = head.cpu().numpy()
        lo, hi = float(tot[NSTAT]), float(tot[NSTAT + 1])
    else:
        tot, lo, hi = np.zeros(NSTAT), math.inf, -math.inf
    m = int(tot[_FIN])
    s = tot[_S1:_S4 + 1]
    if m:
        a = s[0] / m
        if a * a > 1e6 * max(s[1] / m - a * a, 0.0):
            # data far from the null mean: the power sums again about their own mean (no PIT)
            c = c + a
            redo = [_launch(ker, x, c, NONE, params, counts, bins) for x in pieces]
            s = torch.cat(redo).sum(dim=0).cpu().numpy()[_S1:_S4 + 1]
    s1, s2, s3, s4 = (float(v) for v in s)
    moments = _central_from_power(m, c, s1, s2, s3, s4, Moments) if m else Moments()
    if m == 0:
        lo = hi = float("nan")
    return Summary(dtype, mode, n_total, int(tot[_NAN]), int(tot[_POS]), int(tot[_NEG]), moments, lo, hi,
                   None, counts.to(torch.int64).cpu().numpy(), int(tot[_BELOW]), int(tot[_ABOVE]),
                   pit_error=pit_error(dist, dtype, "cuda"))
