"""Load a saved tensor safely: ``.npy``, ``.npz:key``, ``.safetensors:key``, ``.pt:key``.

Nothing is ever unpickled: numpy files are read with ``allow_pickle=False``, torch files with
``torch.load(weights_only=True)``, safetensors with :func:`safetensors.safe_open`. A file that
needs pickle (an object array, a ``.pt`` holding a custom class) is refused with a clear message.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Any

from .errors import SourceError

__all__ = ["TENSOR_SUFFIXES", "is_tensor_file", "split_file_target", "load_tensor", "open_safetensors", "torch_load"]

TENSOR_SUFFIXES = (".npy", ".npz", ".safetensors", ".pt", ".pth")


def split_file_target(text: str) -> tuple[str, str | None] | None:
    """``'w.npz:fc1'`` → ``('w.npz', 'fc1')``; ``'w.npy'`` → ``('w.npy', None)``; None if not a tensor file."""
    text = text.strip()
    if text.lower().endswith(TENSOR_SUFFIXES):
        return text, None
    path, sep, key = text.rpartition(":")
    if sep and path.lower().endswith(TENSOR_SUFFIXES):
        return path, key
    return None


def is_tensor_file(text: str) -> bool:
    return split_file_target(text) is not None


def _pick(keys: list[str], key: str | None, path: str, kind: str) -> str:
    if key is None:
        if len(keys) == 1:
            return keys[0]
        listed = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
        raise SourceError(f"{path} holds {len(keys)} {kind}; name one as {path}:KEY (keys: {listed})")
    if key not in keys:
        import difflib

        close = difflib.get_close_matches(key, keys, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        listed = ", ".join(keys[:10]) + (", ..." if len(keys) > 10 else "")
        raise SourceError(f"key {key!r} not found in {path}; {hint}keys: {listed}")
    return key


_PICKLE = ("needs pickle to load, and verifier never unpickles files (unpickling runs arbitrary code); "
           "save plain tensors instead (numpy.save of a float array, safetensors, or torch.save of a tensor / state dict)")


def _numpy(path: Path, key: str | None, display: str) -> Any:
    import numpy as np

    try:
        data = np.load(path, allow_pickle=False, mmap_mode="r" if path.suffix == ".npy" else None)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise SourceError(f"{display} {_PICKLE}") from None
        raise SourceError(f"cannot read {display}: {exc}") from None
    if isinstance(data, np.ndarray):
        if key is not None:
            raise SourceError(f"{display}: a .npy file holds one array; drop ':{key}'")
        return data
    with data:
        name = _pick(list(data.files), key, str(path), "arrays")
        try:
            return data[name]
        except ValueError as exc:
            if "pickle" in str(exc).lower():
                raise SourceError(f"{display} ({name}) {_PICKLE}") from None
            raise SourceError(f"cannot read {display}: {exc}") from None


def open_safetensors(path: Path, display: str) -> tuple[list[str], Callable[[str], Any]]:
    """The tensor names of a ``.safetensors`` file and a reader of one tensor by name.

    Tensors are read one at a time (torch tensors when torch is installed, else numpy).
    """
    try:
        from safetensors import safe_open
    except ImportError:
        raise SourceError("reading .safetensors needs the safetensors package: pip install safetensors") from None
    try:
        import torch  # noqa: F401

        framework = "pt"
    except ImportError:
        framework = "numpy"
    try:
        handle = safe_open(str(path), framework=framework)
        keys = list(handle.keys())
    except Exception as exc:
        raise SourceError(f"cannot read {display}: {type(exc).__name__}: {exc}".splitlines()[0]) from None

    def get(name: str) -> Any:
        try:
            return handle.get_tensor(name)
        except Exception as exc:
            raise SourceError(f"cannot read {display} ({name}): {type(exc).__name__}: {exc}".splitlines()[0]) from None

    return keys, get


def torch_load(path: Path, display: str) -> Any:
    """``torch.load(weights_only=True)`` on the CPU, memory-mapped where the file format allows.

    A file that needs pickle beyond plain tensors (a whole pickled module, a custom class)
    is refused with :data:`_PICKLE`.
    """
    try:
        import torch
    except ImportError:
        raise SourceError("reading .pt files needs torch: pip install torch") from None
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # a legacy (non-zip) file cannot be memory-mapped
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        if "weights_only" in str(exc) or "Unpickl" in type(exc).__name__ or "pickle" in str(exc).lower():
            raise SourceError(f"{display} {_PICKLE} (torch.load(weights_only=True) refused it)") from None
        raise SourceError(f"cannot read {display}: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None


def _safetensors(path: Path, key: str | None, display: str) -> Any:
    keys, get = open_safetensors(path, display)
    return get(_pick(keys, key, str(path), "tensors"))


def _torch(path: Path, key: str | None, display: str) -> Any:
    import torch

    obj = torch_load(path, display)
    if isinstance(obj, torch.Tensor):
        if key is not None:
            raise SourceError(f"{display}: the file holds one tensor; drop ':{key}'")
        return obj
    if isinstance(obj, dict):
        tensors = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if not tensors:
            raise SourceError(f"{display} holds a dict without tensors; nothing to check")
        return tensors[_pick(list(tensors), key, str(path), "tensors")]
    raise SourceError(f"{display} holds a {type(obj).__name__}, not a tensor or a dict of tensors")


def load_tensor(text: str) -> tuple[Any, str]:
    """Load the tensor a file target names; return it and a display name.

    Raises
    ------
    SourceError
        File not found, a key that is not in the file, a file that needs pickle, an unreadable file.
    """
    parts = split_file_target(text)
    if parts is None:
        raise SourceError(f"{text!r} is not a tensor file; use .npy, .npz:key, .safetensors:key or .pt:key")
    path_text, key = parts
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise SourceError(f"file not found: {path_text!r}; check the path")
    display = f"{path_text}:{key}" if key is not None else path_text
    suffix = path.suffix.lower()
    if suffix in (".npy", ".npz"):
        return _numpy(path, key, display), display
    if suffix == ".safetensors":
        return _safetensors(path, key, display), display
    return _torch(path, key, display), display
