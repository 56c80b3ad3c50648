"""Distributed tensors (torch.distributed DTensors: FSDP2 ``fully_shard`` and tensor-parallel
parameters): each rank summarises its local shard; the summaries are merged with collectives.

The flow is the single-tensor one (:func:`verifier.check`, :func:`verifier.audit`):

* :func:`from_dtensor` makes a :class:`~verifier.sources.sample.Sample` whose ``shape`` is
  the **global** shape (fans, mode and number of PIT bins come from it, so every rank
  summarises the same way) and whose ``chunks`` are this rank's local shard. A shard that
  replicates another (a ``Replicate`` placement, at mesh coordinate > 0 along that mesh
  dimension) contributes no values, so every value of the global tensor is counted once.
* :func:`merge_across_ranks` (called by :func:`verifier.stats.summary.summarize`) gathers
  the small per-rank parts (counts, moments, min/max, and in 'exact' mode the sorted values:
  at most ``EXACT_MAX`` in all) with ``all_gather_object`` and sums the histograms with
  ``all_reduce``; every rank merges the same list in rank order, so every rank gets the
  bit-identical summary, hence the same verdict. Histograms and counts equal those of the
  gathered tensor exactly; moments agree to float64 rounding (they are merged in another
  order).
* **Structure checks** (ties, bound atoms, blocks: :mod:`verifier.stats.structure`) read
  values at positions of the whole tensor. Up to :data:`~verifier.stats.blocks.SLICES_CAP`
  values (4 M) every rank gathers the tensor (``DTensor.full_tensor()``, a collective, at most
  32 MB) and runs them on it: the verdict is then the gathered tensor's, check for check. Above
  that they are not run on a distributed tensor; the ``shards`` check
  below still catches shards seeded alike.
* **Repeated shards.** The same seed on every rank (a classic tensor-parallel bug) makes
  the shards copies of each other. Each rank sends a fingerprint of its shard: its first
  :data:`PREFIX` values. Under a continuous null two independent shards cannot share a
  prefix of ≥ 2 distinct values (probability 0), so a repeated fingerprint is a
  deterministic failure of the ``shards`` check; constant prefixes (zeros, ones) are not
  fingerprinted.

Only rank 0 should write reports: :func:`is_writer`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InputTypeError

if TYPE_CHECKING:
    from .sources.sample import Sample
    from .stats.summary import Summary

__all__ = ["PREFIX", "ShardInfo", "from_dtensor", "is_dtensor", "is_writer", "merge_across_ranks"]

PREFIX = 64
"""Values of each shard's start compared across ranks (the repeated-shard fingerprint)."""


@dataclass(frozen=True)
class ShardInfo:
    """Where a sample's values are: this rank's shard of a tensor spread over ``group``."""

    group: Any  # a torch.distributed ProcessGroup (None: the default group)
    rank: int
    world: int
    replica: bool  # this rank's shard repeats another rank's (Replicate placement): not counted
    placements: str
    dtensor: Any = field(default=None, compare=False, repr=False)  # the DTensor (gathered for structure checks)


def is_dtensor(obj: Any) -> bool:
    """Whether ``obj`` is a torch DTensor (without importing torch.distributed; one MRO walk per type)."""
    cls = type(obj)
    known = _DTENSOR_TYPES.get(cls)
    if known is None:
        known = _DTENSOR_TYPES[cls] = any(c.__name__ == "DTensor" and c.__module__.startswith("torch.distributed")
                                          for c in cls.__mro__)
    return known


_DTENSOR_TYPES: dict[type, bool] = {}


def _group_of(mesh: Any) -> Any:
    """The process group spanning the whole mesh (the default group when it spans the world)."""
    import torch.distributed as dist

    if mesh.size() == dist.get_world_size():
        return None
    if mesh.ndim == 1:
        return mesh.get_group()
    raise InputTypeError(
        f"a DTensor on a {mesh.ndim}-D device mesh smaller than the world ({mesh.size()} of "
        f"{dist.get_world_size()} ranks) is not supported; check t.full_tensor() or a 1-D mesh's tensor")


