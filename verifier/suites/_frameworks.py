"""Shared machinery of the Keras and JAX suites: a case list run through :func:`verifier.check`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..api import check
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
    iterable: Any = cases
    if progress:
        from ..commands._common import progress_bar

        wrap = progress_bar(True, desc="cases")
        iterable = wrap(cases) if wrap else cases
    out = []
    for case in iterable:
        verdict = check(case.make(), case.spec, shape=case.shape, layout="keras", dtype=case.dtype, seed=seed,
                        alpha=level)
        verdict = dataclasses.replace(verdict, sample=dataclasses.replace(verdict.sample, source=case.name))
        note = known.get((case.name, case.dtype))
        if note is not None and not verdict.passed and hasattr(verdict, "known_deviation"):
            verdict = dataclasses.replace(verdict, known_deviation=note)
        out.append(verdict)
    return out
