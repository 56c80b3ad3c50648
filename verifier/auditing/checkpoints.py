"""Sharded checkpoints: ``model.safetensors.index.json`` (the layout transformers writes) and
directories of ``.safetensors`` shards, audited tensor by tensor.

Each shard is opened with :func:`safetensors.safe_open` (a memory map; nothing is unpickled)
and its tensors are read one at a time, checked and dropped, so the memory held is about one
tensor plus its summary, whatever the checkpoint's size. With ``jobs > 1`` the shards are
split among that many processes (each audits whole shards); the rows come back in the
checkpoint's order and the correction across tensors is applied once, as for one file, so
the report equals the single-file audit of the same tensors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.errors import SourceError

__all__ = ["Checkpoint", "is_checkpoint", "open_checkpoint"]

INDEX_SUFFIX = ".index.json"


@dataclass(frozen=True)
class Checkpoint:
    """A sharded checkpoint: shard files in order, with the tensor names each holds."""

    display: str
    shards: tuple[tuple[Path, tuple[str, ...]], ...]

    @property
    def total(self) -> int:
        return sum(len(names) for _, names in self.shards)

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(name, tensor)`` one at a time, shard by shard."""
        for path, names in self.shards:
            yield from _shard_items(path, names)


def is_checkpoint(obj: Any) -> bool:
    """A ``*.index.json`` path or a directory (holding ``.safetensors`` shards)."""
    if not isinstance(obj, (str, Path)):
        return False
    text = str(obj)
    if text.lower().endswith(INDEX_SUFFIX):
        return True
    return ":" not in Path(text).name and Path(text).is_dir()


def open_checkpoint(obj: str | Path) -> Checkpoint:
    """Read the index (or list the directory); one-line :class:`SourceError` on any problem."""
    path = Path(obj)
    if path.is_dir():
        indexes = sorted(path.glob("*.safetensors" + INDEX_SUFFIX))
        if len(indexes) == 1:
            return open_checkpoint(indexes[0])
        files = sorted(path.glob("*.safetensors"))
        if not files:
            raise SourceError(f"directory {str(path)!r} holds no .safetensors shards; pass a checkpoint directory "
                              "or its model.safetensors.index.json")
        return Checkpoint(str(path), tuple((f, tuple(_keys(f))) for f in files))
    if not path.is_file():
        raise SourceError(f"checkpoint index {str(path)!r} not found; pass an existing *.safetensors.index.json")
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
        weight_map = index["weight_map"]
        if not isinstance(weight_map, dict):
            raise TypeError("weight_map is not a mapping")
    except (ValueError, KeyError, TypeError, OSError) as exc:  # malformed JSON or layout
        raise SourceError(f"cannot read checkpoint index {str(path)!r}: {type(exc).__name__}: {exc}; "
                          "expected {\"weight_map\": {tensor name: shard file}}".splitlines()[0]) from None
    by_file: dict[str, list[str]] = {}
    for name, fname in weight_map.items():
        by_file.setdefault(str(fname), []).append(str(name))
    shards = []
    for fname, names in by_file.items():
        shard = (path.parent / fname).resolve()
        if path.parent.resolve() not in shard.parents:
            raise SourceError(f"checkpoint index {str(path)!r} names {fname!r} outside its directory; refusing it")
        if not shard.is_file():
            raise SourceError(f"shard {fname!r} named by {str(path)!r} not found next to it")
        shards.append((shard, tuple(names)))
    return Checkpoint(str(path), tuple(shards))


def _keys(path: Path) -> list[str]:
    from verifier.loaders import open_safetensors

    keys, _ = open_safetensors(path, str(path))
    return keys


BLOCK_BYTES = 1 << 24
"""Tensors larger than this are copied out of the shard in row blocks of about this size."""


def _shard_items(path: Path, names: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """One tensor at a time, read through short-lived ``safe_open`` handles.

    A handle keeps every page it has read mapped (kept open for a whole shard, the shard ends
    up resident: 2.5 GiB RSS measured on a 2 GiB shard), and ``get_tensor`` copies the tensor
    out while its pages are resident (twice the tensor). So small tensors get their own handle,
    and large ones are copied in row blocks of :data:`BLOCK_BYTES`, each through a new handle:
    the peak is one tensor plus one block.
    """
    from verifier.loaders import open_safetensors

    keys, _ = open_safetensors(path, str(path))
    missing = [n for n in names if n not in set(keys)]
    if missing:
        raise SourceError(f"shard {path.name!r} lacks {len(missing)} tensor(s) its index names, e.g. {missing[0]!r}")
    for name in names:
        t = _read(path, name)
        yield name, t
        del t


def _read(path: Path, name: str) -> Any:
    from safetensors import safe_open

    from verifier.loaders import open_safetensors

    try:
        import torch

        framework = "pt"
    except ImportError:
        framework = "numpy"
    try:
        with safe_open(str(path), framework=framework) as f:
            sl = f.get_slice(name)
            shape = tuple(int(d) for d in sl.get_shape())
        rows = shape[0] if shape else 0
        size = 1
        for d in shape:
            size *= d
        per_row = max(1, size // max(rows, 1)) * 4
        if not rows or size * 4 <= BLOCK_BYTES:
            _, get = open_safetensors(path, str(path))
            return get(name)
        step = max(1, BLOCK_BYTES // per_row)
        out = None
        for r0 in range(0, rows, step):
            with safe_open(str(path), framework=framework) as f:
                block = f.get_slice(name)[r0:r0 + step]
            if out is None:
                if framework == "pt":
                    import torch

                    out = torch.empty(shape, dtype=block.dtype)
                else:
                    import numpy as np

                    out = np.empty(shape, dtype=block.dtype)
            out[r0:r0 + step] = block
            del block
        return out
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader error becomes one line naming the tensor
        raise SourceError(f"cannot read {path} ({name}): {type(exc).__name__}: {exc}".splitlines()[0]) from None


def _audit_shards(args: tuple[Checkpoint, Any, float]) -> list[Any]:
    """Worker: the (undecided) rows of some shards."""
    ckpt, ruleset, alpha = args
    from .model import _state_dict_rows

    return _state_dict_rows(ckpt.items(), ckpt.total, ruleset, alpha, False)


def checkpoint_rows(ckpt: Checkpoint, ruleset: Any, alpha: float, progress: bool | None, jobs: int) -> list[Any]:
    """The rows of every tensor, in checkpoint order; ``jobs`` processes share the shards."""
    from .model import _state_dict_rows

    if jobs <= 1 or len(ckpt.shards) <= 1:
        return _state_dict_rows(ckpt.items(), ckpt.total, ruleset, alpha, progress)
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    parts = [Checkpoint(ckpt.display, (s,)) for s in ckpt.shards]
    with ProcessPoolExecutor(max_workers=min(jobs, len(parts)), mp_context=mp.get_context("spawn")) as pool:
        results = list(pool.map(_audit_shards, [(p, ruleset, alpha) for p in parts]))
    return [row for rows in results for row in rows]
