"""Which calling convention an initializer uses, its readable name, and the seed of each draw.

Detection (``convention=None``), rules tried in this order, first match wins
---------------------------------------------------------------------------
1. ``'keras'``: the object's class comes from a module whose top-level package is ``keras``,
   ``tf_keras`` or ``tensorflow`` and it has ``get_config``.
2. ``'jax'``: the function's top-level module is ``jax`` or ``flax``.
3. ``'torch'``: the function's top-level module is ``torch``.
4. By the name of the first positional parameter (for a ``functools.partial``, the first one
   that is left): ``key``, ``rng_key``, ``prng_key`` → ``'jax'``; ``tensor``, ``t``, ``w``,
   ``weight``, ``x``, ``param`` → ``'torch'``; ``shape``, ``size``, ``dims`` → ``'numpy'``.
5. Otherwise a :class:`~verifier.errors.SourceError` asks for ``convention=``.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from verifier.errors import SourceError

__all__ = ["INITIALIZER_CONVENTIONS", "detect_convention", "draw_seed", "initializer_name"]

#: Conventions an initializer can be called with.
INITIALIZER_CONVENTIONS: tuple[str, ...] = ("torch", "numpy", "jax", "keras")

_JAX_PARAMS = frozenset({"key", "rng_key", "prng_key"})
_TORCH_PARAMS = frozenset({"tensor", "t", "w", "weight", "x", "param"})
_NUMPY_PARAMS = frozenset({"shape", "size", "dims"})
_RNG_PARAMS = frozenset({"rng", "generator", "gen", "random_state"})
_KERAS_ROOTS = frozenset({"keras", "tf_keras", "tensorflow"})
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def draw_seed(seed: int, index: int) -> int:
    """Seed of draw ``index`` for base ``seed``: ``SeedSequence([seed, index]).generate_state(1)[0]``."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _unwrap(fn: Any) -> Any:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def _root_module(fn: Any) -> str:
    target = _unwrap(fn)
    module = getattr(target, "__module__", None)
    if not isinstance(module, str) or not (
        inspect.isfunction(target) or inspect.ismethod(target) or inspect.isbuiltin(target)
    ):
        module = type(target).__module__ if not isinstance(target, type) else target.__module__
    return (module or "").split(".")[0]


def _is_keras_initializer(fn: Any) -> bool:
    return (
        not isinstance(fn, type)
        and type(fn).__module__.split(".")[0] in _KERAS_ROOTS
        and hasattr(fn, "get_config")
    )


def _signature(fn: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def _positional(fn: Any) -> list[inspect.Parameter]:
    """Positional parameters still open (a partial's bound ones are gone)."""
    sig = _signature(fn)
    if sig is None:
        return []
    return [
        p
        for p in sig.parameters.values()
        if p.kind in _POSITIONAL or p.kind == inspect.Parameter.VAR_POSITIONAL
    ]


def initializer_name(fn: Any) -> str:
    """A readable name: ``torch.nn.init.kaiming_normal_`` for framework functions, else the
    qualified name (``my_init``) or the class name of a callable object."""
    target = _unwrap(fn)
    qualname = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    if not isinstance(qualname, str) or isinstance(target, functools.partial):
        qualname = type(target).__name__
    elif not (inspect.isfunction(target) or inspect.ismethod(target) or inspect.isbuiltin(target)
              or isinstance(target, type)):
        qualname = type(target).__name__
    qualname = qualname.rpartition("<locals>.")[2]
    root = _root_module(fn)
    if root in {"torch", "jax", "flax", *_KERAS_ROOTS}:
        module = getattr(target, "__module__", None) or type(target).__module__
        if root == "torch" and module.startswith("torch.nn.init"):
            module = "torch.nn.init"
        return f"{module}.{qualname}"
    return qualname


def detect_convention(fn: Any) -> str:
    """Decide how to call ``fn`` (see the module docstring for the rules).

    Parameters
    ----------
    fn : callable
        The initializer.

    Returns
    -------
    str
        ``'torch'``, ``'numpy'``, ``'jax'`` or ``'keras'``.

    Raises
    ------
    SourceError
        If no rule applies.
    """
    if _is_keras_initializer(fn):
        return "keras"
    root = _root_module(fn)
    if root in {"jax", "flax"}:
        return "jax"
    if root == "torch":
        return "torch"
    params = _positional(fn)
    first = params[0].name if params else None
    if first in _JAX_PARAMS:
        return "jax"
    if first in _TORCH_PARAMS:
        return "torch"
    if first in _NUMPY_PARAMS:
        return "numpy"
    found = f"first parameter {first!r}" if first else "no named first parameter"
    raise SourceError(
        f"cannot tell how to call {initializer_name(fn)} ({found}); pass convention='torch' "
        "(fn(tensor)), 'numpy' (fn(shape[, rng])), 'jax' (fn(key, shape, dtype)) or 'keras'"
    )
