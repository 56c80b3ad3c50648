"""Load a saved tensor safely: ``.npy``, ``.npz:key``, ``.safetensors:key``, ``.pt:key``.

Nothing is ever unpickled: numpy files are read with ``allow_pickle=False``, torch files with
``torch.load(weights_only=True)``, safetensors with :func:`safetensors.safe_open`. A file that
needs pickle (an object array, a ``.pt`` holding a custom class) is refused with a clear message.

Nothing is allocated before its size is known and accepted. Every loader compares the size a file
*declares* (shape × itemsize in a ``.npy`` header; the uncompressed size of a zip member; a
safetensors header) with the bytes the file actually holds (a liar: "truncated or corrupt") and with
the memory budget ``max_bytes`` (default :data:`DEFAULT_MAX_BYTES`; the CLI's ``--max-bytes``), so a
268-byte file declaring 37 GiB, or a zip bomb, is refused before a byte is allocated. Every failure
is a :class:`~verifier.errors.SourceError` (or :class:`~verifier.errors.ResourceError` for the
budget) with one line naming the file, the problem and the fix.
"""

from __future__ import annotations

import math
from pathlib import Path
from collections.abc import Callable
from typing import Any

from .errors import ResourceError, SourceError

__all__ = ["TENSOR_SUFFIXES", "DEFAULT_MAX_BYTES", "is_tensor_file", "split_file_target", "load_tensor",
           "open_safetensors", "torch_load", "format_bytes"]

TENSOR_SUFFIXES = (".npy", ".npz", ".safetensors", ".pt", ".pth")

#: Default memory budget of one loaded tensor: 4 GiB.
DEFAULT_MAX_BYTES = 4 * 2**30


