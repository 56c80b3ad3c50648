"""Sources: anything that yields weights, turned into a :class:`Sample`.

A source is given values (a numpy array, a torch tensor on any device, a JAX array, a list of
numbers), an initializer (torch ``f(tensor)``, numpy ``f(shape[, rng])``, JAX
``f(key, shape, dtype)``, a Keras ``Initializer``), or an import string naming either
(``pkg.mod:attr``, ``pkg.mod.attr``, ``path/to/file.py:attr``, with keyword arguments in call
syntax). :func:`from_source` dispatches to :func:`from_values` or :func:`from_initializer`.

Optional frameworks (torch, jax, keras) are imported only when they are needed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from verifier.errors import InputTypeError, SourceError
from verifier.sources.dtypes import CANONICAL_DTYPES, LOW_PRECISION, canonical_dtype
from verifier.sources.imports import Target, load_target, parse_kwargs
from verifier.sources.initializers import (
    INITIALIZER_CONVENTIONS,
    detect_convention,
    draw_seed,
    from_initializer,
)
from verifier.sources.sample import CONVENTIONS, Sample
from verifier.sources.values import _one_line, from_values, is_values

__all__ = [
    "CANONICAL_DTYPES",
    "CONVENTIONS",
    "INITIALIZER_CONVENTIONS",
    "LOW_PRECISION",
    "Sample",
    "Target",
    "canonical_dtype",
    "detect_convention",
    "draw_seed",
    "from_initializer",
    "from_source",
    "from_values",
    "load_target",
    "parse_kwargs",
]

_KERAS_ROOTS = frozenset({"keras", "tf_keras", "tensorflow"})


def _values(
    obj: Any, *, shape: Any, dtype: Any, draws: int, convention: str | None, origin: str | None
) -> Sample:
    if convention not in (None, "values"):
        raise SourceError(
            f"convention={convention!r} only applies to initializers; these are values, drop it"
        )
    if draws != 1:
        raise SourceError(
            f"draws={draws!r} only applies to initializers; given values are one draw, drop draws="
        )
    sample = from_values(obj, shape=shape, dtype=dtype)
    if origin is not None:
        sample = dataclasses.replace(sample, source=f"{origin} ({sample.source})")
    return sample


def _reject_containers(obj: Any) -> None:
    if isinstance(obj, dict):
        raise InputTypeError(
            "a dict (state dict?) holds many tensors; pass one of them, e.g. sd['fc.weight']"
        )
    module = type(obj).__module__.split(".")[0]
    if module == "torch" and any(c.__name__ == "Module" for c in type(obj).__mro__):
        raise InputTypeError(
            f"a torch {type(obj).__name__} module holds many tensors; pass one, e.g. "
            "module.weight"
        )


def _instantiate_keras_class(obj: Any, kwargs: dict[str, Any], display: str) -> Any:
    try:
        return obj(**kwargs)
    except Exception as exc:
        raise SourceError(
            f"creating {display} failed: {type(exc).__name__}: {_one_line(exc)}"
        ) from exc


def from_source(
    source: Any,
    *,
    shape: Any = None,
    dtype: Any = None,
    seed: int = 0,
    draws: int = 1,
    convention: str | None = None,
) -> Sample:
    """Turn any source of weights into a :class:`Sample`.

    Parameters
    ----------
    source : str, array-like, callable or Keras initializer
        An import string (see :func:`load_target`), values (see :func:`from_values`) or an
        initializer (see :func:`from_initializer`).
    shape : tuple of int, optional
        Required for initializers; for values only checked against their shape.
    dtype : str or dtype, optional
        Dtype to draw initializers in (default ``'float32'``); for values only checked.
    seed : int, default 0
        Base seed of the draws (initializers only).
    draws : int, default 1
        Number of independent draws (initializers only; values are one draw).
    convention : {'torch', 'numpy', 'jax', 'keras'}, optional
        How to call an initializer; detected when ``None``.

    Returns
    -------
    Sample

    Raises
    ------
    InputTypeError
        A source of a type that cannot give weights, or non-float values.
    SourceError
        Any other problem with the source; the message says how to fix it.

    Examples
    --------
    >>> import numpy as np
    >>> from_source(np.ones((2, 3), dtype=np.float32)).shape
    (2, 3)
    """
    origin: str | None = None
    kwargs: dict[str, Any] = {}
    obj = source
    if isinstance(source, str):
        target = load_target(source)
        obj, kwargs, origin = target.obj, dict(target.kwargs), target.display
        if isinstance(obj, str):
            raise InputTypeError(
                f"{origin} is a str, not an initializer or tensor; name a function or an array"
            )
    _reject_containers(obj)
    if is_values(obj):
        if kwargs:
            raise SourceError(
                f"{origin} names values, not an initializer; drop the keyword arguments"
            )
        return _values(
            obj, shape=shape, dtype=dtype, draws=draws, convention=convention, origin=origin
        )
    if isinstance(obj, type) and obj.__module__.split(".")[0] in _KERAS_ROOTS and hasattr(
        obj, "get_config"
    ):
        obj = _instantiate_keras_class(obj, kwargs, origin or obj.__name__)
        kwargs = {}
    if callable(obj):
        return from_initializer(
            obj,
            shape=shape,
            dtype="float32" if dtype is None else dtype,
            seed=seed,
            draws=draws,
            convention=convention,
            kwargs=kwargs,
            name=origin,
        )
    raise InputTypeError(
        f"cannot get weights from a {type(obj).__name__}; pass a tensor, an array, an "
        "initializer function or an import string such as 'torch.nn.init.normal_'"
    )
