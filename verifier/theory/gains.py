"""Recommended gains for nonlinearities (``torch.nn.init.calculate_gain``'s table).

==================================================== ==========================
nonlinearity                                         gain
==================================================== ==========================
linear, conv{1,2,3}d, conv_transpose{1,2,3}d, sigmoid ``1``
tanh                                                 ``5/3``
relu                                                 ``√2``
leaky_relu (negative slope ``a``, default ``0.01``)  ``√(2/(1 + a²))``
selu                                                 ``3/4``
==================================================== ==========================
"""

from __future__ import annotations

import difflib
import math
from numbers import Real

from verifier.errors import SpecError

__all__ = ["NONLINEARITIES", "LEAKY_RELU_DEFAULT_SLOPE", "calculate_gain"]

_LINEAR: tuple[str, ...] = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)

#: Every nonlinearity name :func:`calculate_gain` accepts (torch's names).
NONLINEARITIES: tuple[str, ...] = (*_LINEAR, "tanh", "relu", "leaky_relu", "selu")

#: ``calculate_gain('leaky_relu')`` uses this slope when ``param`` is ``None`` (as torch does).
LEAKY_RELU_DEFAULT_SLOPE: float = 0.01


def _check_name(nonlinearity: object) -> str:
    if not isinstance(nonlinearity, str) or nonlinearity not in NONLINEARITIES:
        close = difflib.get_close_matches(str(nonlinearity), NONLINEARITIES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SpecError(
            f"unknown nonlinearity {nonlinearity!r}; {hint}valid nonlinearities: {', '.join(NONLINEARITIES)}"
        )
    return nonlinearity


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Return the recommended gain for ``nonlinearity``, exactly as ``torch.nn.init.calculate_gain``.

    Parameters
    ----------
    nonlinearity : str
        One of :data:`NONLINEARITIES`.
    param : float, optional
        Negative slope ``a`` of ``leaky_relu`` (default ``0.01``); ignored by the other
        nonlinearities, as in torch.

    Returns
    -------
    float
        ``1`` for linear/conv/sigmoid, ``5/3`` for tanh, ``√2`` for relu, ``√(2/(1 + a²))`` for
        leaky_relu and ``3/4`` for selu.

    Raises
    ------
    SpecError
        Unknown nonlinearity, or a leaky_relu slope that is not a finite real number.
    """
    name = _check_name(nonlinearity)
    if name in _LINEAR:
        return 1.0
    if name == "tanh":
        return 5.0 / 3
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        if param is None:
            slope = LEAKY_RELU_DEFAULT_SLOPE
        elif isinstance(param, bool) or not isinstance(param, Real) or not math.isfinite(float(param)):
            raise SpecError(f"leaky_relu negative slope must be a finite number, got {param!r}; pass e.g. a=0.01")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    return 3.0 / 4  # selu
