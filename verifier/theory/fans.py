"""Fan-in and fan-out of a weight tensor, for torch and Keras/TF/JAX/Flax layouts.

========== ================ ===================== ============= ==============
layout     weight shape     receptive field ``rf`` ``fan_in``   ``fan_out``
========== ================ ===================== ============= ==============
torch      ``(out, in, *k)`` ``prod(k)``           ``in·rf``     ``out·rf``
keras      ``(*k, in, out)`` ``prod(k)``           ``in·rf``     ``out·rf``
========== ================ ===================== ============= ==============

``fan_avg = (fan_in + fan_out)/2``. Fans are undefined for fewer than two dimensions (torch and JAX
raise, Keras silently uses ``shape[0]``); :func:`compute_fans` then asks for explicit fans.
"""

from __future__ import annotations

import difflib
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from verifier.errors import FanError, SpecError

__all__ = ["LAYOUTS", "FAN_MODES", "Fans", "canonical_layout", "compute_fans"]

#: Layout aliases → canonical layout (``'torch'`` or ``'keras'``).
LAYOUTS: Mapping[str, str] = MappingProxyType(
    {
        "torch": "torch",
        "keras": "keras",
        "tf": "keras",
        "tensorflow": "keras",
        "jax": "keras",
        "flax": "keras",
    }
)

#: Valid values of ``mode`` for :meth:`Fans.get`.
FAN_MODES: tuple[str, ...] = ("fan_in", "fan_out", "fan_avg")


def canonical_layout(name: str) -> str:
    """Map a layout name or alias (case-insensitive) to ``'torch'`` or ``'keras'``.

    Raises
    ------
    SpecError
        Unknown layout; the message lists the valid names.
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key is None or key not in LAYOUTS:
        close = difflib.get_close_matches(str(name).lower(), list(LAYOUTS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SpecError(f"unknown layout {name!r}; {hint}valid layouts: {', '.join(LAYOUTS)}")
    return LAYOUTS[key]


@dataclass(frozen=True)
class Fans:
    """Fans of one weight tensor.

    Attributes
    ----------
    fan_in, fan_out : int
        Number of inputs feeding one output, and of outputs fed by one input.
    receptive_field : int
        Product of the kernel dimensions (1 for dense weights or explicit fans).
    layout : str
        Canonical layout the fans were computed for.
    """

    fan_in: int
    fan_out: int
    receptive_field: int
    layout: str

    @property
    def fan_avg(self) -> float:
        """``(fan_in + fan_out)/2``."""
        return (self.fan_in + self.fan_out) / 2

    def get(self, mode: str) -> float:
        """Return the fan named by ``mode`` (``'fan_in'``, ``'fan_out'`` or ``'fan_avg'``) as a float."""
        if mode == "fan_in":
            return float(self.fan_in)
        if mode == "fan_out":
            return float(self.fan_out)
        if mode == "fan_avg":
            return self.fan_avg
        raise SpecError(f"unknown fan mode {mode!r}; valid modes: {', '.join(FAN_MODES)}")


def _explicit_fan(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise FanError(f"{name} must be a positive integer, got {value!r}; pass e.g. {name}=256")
    try:
        n = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise FanError(f"{name} must be a positive integer, got {value!r}; pass e.g. {name}=256") from None
    if n <= 0:
        raise FanError(f"{name} must be a positive integer, got {value!r}; pass e.g. {name}=256")
    return n


def _normalize_shape(shape: Sequence[int] | int) -> tuple[int, ...]:
    if isinstance(shape, bool):
        raise FanError(f"shape must be a sequence of non-negative integers, got {shape!r}")
    dims: tuple[int, ...]
    try:
        dims = (operator.index(shape),)  # type: ignore[arg-type]
    except TypeError:
        try:
            dims = tuple(shape)  # type: ignore[arg-type]
        except TypeError:
            raise FanError(f"shape must be a sequence of non-negative integers, got {shape!r}") from None
    out = []
    for d in dims:
        try:
            if isinstance(d, bool):
                raise TypeError
            v = operator.index(d)
        except TypeError:
            raise FanError(f"shape must be a sequence of non-negative integers, got {shape!r}") from None
        if v < 0:
            raise FanError(f"shape must be a sequence of non-negative integers, got {shape!r}")
        out.append(v)
    return tuple(out)


def compute_fans(
    shape: Sequence[int] | None,
    layout: str = "torch",
    *,
    fan_in: int | None = None,
    fan_out: int | None = None,
) -> Fans:
    """Compute the fans of a weight of ``shape`` in ``layout``, honouring explicit overrides.

    torch layout ``(out, in, *k)``: ``rf = prod(shape[2:])``, ``fan_in = shape[1]·rf``,
    ``fan_out = shape[0]·rf``. keras layout ``(*k, in, out)``: ``rf = prod(shape[:-2])``,
    ``fan_in = shape[-2]·rf``, ``fan_out = shape[-1]·rf``.

    Parameters
    ----------
    shape : sequence of int or None
        Weight shape; may be ``None`` (or have fewer than 2 dimensions) only when both fans are given.
    layout : str
        ``'torch'`` or a Keras-style alias (``'keras'``, ``'tf'``, ``'tensorflow'``, ``'jax'``, ``'flax'``).
    fan_in, fan_out : int, optional
        Explicit positive fans; each overrides the value computed from the shape.

    Raises
    ------
    FanError
        Fans undefined (fewer than 2 dimensions, no shape), zero (empty tensor) or a bad explicit fan.
    SpecError
        Unknown layout.
    """
    lay = canonical_layout(layout)
    fi = None if fan_in is None else _explicit_fan("fan_in", fan_in)
    fo = None if fan_out is None else _explicit_fan("fan_out", fan_out)
    dims = None if shape is None else _normalize_shape(shape)

    if dims is None or len(dims) < 2:
        if fi is not None and fo is not None:
            return Fans(fi, fo, 1, lay)
        if dims is None:
            raise FanError(
                "fans are undefined without a shape; pass shape= or both fan_in= and fan_out= "
                "(--fan-in/--fan-out on the command line)"
            )
        raise FanError(
            f"fans are undefined for shape {dims} (fewer than 2 dimensions); pass fan_in= and fan_out= "
            "explicitly (--fan-in/--fan-out on the command line)"
        )

    if lay == "torch":
        rf = math.prod(dims[2:])
        n_in, n_out = dims[1], dims[0]
    else:
        rf = math.prod(dims[:-2])
        n_in, n_out = dims[-2], dims[-1]
    computed_in, computed_out = n_in * rf, n_out * rf
    fi = computed_in if fi is None else fi
    fo = computed_out if fo is None else fo
    if fi == 0 or fo == 0:
        raise FanError(
            f"fans are zero for empty shape {dims} ({lay} layout); pass a non-empty tensor "
            "or fan_in= and fan_out= explicitly"
        )
    return Fans(fi, fo, rf, lay)
