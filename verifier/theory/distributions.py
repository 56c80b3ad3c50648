"""Continuous distributions that initializers claim to draw from.

Three families cover every initializer the verifier knows:

* :class:`Uniform` ``U(low, high)``,
* :class:`Normal` ``N(mean, std²)``,
* :class:`TruncatedNormal` ``N(mean, std²)`` conditioned on ``low ≤ x ≤ high`` (``low``/``high``
  absolute values, as in ``torch.nn.init.trunc_normal_``).

All functions are vectorised with :mod:`scipy.special` (no frozen ``scipy.stats`` objects on hot
paths), accept scalars or arrays of any float dtype and return ``float64`` arrays.
"""

from __future__ import annotations

from verifier.theory.families import Normal, Uniform
from verifier.theory.law import TRUNCATION_STD_FACTOR, Distribution
from verifier.theory.truncated import TruncatedNormal

__all__ = [
    "Distribution",
    "Uniform",
    "Normal",
    "TruncatedNormal",
    "TRUNCATION_STD_FACTOR",
]
