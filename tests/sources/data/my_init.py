"""Test fixture: numpy-style initializers loaded by file path (tests/sources/test_imports.py)."""

from __future__ import annotations

import numpy as np

__all__ = ["Inits", "WEIGHTS", "legacy_init", "my_init"]

WEIGHTS = np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(3, 4)


def my_init(shape: tuple[int, ...], rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """Normal(0, scale) values drawn from ``rng``."""
    return rng.normal(0.0, scale, size=shape)


def legacy_init(shape: tuple[int, ...], low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """Uniform values from numpy's legacy global generator."""
    return np.random.uniform(low, high, size=shape)


class Inits:
    """A namespace of initializers (for the ``file.py:Class.attr`` form)."""

    @staticmethod
    def uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        """U(-1, 1) values drawn from ``rng``."""
        return rng.uniform(-1.0, 1.0, size=shape)
