"""Canonical floating-point dtype names.

Every source reports its dtype as one of four canonical names: ``'float16'``, ``'bfloat16'``,
``'float32'`` and ``'float64'``. :func:`canonical_dtype` maps the spellings users and frameworks
use (strings, numpy dtypes, torch dtypes, ``ml_dtypes.bfloat16``) onto these names.
"""

from __future__ import annotations

from typing import Any

from verifier.errors import InputTypeError, SourceError

__all__ = ["CANONICAL_DTYPES", "LOW_PRECISION", "canonical_dtype"]

#: The dtypes a weight tensor may have, from lowest to highest precision.
CANONICAL_DTYPES: tuple[str, ...] = ("float16", "bfloat16", "float32", "float64")

#: Dtypes whose rounding grid is coarse enough that checks must model it.
LOW_PRECISION: frozenset[str] = frozenset({"float16", "bfloat16"})

_ALIASES: dict[str, str] = {
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "f2": "float16",
    "<f2": "float16",
    "e": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
    "single": "float32",
    "f4": "float32",
    "<f4": "float32",
    "f": "float32",
    "float64": "float64",
    "fp64": "float64",
    "double": "float64",
    "f8": "float64",
    "<f8": "float64",
    "d": "float64",
}

_INTEGER_WORDS = ("int", "uint", "bool", "complex", "long", "short", "byte", "char")


def _not_float(name: str) -> InputTypeError:
    kind = "complex" if "complex" in name else "boolean" if "bool" in name else "integer"
    return InputTypeError(
        f"{kind} values ({name}) cannot be weights of a continuous initializer; "
        "pass a floating-point tensor"
    )


def _unknown(name: str) -> SourceError:
    return SourceError(
        f"unknown dtype {name!r}; use one of {', '.join(CANONICAL_DTYPES)} "
        "(or fp16, half, bf16, fp32, float, fp64, double)"
    )


def _from_name(name: str) -> str:
    key = name.strip().lower()
    for prefix in ("torch.", "numpy.", "np.", "jnp.", "jax.numpy."):
        if key.startswith(prefix):
            key = key[len(prefix):]
    if key in _ALIASES:
        return _ALIASES[key]
    if key.startswith(_INTEGER_WORDS) or key in {"?", "b1", "i", "l", "q", "h", "i1", "i2", "i4", "i8",
                                                 "u1", "u2", "u4", "u8"}:
        raise _not_float(key)
    if key.startswith(("float8", "float4", "float6")):
        raise SourceError(
            f"dtype {key!r} is not supported; use one of {', '.join(CANONICAL_DTYPES)}"
        )
    raise _unknown(name)


_TORCH_NAMES: dict[Any, str] = {}
"""Canonical names of the torch dtypes met so far (one string parse each)."""


def canonical_dtype(dtype: Any) -> str:
    """Return the canonical name of a floating-point dtype.

    Parameters
    ----------
    dtype : str, numpy.dtype, type, torch.dtype or ml_dtypes.bfloat16
        A dtype in any common spelling: ``'float32'``, ``'fp16'``, ``'half'``, ``'bf16'``,
        ``'double'``, ``np.float32``, ``np.dtype('float16')``, ``torch.bfloat16``, ...

    Returns
    -------
    str
        One of ``'float16'``, ``'bfloat16'``, ``'float32'``, ``'float64'``.

    Raises
    ------
    InputTypeError
        For integer, boolean and complex dtypes (these cannot hold draws of a continuous
        initializer).
    SourceError
        For a dtype that is not recognised.

    Examples
    --------
    >>> canonical_dtype('half')
    'float16'
    >>> import numpy as np
    >>> canonical_dtype(np.float64)
    'float64'
    """
    if isinstance(dtype, str):
        return _from_name(dtype)
    if dtype is None or isinstance(dtype, bool):
        raise _unknown(repr(dtype))
    # torch.dtype (checked by type name, so that torch need not be imported)
    if type(dtype).__module__ == "torch" and type(dtype).__name__ == "dtype":
        name = _TORCH_NAMES.get(dtype)
        if name is None:
            name = _TORCH_NAMES[dtype] = _from_name(str(dtype))  # (an error is raised, not stored)
        return name
    # numpy dtypes, numpy scalar types and ml_dtypes (bfloat16 is a numpy dtype named 'bfloat16')
    try:
        import numpy as np

        np_dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        np_dtype = None
    if np_dtype is not None:
        if np_dtype.name == "bfloat16":
            return "bfloat16"
        if np_dtype.kind in "iub":
            raise _not_float(np_dtype.name)
        if np_dtype.kind == "c":
            raise _not_float(np_dtype.name)
        if np_dtype.kind == "f":
            return _from_name(np_dtype.name)
        if np_dtype.kind == "V" and np_dtype.itemsize == 2 and "bfloat16" in str(dtype):
            return "bfloat16"
        raise InputTypeError(
            f"values of dtype {np_dtype.name!r} are not numbers; pass a floating-point tensor"
        )
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None)
    if isinstance(name, str):
        return _from_name(name)
    raise _unknown(repr(dtype))
