"""One draw of an initializer in each calling convention (torch, numpy, JAX, Keras): the call,
the seeding, and the checks of the result's shape and dtype (see :mod:`verifier.sources.initializers`
for the conventions)."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np

from verifier.errors import ContractError, InputTypeError, SourceError, VerifierError
from verifier.sources.dtypes import LOW_PRECISION, canonical_dtype
from verifier.sources.values import _one_line, is_torch_tensor, optional_module
from verifier.sources.conventions import _RNG_PARAMS, _positional, _signature

__all__: list[str] = []

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