def from_dtensor(t: Any, *, dtype: str | None = None) -> Sample:
    """The :class:`Sample` of this rank's shard of DTensor ``t`` (``shape``: the global shape)."""
    from torch.distributed.tensor import Replicate, Shard

    from .errors import SourceError
    from .sources.dtypes import canonical_dtype
    from .sources.sample import Sample
    from .sources.values import _from_torch

    mesh = t.device_mesh
    coord = mesh.get_coordinate()
    if coord is None:
        raise InputTypeError("this rank is not part of the DTensor's device mesh; check it on the mesh's ranks")
    replica = False
    for i, p in enumerate(t.placements):
        if isinstance(p, Replicate):
            replica = replica or coord[i] != 0
        elif not isinstance(p, Shard):
            raise InputTypeError(
                f"DTensor placement {p} holds partial values; reduce it first, e.g. "
                "t.redistribute(t.device_mesh, [Replicate()])")
    local = t.to_local()
    if replica:
        local = local.reshape(-1)[:0]
    # the local shard may hold 0 or 1 values (uneven shards): no per-shard size rule here;
    # the global sample's size is what the checks see
    local, actual, kind, device = _from_torch(local)
    if dtype is not None and canonical_dtype(dtype) != actual:
        raise SourceError(f"dtype={dtype!r} but the DTensor holds {actual}; drop dtype= or convert the tensor")
    base = Sample((local,), tuple(local.shape), actual, 1, kind, "values", None, device)
    import torch.distributed as dist

    info = ShardInfo(_group_of(mesh), dist.get_rank(), dist.get_world_size(), replica,
                     ", ".join(str(p) for p in t.placements), t)
    return replace(base, shape=tuple(int(d) for d in t.shape), source=f"DTensor [{info.placements}] "
                   f"(rank {info.rank} of {info.world})", shard=info)


def _fingerprint(sample: Sample) -> bytes | None:
    """Hash of the shard's first :data:`PREFIX` values, or ``None`` (a replica, or < 2 distinct)."""
    from .stats.summary import iter_blocks

    for block in iter_blocks(sample, PREFIX):
        head = np.ascontiguousarray(block[:PREFIX])
        if np.unique(head).size < 2:
            return None
        return hashlib.blake2b(head.tobytes(), digest_size=16).digest()
    return None


def merge_across_ranks(local: Summary, sample: Sample) -> Summary:
    """The summary of the whole distributed tensor, the same on every rank (see the module docstring)."""
    import torch
    import torch.distributed as dist

    info = sample.shard
    group = info.group
    counts = local.counts
    if counts is not None:
        t = torch.from_numpy(np.ascontiguousarray(counts, dtype=np.int64))
        if dist.get_backend(group) == "nccl":
            t = t.cuda()
        dist.all_reduce(t, op=dist.ReduceOp.SUM, group=group)
        counts = t.cpu().numpy()
    part = replace(local, counts=None if local.mode != "exact" else local.counts)
    fp = None if info.replica else _fingerprint(sample)
    parts: list[Any] = [None] * (dist.get_world_size(group))
    dist.all_gather_object(parts, (part, fp, info.replica), group=group)
    total: Summary | None = None
    seen: set[bytes] = set()
    repeated = shards = 0
    for p, f, replica in parts:
        if not replica:
            shards += 1
        if f is not None:
            repeated += f in seen
            seen.add(f)
        if p.mode != "exact":
            p = replace(p, counts=np.zeros(0, dtype=np.int64))
        total = p if total is None else total.merge(p)
    assert total is not None
    if total.mode != "exact":
        total = replace(total, counts=counts)
    return replace(total, shards=shards, repeated_shards=repeated)


def is_writer(group: Any = None) -> bool:
    """True on rank 0, or when torch.distributed is not initialised: the rank that writes reports."""
    import sys

    tdist = sys.modules.get("torch.distributed")
    if tdist is None or not tdist.is_available() or not tdist.is_initialized():
        return True
    return int(tdist.get_rank(group)) == 0
