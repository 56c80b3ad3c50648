"""Exact expectations in audits (norm weights 1, biases 0, PReLU 0.25) are the specs ``zeros``,
``ones`` and ``constant(c)`` of :mod:`verifier.theory.exact`, checked by the one pipeline; this
module keeps the audit's historical names for them."""

from __future__ import annotations

from verifier.theory.exact import ConstantSpec as ExactSpec
from verifier.theory.exact import PointMass

__all__ = ["PointMass", "ExactSpec"]
