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


def _shard_items(path: Path, names: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """One tensor at a time, each through its own ``safe_open`` handle: a handle kept open
    keeps every page it has read mapped (the whole shard ends up resident: 2.5 GiB RSS measured
    on a 2 GiB shard), so the map is dropped after each tensor is copied out."""
    from verifier.loaders import open_safetensors

    keys, _ = open_safetensors(path, str(path))
    missing = [n for n in names if n not in set(keys)]
    if missing:
        raise SourceError(f"shard {path.name!r} lacks {len(missing)} tensor(s) its index names, e.g. {missing[0]!r}")
    del _
    for name in names:
        _, get = open_safetensors(path, str(path))
        t = get(name)
        del _, get
        yield name, t
        del t


def _audit_shards(args: tuple[Checkpoint, Any]) -> tuple[list[Any], Any]:
    """Worker: the (undecided) rows of some shards, and the rule usage it recorded."""
    ckpt, ctx = args
    from .walks import state_dict_rows

    rows = state_dict_rows(ckpt.items(), ckpt.total, ctx, False)
    return rows, ctx


def checkpoint_rows(ckpt: Checkpoint, ctx: Any, progress: bool | None, jobs: int) -> list[Any]:
    """The rows of every tensor, in checkpoint order; ``jobs`` processes share the shards (each
    records which rules matched; the records are merged into ``ctx``)."""
    from .walks import state_dict_rows

    if jobs <= 1 or len(ckpt.shards) <= 1:
        return state_dict_rows(ckpt.items(), ckpt.total, ctx, progress)
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    parts = [Checkpoint(ckpt.display, (s,)) for s in ckpt.shards]
    with ProcessPoolExecutor(max_workers=min(jobs, len(parts)), mp_context=mp.get_context("spawn")) as pool:
        results = list(pool.map(_audit_shards, [(p, ctx) for p in parts]))
    for _, worker_ctx in results:
        ctx.merge_usage(worker_ctx)
    return [row for rows, _ in results for row in rows]
