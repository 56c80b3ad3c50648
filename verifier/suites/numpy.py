"""The textbook numpy recipe of each scheme, checked against its spec.

Each recipe is written the way tutorials write it, e.g. ``np.random.randn(fan_in, fan_out) *
np.sqrt(2/fan_in)``, on weights of shape ``(fan_in, fan_out)`` (Keras layout; for convolutions
``(kh, kw, in, out)`` with ``fan_in = kh·kw·in``). A recipe that silently used the wrong fan or
the wrong constant would fail here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..api import check
from ..progress import progress as bar
from ..stats.decision import validate_alpha

__all__ = ["TITLE", "NOTES", "RECIPES", "run"]

TITLE = "Textbook numpy initialization recipes (verifier suite numpy)"
NOTES = ["Weights have shape (fan_in, fan_out) or (kh, kw, in, out) (Keras layout); values are float64 "
         "drawn with numpy's global generator (np.random), seeded per case."]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    rf = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return shape[-2] * rf, shape[-1] * rf


def xavier_uniform(shape):  # noqa: ANN001, ANN201
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6 / (fan_in + fan_out))
    return np.random.uniform(-limit, limit, size=shape)


def xavier_normal(shape):  # noqa: ANN001, ANN201
    fan_in, fan_out = _fans(shape)
    return np.random.randn(*shape) * np.sqrt(2 / (fan_in + fan_out))


def he_uniform(shape):  # noqa: ANN001, ANN201
    fan_in, _ = _fans(shape)
    limit = np.sqrt(6 / fan_in)
    return np.random.uniform(-limit, limit, size=shape)


def he_normal(shape):  # noqa: ANN001, ANN201
    fan_in, _ = _fans(shape)
    return np.random.randn(*shape) * np.sqrt(2 / fan_in)


def lecun_uniform(shape):  # noqa: ANN001, ANN201
    fan_in, _ = _fans(shape)
    limit = np.sqrt(3 / fan_in)
    return np.random.uniform(-limit, limit, size=shape)


def lecun_normal(shape):  # noqa: ANN001, ANN201
    fan_in, _ = _fans(shape)
    return np.random.randn(*shape) * np.sqrt(1 / fan_in)


def standard_heuristic(shape):  # noqa: ANN001, ANN201
    fan_in, _ = _fans(shape)
    return np.random.uniform(-1 / np.sqrt(fan_in), 1 / np.sqrt(fan_in), size=shape)


def he_normal_generator(shape, rng):  # noqa: ANN001, ANN201
    fan_in, _ = _fans(shape)
    return rng.standard_normal(shape) * np.sqrt(2 / fan_in)


#: (recipe as tutorials write it, function, spec)
RECIPES: list[tuple[str, Callable[..., Any], str]] = [
    ("np.random.uniform(-l, l, (fan_in, fan_out)), l = np.sqrt(6/(fan_in+fan_out))", xavier_uniform,
     "xavier_uniform"),
    ("np.random.randn(fan_in, fan_out) * np.sqrt(2/(fan_in+fan_out))", xavier_normal, "xavier_normal"),
    ("np.random.uniform(-l, l, (fan_in, fan_out)), l = np.sqrt(6/fan_in)", he_uniform, "he_uniform"),
    ("np.random.randn(fan_in, fan_out) * np.sqrt(2/fan_in)", he_normal, "he_normal"),
    ("rng.standard_normal((fan_in, fan_out)) * np.sqrt(2/fan_in)", he_normal_generator, "he_normal"),
    ("np.random.uniform(-l, l, (fan_in, fan_out)), l = np.sqrt(3/fan_in)", lecun_uniform, "lecun_uniform"),
    ("np.random.randn(fan_in, fan_out) * np.sqrt(1/fan_in)", lecun_normal, "lecun_normal"),
    ("np.random.uniform(-1/np.sqrt(fan_in), 1/np.sqrt(fan_in), (fan_in, fan_out))", standard_heuristic,
     f"lecun_uniform(gain={1 / math.sqrt(3)!r})"),
]

SHAPES = ((256, 512), (784, 100), (3, 3, 64, 32))


def run(*, seed: int = 0, alpha: float | None = None, progress: bool = False) -> list[Any]:
    """Check every recipe on every shape; one verdict each."""
    level = validate_alpha(alpha)
    todo = [(r, s) for r in RECIPES for s in SHAPES]
    return [check(fn, spec, shape=shape, layout="keras", dtype="float64", seed=seed + i, alpha=level,
                  convention="numpy", label=text)
            for i, ((text, fn, spec), shape) in enumerate(bar(todo, enabled=progress, desc="suite numpy",
                                                                    unit="case"))]
