"""Shared machinery of the Keras and JAX suites: a case list run through :func:`verifier.check`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..api import check
from ..progress import progress as bar
from ..stats.decision import validate_alpha

__all__ = ["Case", "run_cases", "DENSE", "CONV"]

DENSE = (256, 512)
CONV = (3, 3, 64, 128)


@dataclass(frozen=True)
class Case:
    """One initializer (``make()`` builds it), what its documentation says, and where to draw it."""

    name: str  # how the user writes it: "keras.initializers.HeNormal()"
    make: Callable[[], Any]
    spec: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    note: str = ""


def run_cases(cases: list[Case], *, seed: int, alpha: float | None, progress: bool,
              known: dict[tuple[str, str], str]) -> list[Any]:
    """Check every case in Keras layout; failing cases listed in ``known`` carry the explanation."""
    level = validate_alpha(alpha)
    return [check(case.make(), case.spec, shape=case.shape, layout="keras", dtype=case.dtype, seed=seed, alpha=level,
                  label=case.name, known_deviation=known.get((case.name, case.dtype)))
            for case in bar(cases, enabled=progress, desc="cases", unit="case")]