def format_bytes(n: int) -> str:
    """``40000000000`` → ``'37.3 GiB'`` (binary units)."""
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _first_line(exc: BaseException) -> str:
    """``Type: first line of the message`` (just the type when the message is empty)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _over_budget(display: str, what: str, nbytes: int, max_bytes: int) -> ResourceError:
    return ResourceError(f"{display}: {what} needs {format_bytes(nbytes)}, above the memory budget of "
                         f"{format_bytes(max_bytes)}; raise --max-bytes (max_bytes=) if the machine has the memory")


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


_SAFETENSORS_ITEMSIZE = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2,
                         "U16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I8": 1, "U8": 1, "BOOL": 1}

_PICKLE = ("needs pickle to load, and verifier never unpickles files (unpickling runs arbitrary code); "
           "save plain tensors instead (numpy.save of a float array, safetensors, or torch.save of a tensor / state dict)")


def _npy_header(fp: Any, display: str) -> tuple[tuple[int, ...], Any, int, bool]:
    """Read a ``.npy`` header from ``fp``: (shape, dtype, declared data bytes, fortran order).
    Nothing is allocated."""
    import math

    import numpy as np
    from numpy.lib import format as npf

    try:
        version = npf.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = npf.read_array_header_1_0(fp)
        else:  # 2.0 and 3.0 differ from 1.0 only in the header length field (and 3.0's encoding)
            shape, fortran, dtype = npf.read_array_header_2_0(fp)
    except Exception as exc:
        raise SourceError(f"cannot read {display}: not a valid .npy array ({_first_line(exc)}); "
                          "check the file, or save it again with numpy.save") from None
    if dtype.hasobject:
        raise SourceError(f"{display} {_PICKLE}")
    return tuple(int(d) for d in shape), np.dtype(dtype), math.prod(shape) * dtype.itemsize, bool(fortran)


def _check_declared(display: str, shape: tuple[int, ...], dtype: Any, declared: int, available: int,
                    max_bytes: int) -> None:
    if declared > available:
        raise SourceError(
            f"{display} declares an array of shape {shape} {dtype} ({format_bytes(declared)}) but holds only "
            f"{format_bytes(available)} of data: the file is truncated or corrupt; save it again"
        )
    if declared > max_bytes:
        raise _over_budget(display, f"the array of shape {shape} {dtype}", declared, max_bytes)


def _npy(path: Path, key: str | None, display: str, max_bytes: int) -> Any:
    import numpy as np

    if key is not None:
        raise SourceError(f"{display}: a .npy file holds one array; drop ':{key}'")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fp:
            shape, dtype, declared, _ = _npy_header(fp, display)
            offset = fp.tell()
    except OSError as exc:
        raise SourceError(f"cannot read {display}: {exc.strerror or _first_line(exc)}; check the file") from None
    _check_declared(display, shape, dtype, declared, size - offset, max_bytes)
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if declared else None)
    except Exception as exc:
        raise SourceError(f"cannot read {display}: {_first_line(exc)}; check the file") from None


def _npz(path: Path, key: str | None, display: str, max_bytes: int) -> Any:
    """One member of an ``.npz`` (a zip of ``.npy`` files), its declared size checked first."""
    import zipfile

    import numpy as np

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise SourceError(f"cannot read {display}: not a valid .npz (zip) file ({_first_line(exc)}); "
                          "save it again with numpy.savez") from None
    with archive:
        infos = {(i.filename[:-4] if i.filename.endswith(".npy") else i.filename): i for i in archive.infolist()
                 if not i.is_dir()}
        if not infos:
            raise SourceError(f"{display} holds no arrays; nothing to check")
        name = _pick(list(infos), key, str(path), "arrays")
        info = infos[name]
        shown = f"{path}:{name}"
        try:
            with archive.open(info) as fp:
                shape, dtype, declared, fortran = _npy_header(fp, shown)
                _check_declared(shown, shape, dtype, declared, info.file_size - fp.tell(), max_bytes)
                data = fp.read(declared)  # at most the declared, accepted size; zipfile checks the CRC
        except (SourceError, ResourceError):
            raise
        except Exception as exc:
            raise SourceError(f"cannot read {shown}: {_first_line(exc)}; the file is truncated or corrupt, "
                              "save it again") from None
    if len(data) != declared:
        raise SourceError(f"cannot read {shown}: {len(data)} of {declared} bytes; the file is truncated or corrupt, "
                          "save it again")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def open_safetensors(path: Path, display: str, *, max_bytes: int | None = None
                     ) -> tuple[list[str], Callable[[str], Any]]:
    """The tensor names of a ``.safetensors`` file and a reader of one tensor by name.

    Tensors are read one at a time (torch tensors when torch is installed, else numpy); with
    ``max_bytes``, a tensor whose header declares more is refused before it is read. (safetensors
    itself checks that the header's offsets lie inside the file, so no tensor exceeds the file.)
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
        raise SourceError(f"cannot read {display}: {_first_line(exc)}") from None

    def get(name: str) -> Any:
        try:
            part = handle.get_slice(name)
            shape = tuple(int(d) for d in part.get_shape())
            declared = math.prod(shape) * _SAFETENSORS_ITEMSIZE.get(str(part.get_dtype()).upper(), 8)
        except Exception as exc:
            raise SourceError(f"cannot read {display} ({name}): {_first_line(exc)}") from None
        if max_bytes is not None and declared > max_bytes:
            raise _over_budget(f"{display} ({name})", f"the tensor of shape {shape}", declared, max_bytes)
        try:
            return handle.get_tensor(name)
        except Exception as exc:
            raise SourceError(f"cannot read {display} ({name}): {_first_line(exc)}") from None

    return keys, get


def _check_torch_zip(path: Path, display: str) -> None:
    """A zip-format ``.pt``: refuse compressed members (torch.save never compresses; a zip bomb
    does) before torch reads anything. Stored members cannot hold more than the file, and torch
    memory-maps them."""
    import zipfile

    try:
        if not zipfile.is_zipfile(path):
            return  # the legacy format: torch.load itself checks it
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise SourceError(f"cannot read {display}: {_first_line(exc)}; the file is truncated or corrupt") from None
    packed = [i.filename for i in infos if i.compress_type != zipfile.ZIP_STORED]
    if packed:
        raise SourceError(f"{display} has compressed members ({packed[0]}); torch.save never compresses, so the "
                          "file is not a torch checkpoint (or is a zip bomb); save it again with torch.save")
    lying = [i.filename for i in infos if i.file_size != i.compress_size]
    if lying:
        raise SourceError(f"{display}: member {lying[0]} declares a size that differs from what it stores; the file "
                          "is corrupt, save it again with torch.save")


def torch_load(path: Path, display: str) -> Any:
    """``torch.load(weights_only=True)`` on the CPU, memory-mapped where the file format allows.

    A file that needs pickle beyond plain tensors (a whole pickled module, a custom class)
    is refused with :data:`_PICKLE`; a zip-format file with compressed or lying members is
    refused before torch reads it.
    """
    try:
        import torch
    except ImportError:
        raise SourceError("reading .pt files needs torch: pip install torch") from None
    _check_torch_zip(path, display)
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # a legacy (non-zip) file cannot be memory-mapped
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        if "weights_only" in str(exc) or "Unpickl" in type(exc).__name__ or "pickle" in str(exc).lower():
            raise SourceError(f"{display} {_PICKLE} (torch.load(weights_only=True) refused it)") from None
        raise SourceError(f"cannot read {display}: {_first_line(exc)}; the file is truncated or corrupt, "
                          "save it again with torch.save") from None


def _safetensors(path: Path, key: str | None, display: str, max_bytes: int) -> Any:
    keys, get = open_safetensors(path, display, max_bytes=max_bytes)
    if not keys:
        raise SourceError(f"{display} holds no tensors; nothing to check")
    return get(_pick(keys, key, str(path), "tensors"))


def _torch(path: Path, key: str | None, display: str, max_bytes: int) -> Any:
    obj = torch_load(path, display)
    import torch

    if isinstance(obj, torch.Tensor):
        if key is not None:
            raise SourceError(f"{display}: the file holds one tensor; drop ':{key}'")
        tensor = obj
    elif isinstance(obj, dict):
        tensors = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if not tensors:
            raise SourceError(f"{display} holds a dict without tensors; nothing to check")
        tensor = tensors[_pick(list(tensors), key, str(path), "tensors")]
    else:
        raise SourceError(f"{display} holds a {type(obj).__name__}, not a tensor or a dict of tensors")
    try:
        declared = tensor.numel() * tensor.element_size()
    except Exception:  # sparse, nested: from_values explains
        return tensor
    if declared > max_bytes:
        raise _over_budget(display, f"the tensor of shape {tuple(tensor.shape)}", declared, max_bytes)
    return tensor


def load_tensor(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Any, str]:
    """Load the tensor a file target names; return it and a display name.

    Raises
    ------
    SourceError
        File not found, a key that is not in the file, a file that needs pickle, an unreadable,
        empty, truncated or lying file.
    ResourceError
        The tensor (as declared, before anything is read) needs more than ``max_bytes``.
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
    if suffix == ".npy":
        return _npy(path, key, display, max_bytes), display
    if suffix == ".npz":
        return _npz(path, key, display, max_bytes), display
    if suffix == ".safetensors":
        return _safetensors(path, key, display, max_bytes), display
    return _torch(path, key, display, max_bytes), display
