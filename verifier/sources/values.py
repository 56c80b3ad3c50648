"""Turn given values (numpy arrays, torch tensors, JAX arrays, lists) into a :class:`Sample`.

Values are not copied: numpy arrays (memmaps included) and torch tensors (on any device,
contiguous or not) are kept as they are, except a numpy view with negative strides (made
contiguous) and a big-endian array (converted to native byte order): one copy each. Objects that
expose ``__array__`` (JAX arrays, for instance) are converted with :func:`numpy.asarray`; lists
and tuples of floats become float64 numpy arrays (lists of ints or bools are refused, like int and
bool arrays). A broadcast (stride-0) or self-overlapping view is refused: its ``n`` values are not
``n`` independent draws. NaN and infinite values are *not* rejected here: a later check reports them.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import operator
import sys
from types import ModuleType
from typing import Any

import numpy as np

from verifier.distributed import from_dtensor, is_dtensor
from verifier.errors import InputTypeError, SourceError
from verifier.sources.dtypes import canonical_dtype
from verifier.sources.sample import Sample

__all__ = ["from_values", "host_views", "is_torch_tensor", "is_values", "normalize_shape", "optional_module"]


def optional_module(name: str) -> ModuleType | None:
    """Return the module ``name`` if it is installed, else ``None``, importing it lazily.

    Parameters
    ----------
    name : str
        Top-level module name such as ``'torch'``, ``'jax'`` or ``'keras'``.

    Returns
    -------
    module or None
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except (ImportError, ValueError):
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # a broken install counts as not installed
        return None


def _torch() -> ModuleType | None:
    """Return torch if installed (imported lazily), else ``None``."""
    return optional_module("torch")


def _loaded_torch() -> ModuleType | None:
    """Return torch only if it is already imported (a tensor cannot exist otherwise)."""
    return sys.modules.get("torch")


