"""The :class:`Sample`: weight values plus everything needed to interpret them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["CONVENTIONS", "Sample"]

#: The ways a sample can have been produced.
CONVENTIONS: tuple[str, ...] = ("values", "torch", "numpy", "jax", "keras")


@dataclass(frozen=True)
class Sample:
    """Values drawn from a source, not copied, with their description.

    Attributes
    ----------
    chunks : tuple
        One array per draw, each of ``shape``: a numpy ndarray (any float dtype, including
        ``ml_dtypes.bfloat16``; a memmap is fine) or a torch tensor (any device, possibly
        non-contiguous). The arrays are the caller's own; they are not copied.
    shape : tuple of int
        Shape of one draw.
    dtype : str
        Canonical dtype name (see :mod:`verifier.sources.dtypes`).
    draws : int
        Number of independent draws (``len(chunks)``).
    source : str
        Human description, e.g. ``"torch.nn.init.kaiming_normal_(mode='fan_out')"`` or
        ``"numpy array"``.
    convention : str
        ``'values'``, ``'torch'``, ``'numpy'``, ``'jax'`` or ``'keras'``.
    seed : int or None
        Base seed of the draws; ``None`` for values given directly.
    device : str
        Where the values live: ``'cpu'``, ``'cuda:0'``, ...
    shard : verifier.distributed.ShardInfo or None
        For a distributed tensor: ``chunks`` hold this rank's shard, ``shape`` is the global
        shape, and summaries are merged across ranks (:mod:`verifier.distributed`).
    """

    chunks: tuple[Any, ...]
    shape: tuple[int, ...]
    dtype: str
    draws: int
    source: str
    convention: str
    seed: int | None
    device: str
    shard: Any = None  # verifier.distributed.ShardInfo: chunks are this rank's shard, shape the global one

    @property
    def n(self) -> int:
        """Total number of values: ``prod(shape) * draws``."""
        return math.prod(self.shape) * self.draws

    def __repr__(self) -> str:
        return (
            f"Sample(source={self.source!r}, shape={self.shape}, dtype={self.dtype!r}, "
            f"draws={self.draws}, convention={self.convention!r}, seed={self.seed}, "
            f"device={self.device!r})"
        )
