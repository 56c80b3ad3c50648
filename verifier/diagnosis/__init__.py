"""Diagnosis of a failed verdict: which usual bug explains the observed scale or shape.

The observed std ratio ``r = observed std / expected std`` (with its confidence interval) is
compared with what each usual bug predicts:

==============================  =====================================================================
bug                             predicted ``r``
==============================  =====================================================================
fans swapped                    ``√(fan_in/fan_out)`` (``mode='fan_in'`` spec) or its inverse; not for
                                xavier (fan_in + fan_out is symmetric)
wrong layout                    the spec's std under the other layout's fans / the expected std
gain missing                    ``1/gain``
gain applied twice (or g²)      ``gain``
uniform bound used as std       ``√3`` (drew ``N(0, b²)`` or ``U(±√3·b)`` with ``b = √3·σ``)
std used as uniform bound       ``1/√3`` (drew ``U(±σ)``)
variance passed as std          ``σ`` (the drawn std is the expected variance ``σ²``)
std passed as variance          ``1/√σ`` (the drawn std is ``√σ``)
truncation correction missing   ``0.8796`` (cut at ±2σ without dividing σ by 0.8796)
truncation correction extra     ``1/0.8796`` (σ/0.8796 used without truncating)
==============================  =====================================================================

A bug is named when its prediction lies inside the CI (or, for a CI wider than a few per cent,
within :data:`TOLERANCE` of ``r``). When the shape tests (KS/AD) fail, the observed kurtosis (from
the summary's moments) is compared with each family's: uniform 1.8, truncated normal ±2σ ≈ 2.37,
normal 3.
"""

from __future__ import annotations

from .hypotheses import diagnose
from .refine import BOUND_ISOLATED, refine
from .result import FAMILY_KURTOSIS, TOLERANCE, Cause, Diagnosis

__all__ = ["Cause", "Diagnosis", "diagnose", "refine", "FAMILY_KURTOSIS", "TOLERANCE", "BOUND_ISOLATED"]