def is_torch_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a torch tensor, without importing torch."""
    torch = _loaded_torch()
    return torch is not None and isinstance(obj, torch.Tensor)


def is_values(obj: Any) -> bool:
    """Whether ``obj`` looks like values (rather than an initializer).

    True for numpy arrays, torch tensors, objects with ``__array__`` and lists/tuples.
    """
    if isinstance(obj, (np.ndarray, np.generic, list, tuple)):
        return True
    if is_torch_tensor(obj):
        return True
    return hasattr(obj, "__array__") and not isinstance(obj, type)


def normalize_shape(shape: Any, *, what: str = "shape") -> tuple[int, ...]:
    """Validate a shape: an int or a sequence of non-negative ints.

    Raises
    ------
    SourceError
        If ``shape`` is not a sequence of non-negative integers.
    """
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise SourceError(
            f"{what}={shape!r} is not a shape; pass a tuple of non-negative ints, e.g. (256, 128)"
        )
    dims: list[int] = []
    for dim in shape:
        if isinstance(dim, (bool, np.bool_)):
            raise SourceError(f"{what}={tuple(shape)!r} has a bool dimension; pass ints")
        try:
            value = operator.index(dim)
        except TypeError:
            raise SourceError(
                f"{what}={tuple(shape)!r} has a non-integer dimension {dim!r}; pass ints"
            ) from None
        if value < 0:
            raise SourceError(f"{what}={tuple(shape)!r} has a negative dimension; pass sizes >= 0")
        dims.append(value)
    return tuple(dims)


def _describe(obj: Any) -> str:
    module = type(obj).__module__.split(".")[0]
    if module in {"jax", "jaxlib"}:
        return "jax array"
    if module == "numpy":
        return "numpy array"
    return f"{type(obj).__name__} array"


def _from_torch(tensor: Any) -> tuple[Any, str, str, str]:
    if getattr(tensor, "is_nested", False):
        raise SourceError(
            "nested (ragged) tensor has no single shape; check its components one by one, or pass "
            "tensor.to_padded_tensor(0.0) if padding is what you mean"
        )
    if tensor.is_meta:
        raise SourceError(
            "meta tensor has no values; materialise it (module.to_empty(device='cpu') then "
            "re-initialise) before checking"
        )
    if tensor.layout != _loaded_torch().strided:  # type: ignore[union-attr]
        raise SourceError(
            f"tensor has layout {tensor.layout} and cannot be read directly; pass tensor.to_dense()"
        )
    kind = "torch parameter" if type(tensor).__name__ == "Parameter" else "torch tensor"  # before detach()
    if tensor.requires_grad or kind == "torch parameter":
        tensor = tensor.detach()
    dtype = canonical_dtype(tensor.dtype)
    return tensor, dtype, kind, str(tensor.device)


HOST_VIEW_MAX = 1 << 16
"""Samples of at most this many values have their CPU torch chunks read through numpy views
(:func:`host_views`)."""

_NUMPY_FLOATS = ("float16", "float32", "float64")


def host_views(sample: Sample) -> Sample:
    """``sample`` with each CPU torch chunk of a numpy float dtype replaced by a numpy view of the same
    memory (``tensor.detach().numpy()``: no copy, strides kept), where it has at most
    :data:`HOST_VIEW_MAX` values; otherwise ``sample`` itself.

    The values, and so every statistic, are the same. What changes is the per-call cost: a torch
    operation (``reshape``, a slice, ``detach``) costs 1–10 µs where numpy's costs well under 1,
    and a verdict of a small tensor makes dozens of them (65 µs of a 0.4 ms check at n = 32). Chunks
    on an accelerator, of bfloat16 or float8, of a distributed tensor, and large samples (whose
    summaries use torch's own kernels where numba is missing) are kept as they are; so is any
    tensor that numpy cannot view (a subclass with its own dispatch)."""
    if sample.shard is not None or sample.dtype not in _NUMPY_FLOATS or sample.n > HOST_VIEW_MAX:
        return sample
    chunks = []
    for c in sample.chunks:
        if is_torch_tensor(c) and c.device.type == "cpu":
            try:
                c = c.detach().numpy()
            except (RuntimeError, TypeError):  # a tensor subclass numpy cannot view: read it as torch
                return sample
        chunks.append(c)
    return Sample(tuple(chunks), sample.shape, sample.dtype, sample.draws, sample.source, sample.convention,
                  sample.seed, sample.device)


def _unmasked(values: np.ma.MaskedArray) -> np.ndarray:
    """The data of a masked array that masks nothing; a mask that hides values is refused, since
    the hidden values would otherwise be checked as if they were weights."""
    masked = int(np.ma.count_masked(values))
    if masked:
        raise SourceError(
            f"masked array hides {masked} of {values.size} values, and weights have no mask; pass "
            "values.compressed() to check only the visible values (fans then need fan_in=/fan_out=)"
        )
    return np.ma.getdata(values)


def _from_sequence(values: list[Any] | tuple[Any, ...]) -> np.ndarray:
    try:
        array = np.asarray(values)
    except ValueError as exc:
        raise SourceError(
            "nested lists have different lengths (ragged); pass a rectangular list or an array"
        ) from exc
    if array.dtype.kind == "O":
        raise InputTypeError(
            "list holds values that are not numbers; pass a list of floats or an array"
        )
    if array.dtype.kind != "f":
        canonical_dtype(array.dtype)  # InputTypeError naming the kind: integer, bool, complex, strings
    return array.astype(np.float64)


def _self_overlapping(shape: tuple[int, ...], strides: tuple[int, ...], itemsize: int) -> bool:
    """Whether a strided layout may map two indices to the same memory (a broadcast or overlap).

    Sufficient test for non-overlap: sorted by |stride|, each axis of size > 1 steps past the
    whole extent of the faster ones. A stride-0 (broadcast) axis of size > 1 always fails it.
    """
    axes = sorted((abs(st), d) for d, st in zip(shape, strides) if d > 1)
    extent = itemsize
    for stride, size in axes:
        if stride < extent:
            return True
        extent = stride * (size - 1) + extent
    return False


def _check_independent_memory(array: Any, is_torch: bool) -> None:
    """Refuse broadcast (stride-0) or self-overlapping views: their n values are not n draws."""
    if array.is_contiguous() if is_torch else (array.flags.c_contiguous or array.flags.f_contiguous):
        return  # a dense layout: every index its own memory
    if is_torch:
        strides = tuple(int(s) * array.element_size() for s in array.stride())
        itemsize = int(array.element_size())
    else:
        strides, itemsize = tuple(int(s) for s in array.strides), int(array.itemsize)
    if _self_overlapping(tuple(int(d) for d in array.shape), strides, itemsize):
        raise SourceError(
            f"values of shape {tuple(array.shape)} are a broadcast or overlapping view (strides "
            f"{strides} bytes): several indices read the same memory, so they are not "
            f"{math.prod(array.shape)} independent values; pass the array they were expanded from"
        )


def from_values(values: Any, *, shape: Any = None, dtype: Any = None) -> Sample:
    """Wrap given weight values in a :class:`Sample` (one draw, no copy).

    Parameters
    ----------
    values : array-like
        A numpy array (memmaps and ``ml_dtypes.bfloat16`` arrays included), a torch tensor on
        any device (kept there; non-contiguous is fine; ``requires_grad`` tensors are detached),
        an object with ``__array__`` such as a JAX array (converted with ``numpy.asarray``), or
        a (nested, rectangular) list or tuple of numbers (converted to float64).
    shape : tuple of int, optional
        If given, must equal the values' shape (a consistency check only).
    dtype : str or dtype, optional
        If given, must equal the values' dtype; values are never cast.

    Returns
    -------
    Sample
        ``convention='values'``, ``draws=1``, ``seed=None``.

    Raises
    ------
    InputTypeError
        Integer, boolean, complex, string or object values (lists of ints too, like int arrays).
    SourceError
        Meta, sparse or nested tensors, masked arrays that mask values, empty values, fewer than 2
        values, a ``shape=``/``dtype=`` that does not match the values, or a broadcast (stride-0) or
        self-overlapping view, whose ``n`` values are not ``n`` independent draws.

    Examples
    --------
    >>> import numpy as np
    >>> s = from_values(np.zeros((3, 4), dtype=np.float32))
    >>> s.shape, s.dtype, s.n
    ((3, 4), 'float32', 12)
    """
    if isinstance(values, (str, bytes)):
        raise InputTypeError(
            f"a {type(values).__name__} is not weight values; pass an array or tensor "
            "(import strings go to from_source)"
        )
    if isinstance(values, (bool, np.bool_)):
        raise InputTypeError(
            "boolean values (bool) cannot be weights of a continuous initializer; "
            "pass a floating-point tensor"
        )
    device = "cpu"
    if is_torch_tensor(values) and shape is None:
        if is_dtensor(values):  # this rank's shard; summaries are merged across ranks
            return from_dtensor(values, dtype=dtype)
    if is_torch_tensor(values):
        array, actual_dtype, kind, device = _from_torch(values)
    elif isinstance(values, np.ma.MaskedArray):
        array = _unmasked(values)
        actual_dtype = canonical_dtype(array.dtype)
        kind = "numpy masked array"
    elif isinstance(values, np.ndarray):
        array = values
        actual_dtype = canonical_dtype(values.dtype)
        kind = "numpy memmap" if isinstance(values, np.memmap) else "numpy array"
    elif isinstance(values, (list, tuple)):
        array = _from_sequence(values)
        actual_dtype = "float64"
        kind = f"{type(values).__name__} of numbers"
    elif isinstance(values, (int, float, np.generic)):
        array = np.asarray(values)
        actual_dtype = canonical_dtype(array.dtype)
        kind = "scalar"
    elif hasattr(values, "__array__"):
        try:
            array = np.asarray(values)
        except Exception as exc:
            raise SourceError(
                f"converting {type(values).__name__} to a numpy array failed: "
                f"{type(exc).__name__}: {_one_line(exc)}"
            ) from exc
        actual_dtype = canonical_dtype(array.dtype)
        kind = _describe(values)
    else:
        raise InputTypeError(
            f"cannot read values from a {type(values).__name__}; pass a numpy array, a torch "
            "tensor or a list of floats"
        )

    if isinstance(array, np.ndarray) and any(st < 0 for st in array.strides):
        array = np.ascontiguousarray(array)  # x[::-1]: one copy (torch cannot view negative strides)
    if isinstance(array, np.ndarray) and not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))  # big-endian: one copy (the kernels read native order)
    actual_shape = tuple(int(d) for d in array.shape)
    n = math.prod(actual_shape)
    if n == 0:
        raise SourceError(f"values are empty (shape {actual_shape}); pass a tensor with values")
    if n < 2:
        raise SourceError(
            f"values of shape {actual_shape} hold {n} value; a check needs at least 2 values; "
            "use draws=k with an initializer"
        )
    _check_independent_memory(array, is_torch_tensor(array))
    if shape is not None:
        wanted = normalize_shape(shape)
        if wanted != actual_shape:
            raise SourceError(
                f"values have shape {actual_shape} but shape={wanted} was given; "
                "drop shape= or reshape the values"
            )
    if dtype is not None:
        wanted_dtype = canonical_dtype(dtype)
        if wanted_dtype != actual_dtype:
            raise SourceError(
                f"values are {actual_dtype} but dtype={wanted_dtype!r} was given; "
                "dtype= only applies to initializers; cast the tensor yourself"
            )
    return Sample(
        chunks=(array,),
        shape=actual_shape,
        dtype=actual_dtype,
        draws=1,
        source=kind,
        convention="values",
        seed=None,
        device=device,
    )


def _one_line(exc: BaseException, limit: int = 300) -> str:
    """An exception's message on one line, shortened to ``limit`` characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
