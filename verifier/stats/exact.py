"""The exact check: every value equals its expected value (``zeros``, ``ones``, ``constant``, ``eye``,
``dirac``).

Null: the tensor is the expected one. The check is deterministic: p = 1 when every value equals
the expected value exactly in the tensor's dtype, p = 0 otherwise, so it never false-alarms and
the verdict does not depend on α.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .checks import CheckResult

__all__ = ["exact_check", "as_float64"]


def as_float64(chunk: Any) -> np.ndarray:
    """The values of a numpy array or torch tensor as float64 (exact: every float is a float64)."""
    if hasattr(chunk, "detach"):
        return chunk.detach().cpu().double().numpy()
    return np.asarray(chunk, dtype=np.float64)


def _in_dtype(value: float, chunk: Any) -> float:
    """``value`` rounded to the chunk's dtype (``constant(0.1)`` in float16 is ``float16(0.1)``)."""
    if hasattr(chunk, "detach"):
        import torch

        return float(torch.tensor(value, dtype=chunk.dtype).double())
    return float(np.asarray(value, dtype=np.asarray(chunk).dtype))


def exact_check(chunks: Sequence[Any], expected: np.ndarray | float) -> CheckResult:
    """Compare every draw in ``chunks`` with ``expected`` (an array of the draws' shape or one float).

    Returns the check ``exact``: statistic = the number of values that differ, p = 0 if any does.
    """
    n_bad = n = 0
    worst = 0.0
    example = None
    for chunk in chunks:
        x = as_float64(chunk)
        want = _in_dtype(expected, chunk) if isinstance(expected, float) else expected
        bad = ~(x == want)  # NaN differs from everything
        k = int(np.count_nonzero(bad))
        n += x.size
        if k:
            diff = np.abs(x - want)[bad]
            finite = diff[np.isfinite(diff)]
            worst = max(worst, float(finite.max()) if finite.size else float("inf"))
            if example is None:
                example = (float(x[bad].reshape(-1)[0]), int(np.flatnonzero(bad.reshape(-1))[0]))
            n_bad += k
    what = f"{float(expected):g}" if isinstance(expected, float) else "the expected value"
    if n_bad:
        value, index = example  # type: ignore[misc]
        detail = (f"{n_bad} of {n} values differ from {what} "
                  f"(first at flat index {index}: {value:.6g}; max |difference| = {worst:.4g})")
    else:
        detail = f"all {n} values equal {what}"
    return CheckResult("exact", float(n_bad), 0.0 if n_bad else 1.0, detail, passed=not n_bad)
