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

import functools
import inspect
import math
import operator
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np

from verifier.errors import ContractError, InputTypeError, SourceError, VerifierError
from verifier.sources.dtypes import LOW_PRECISION, canonical_dtype
from verifier.sources.sample import Sample
from verifier.sources.values import _one_line, is_torch_tensor, normalize_shape, optional_module

__all__ = [
    "INITIALIZER_CONVENTIONS",
    "detect_convention",
    "draw_seed",
    "from_initializer",
    "initializer_name",
]

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


def _format_kwargs(kwargs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def _call(fn: Callable[..., Any], name: str, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except VerifierError:
        raise
    except SystemExit as exc:  # KeyboardInterrupt is left alone: Ctrl-C stops verifier too
        raise SourceError(
            f"{name} called sys.exit({exc.code!r}) instead of returning, so nothing was checked; "
            "remove the sys.exit call from the initializer"
        ) from None
    except Exception as exc:
        raise SourceError(f"calling {name} failed: {type(exc).__name__}: {_one_line(exc)}") from exc


def _need(module: str, convention: str) -> ModuleType:
    found = optional_module(module)
    if found is None:
        raise SourceError(
            f"convention {convention!r} needs {module}, which is not installed; pip install {module}"
        )
    return found


def _check_shape(result: Any, shape: tuple[int, ...], name: str) -> None:
    got = tuple(int(d) for d in getattr(result, "shape", ()))
    if got != shape:
        raise ContractError(f"{name} returned shape {got}, expected {shape}; check the initializer",
                            contract="shape", expected=shape, got=got, name=name, result=result)


def _check_dtype(actual: str, wanted: str, name: str, result: Any = None) -> None:
    if actual != wanted:
        raise ContractError(f"{name} returned {actual} values, expected {wanted}; check that it honours dtype",
                            contract="dtype", expected=wanted, got=actual, name=name, result=result)


# --- torch -------------------------------------------------------------------------------


def _draw_torch(fn: Any, shape: tuple[int, ...], dtype: str, seed: int, kwargs: dict[str, Any],
                name: str) -> Any:
    torch = _need("torch", "torch")
    torch_dtype = getattr(torch, dtype)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        # NaN, not torch.empty's garbage: a buffer the initializer forgot to fill is then known
        tensor = torch.full(shape, math.nan, dtype=torch_dtype)
        try:
            out = _call(fn, name, tensor, **kwargs)
        except SourceError as exc:
            cause = exc.__cause__
            if dtype in LOW_PRECISION and isinstance(cause, (NotImplementedError, RuntimeError)) \
                    and "not implemented for" in str(cause):
                raise SourceError(
                    f"{exc}; torch cannot run {name} in {dtype} on cpu: pass dtype='float32' "
                    "(or initialise in float32 and cast, as torch users do)"
                ) from cause
            raise
    if isinstance(out, torch.Tensor):
        result = out  # a function that returns a new tensor is verified on what it returned
    elif out is None or out is tensor:
        result = tensor
    elif isinstance(out, np.ndarray) or hasattr(out, "__array__"):
        array = _to_float_array(out, name)
        _check_shape(array, shape, name)
        return _cast(array, dtype)
    else:
        raise SourceError(
            f"{name} returned a {type(out).__name__}; a torch-convention initializer fills the tensor it is "
            "given (and may return it, or a new tensor): return None, a tensor or an array"
        )
    if getattr(result, "is_nested", False) or result.layout != torch.strided or result.is_meta:
        raise SourceError(
            f"{name} returned a {'meta' if result.is_meta else 'nested' if result.is_nested else str(result.layout)} "
            "tensor, which holds no plain values; return a dense tensor with values"
        )
    if result.requires_grad:
        result = result.detach()
    if not result.is_floating_point():
        canonical_dtype(result.dtype)  # raises InputTypeError
    _check_shape(result, shape, name)
    _check_dtype(canonical_dtype(result.dtype), dtype, name, result)
    if result is tensor and bool(torch.isnan(tensor.reshape(-1)[0])) and bool(torch.isnan(tensor).all()):
        raise SourceError(
            f"{name} neither filled the tensor it was given nor returned one (every value is still unset); "
            "a torch-convention initializer fills its argument in place, e.g. with tensor.normal_()"
        )
    return result


# --- numpy -------------------------------------------------------------------------------


def _takes_rng(fn: Any, kwargs: Mapping[str, Any]) -> bool:
    params = _positional(fn)
    if len(params) < 2:
        return False
    second = params[1]
    if second.kind == inspect.Parameter.VAR_POSITIONAL:
        return True
    if second.name in kwargs:
        return False
    return second.default is inspect.Parameter.empty or second.name in _RNG_PARAMS


def _to_float_array(result: Any, name: str) -> np.ndarray:
    if is_torch_tensor(result):
        result = result.detach().cpu()
        if not result.is_floating_point():
            canonical_dtype(result.dtype)
        if str(result.dtype) == "torch.bfloat16":  # numpy has no bfloat16 of its own
            result = result.float()
    try:
        array = np.asarray(result)
    except Exception as exc:
        raise SourceError(
            f"{name} returned a {type(result).__name__} that is not an array: {_one_line(exc)}"
        ) from exc
    if array.dtype.kind == "O":
        raise InputTypeError(
            f"{name} returned values that are not numbers ({type(result).__name__}); "
            "return a floating-point array"
        )
    canonical_dtype(array.dtype)  # InputTypeError for integer, bool, complex, strings
    return array


def _cast(array: np.ndarray, dtype: str) -> Any:
    if dtype in {"float16", "float32", "float64"}:
        return array if array.dtype == np.dtype(dtype) else array.astype(dtype)
    if array.dtype.name == "bfloat16":
        return array
    torch = optional_module("torch")
    if torch is not None:
        f32 = np.ascontiguousarray(array, dtype=np.float32)
        return torch.from_numpy(f32).to(torch.bfloat16)
    ml_dtypes = optional_module("ml_dtypes")
    if ml_dtypes is not None:
        return array.astype(ml_dtypes.bfloat16)
    raise SourceError(
        "casting to bfloat16 needs torch or ml_dtypes; pip install torch (or ml_dtypes)"
    )


def _takes_dtype(fn: Any, kwargs: Mapping[str, Any]) -> bool:
    """Whether ``fn`` has a parameter named ``dtype`` that ``kwargs`` leaves open."""
    sig = _signature(fn)
    return sig is not None and "dtype" in sig.parameters and "dtype" not in kwargs and \
        sig.parameters["dtype"].kind != inspect.Parameter.POSITIONAL_ONLY


def _numpy_dtype(dtype: str) -> Any:
    """The dtype object passed as ``dtype=`` to a numpy-style initializer."""
    if dtype != "bfloat16":
        return np.dtype(dtype)
    ml_dtypes = optional_module("ml_dtypes")
    return ml_dtypes.bfloat16 if ml_dtypes is not None else "bfloat16"


def _result_dtype(result: Any) -> str:
    """Canonical dtype of an initializer's result, read before any conversion."""
    return canonical_dtype(result.dtype if hasattr(result, "dtype") else np.asarray(result).dtype)


def _draw_numpy(fn: Any, shape: tuple[int, ...], dtype: str, seed: int, kwargs: dict[str, Any],
                name: str) -> Any:
    asked = _takes_dtype(fn, kwargs)
    if asked:
        kwargs = {**kwargs, "dtype": _numpy_dtype(dtype)}
    if _takes_rng(fn, kwargs):
        result = _call(fn, name, shape, np.random.default_rng(seed), **kwargs)
    else:
        state = np.random.get_state()
        try:
            np.random.seed(seed)
            result = _call(fn, name, shape, **kwargs)
        finally:
            np.random.set_state(state)
    if asked:  # it was told the dtype: a cast would hide that it ignored it
        _check_dtype(_result_dtype(result), dtype, name, result)
    array = _to_float_array(result, name)
    _check_shape(array, shape, name)
    return _cast(array, dtype)


# --- jax ---------------------------------------------------------------------------------


def _draw_jax(fn: Any, shape: tuple[int, ...], dtype: str, seed: int, kwargs: dict[str, Any],
              name: str) -> Any:
    jax = _need("jax", "jax")
    import jax.numpy as jnp  # noqa: PLC0415  (optional dependency, imported lazily)

    key = jax.random.PRNGKey(seed % 2**31)
    result = _call(fn, name, key, shape, getattr(jnp, dtype), **kwargs)
    array = _to_float_array(result, name)
    _check_shape(array, shape, name)
    _check_dtype(canonical_dtype(array.dtype), dtype, name, array)
    return array


# --- keras -------------------------------------------------------------------------------


def _draw_keras(fn: Any, shape: tuple[int, ...], dtype: str, seed: int, kwargs: dict[str, Any],
                name: str) -> Any:
    keras = _need("keras", "keras")
    initializer = fn
    config = _call(fn.get_config, name) if hasattr(fn, "get_config") else None
    if isinstance(config, dict) and "seed" in config and hasattr(type(fn), "from_config"):
        initializer = _call(type(fn).from_config, name, {**config, "seed": seed})
    elif hasattr(fn, "seed") and fn.seed is None:
        keras.utils.set_random_seed(seed)
    result = _call(initializer, name, shape, dtype=dtype, **kwargs)
    if is_torch_tensor(result):
        result = result.detach().cpu()
        _check_shape(result, shape, name)
        _check_dtype(canonical_dtype(result.dtype), dtype, name, result)
        return result
    result = _call(keras.ops.convert_to_numpy, name, result)
    array = _to_float_array(result, name)
    _check_shape(array, shape, name)
    _check_dtype(canonical_dtype(array.dtype), dtype, name, array)
    return array


_DRAW = {"torch": _draw_torch, "numpy": _draw_numpy, "jax": _draw_jax, "keras": _draw_keras}


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
