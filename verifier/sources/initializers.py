"""Call an initializer and collect its draws into a :class:`Sample`.

Calling conventions
-------------------
``'torch'``
    ``fn(tensor, **kwargs)`` fills ``torch.empty(shape, dtype=dtype)`` in place (every
    ``torch.nn.init`` function works). If ``fn`` returns a tensor, that tensor is used;
    otherwise the filled tensor is.
``'numpy'``
    ``fn(shape, rng, **kwargs)`` with ``rng = np.random.default_rng(draw_seed)`` when ``fn``
    takes a second positional parameter that is not given in ``kwargs`` and either has no
    default or is named ``rng``, ``generator``, ``gen`` or ``random_state`` (a ``*args``
    parameter counts too). Otherwise ``fn(shape, **kwargs)`` is called with the legacy global
    ``np.random.seed(draw_seed)`` set, and the previous global state is restored afterwards.
    If ``fn`` has a parameter named ``dtype`` (not given in ``kwargs``), the requested dtype is
    passed as ``dtype=`` and the result must have it (an initializer that ignores it is refused,
    never cast silently). Otherwise (numpy's own generators return float64) the result is cast
    to ``dtype`` (``bfloat16`` through torch with round-to-nearest-even, or ``ml_dtypes`` when
    torch is missing). The result must have exactly ``shape``.
``'jax'``
    ``fn(key, shape, dtype, **kwargs)`` with ``key = jax.random.PRNGKey(draw_seed % 2**31)``
    (JAX without x64 takes only 32-bit signed seeds); the result goes through ``np.asarray``.
``'keras'``
    A Keras ``Initializer`` instance, called as ``fn(shape, dtype=dtype, **kwargs)``. If its
    config has a ``seed`` entry, a copy is made per draw with ``seed=draw_seed`` (so that
    draws differ and repeat); otherwise, if its ``seed`` attribute is ``None``,
    ``keras.utils.set_random_seed(draw_seed)`` is called first.

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

Draw seeds
----------
Draw ``i`` (``0 <= i < draws``) uses
``draw_seed = int(np.random.SeedSequence([seed, i]).generate_state(1)[0])``, so the same
``seed`` always gives the same values and the draws are independent streams.

The torch global RNG is not disturbed: each draw runs inside ``torch.random.fork_rng(devices=[])``
and seeds only the CPU generator (``torch.default_generator``), leaving CUDA generators alone.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any

import numpy as np

from verifier.errors import SourceError
from verifier.sources.dtypes import canonical_dtype
from verifier.sources.sample import Sample
from verifier.sources.values import is_torch_tensor, normalize_shape
from verifier.sources.conventions import (
    _KERAS_ROOTS,
    INITIALIZER_CONVENTIONS,
    _root_module,
    detect_convention,
    draw_seed,
    initializer_name,
)
from verifier.sources.drawing import _DRAW, _format_kwargs

__all__ = [
    "INITIALIZER_CONVENTIONS",
    "detect_convention",
    "draw_seed",
    "from_initializer",
    "initializer_name",
]


def _check_int(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise SourceError(f"{what}={value!r} must be an int >= {minimum}")
    try:
        number = operator.index(value)
    except TypeError:
        raise SourceError(f"{what}={value!r} must be an int >= {minimum}") from None
    if number < minimum:
        raise SourceError(f"{what}={number} must be an int >= {minimum}")
    return number


def from_initializer(
    fn: Any,
    *,
    shape: Any,
    dtype: Any = "float32",
    seed: int = 0,
    draws: int = 1,
    convention: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> Sample:
    """Call an initializer ``draws`` times and return its values as a :class:`Sample`.

    Parameters
    ----------
    fn : callable
        A torch-style ``fn(tensor)``, numpy-style ``fn(shape[, rng])``, JAX-style
        ``fn(key, shape, dtype)`` initializer, or a Keras ``Initializer`` instance.
    shape : tuple of int
        Shape of one draw (required; must hold at least one value).
    dtype : str or dtype, default 'float32'
        Dtype to draw in; see :func:`verifier.sources.dtypes.canonical_dtype`.
    seed : int, default 0
        Base seed; draw ``i`` uses :func:`draw_seed` ``(seed, i)``.
    draws : int, default 1
        Number of independent draws.
    convention : {'torch', 'numpy', 'jax', 'keras'}, optional
        How to call ``fn``; detected when ``None`` (rules in the module docstring).
    kwargs : mapping, optional
        Keyword arguments passed to every call.
    name : str, optional
        Description used in :attr:`Sample.source` and in messages (default: derived from
        ``fn`` and ``kwargs``).

    Returns
    -------
    Sample

    Raises
    ------
    SourceError
        Bad arguments, a failing initializer, or a result of the wrong shape.
    InputTypeError
        The initializer returned integer, boolean, complex or non-numeric values.

    Examples
    --------
    >>> import numpy as np
    >>> s = from_initializer(lambda shape, rng: rng.normal(size=shape), shape=(4, 3),
    ...                      convention='numpy', seed=1, draws=2)
    >>> s.n, s.dtype
    (24, 'float32')
    """
    if not callable(fn):
        raise SourceError(
            f"a {type(fn).__name__} is not callable, so it is not an initializer; pass a "
            "function such as torch.nn.init.normal_"
        )
    if shape is None:
        raise SourceError("an initializer needs shape=..., e.g. shape=(256, 128)")
    dims = normalize_shape(shape)
    if math.prod(dims) == 0:
        raise SourceError(f"shape={dims} holds no values; pass a shape with every dimension >= 1")
    count = _check_int(draws, "draws", 1)
    base_seed = _check_int(seed, "seed", 0)
    if math.prod(dims) * count < 2:
        raise SourceError(
            f"shape={dims} with draws={count} gives 1 value; a check needs at least 2; "
            "use draws=k or a bigger shape"
        )
    canonical = canonical_dtype(dtype if dtype is not None else "float32")
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, Mapping) or not all(isinstance(k, str) for k in kwargs):
        raise SourceError("kwargs= must be a dict with string keys, e.g. {'mode': 'fan_out'}")
    call_kwargs = dict(kwargs)
    if convention is None:
        conv = detect_convention(fn)
    elif convention in INITIALIZER_CONVENTIONS:
        conv = convention
    else:
        raise SourceError(
            f"unknown convention={convention!r}; use one of 'torch', 'numpy', 'jax', 'keras'"
        )
    base = name if name is not None else initializer_name(fn)
    if name is None and call_kwargs:
        description = f"{base}({_format_kwargs(call_kwargs)})"
    else:
        description = base
    if _root_module(fn) not in {"torch", "jax", "flax", *_KERAS_ROOTS}:
        description = f"{description} ({conv} convention)"

    draw = _DRAW[conv]
    chunks = tuple(
        draw(fn, dims, canonical, draw_seed(base_seed, i), call_kwargs, base) for i in range(count)
    )
    device = str(chunks[0].device) if is_torch_tensor(chunks[0]) else "cpu"
    return Sample(
        chunks=chunks,
        shape=dims,
        dtype=canonical,
        draws=count,
        source=description,
        convention=conv,
        seed=base_seed,
        device=device,
    )
