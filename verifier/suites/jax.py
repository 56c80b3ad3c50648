"""Conformance of ``jax.nn.initializers`` to the JAX documentation (``verifier suite jax``).

JAX initializers are ``f(key, shape, dtype)`` in the ``(*k, in, out)`` layout; every case is drawn
in dense ``(256, 512)`` and conv ``(3, 3, 64, 128)`` shapes in float32, a few also in bfloat16.
What JAX documents:

- ``glorot_*``/``he_*``/``lecun_*``: ``variance_scaling(1|2|1, fan_avg|fan_in|fan_in, ...)``;
  ``*_normal`` are *truncated* normals at ±2s, ``s = √v/0.8796`` (variance ``v``);
- ``variance_scaling(scale, mode, distribution)`` with ``'truncated_normal'``, ``'normal'``
  (untruncated) or ``'uniform'``;
- ``normal(stddev)`` = ``N(0, stddev²)``; ``uniform(scale)`` = ``U(0, scale)`` (not symmetric);
  ``truncated_normal(stddev, lower, upper)``: bounds in std units, no variance correction.
"""

from __future__ import annotations

from typing import Any

from ..frameworks import NAMED_SCHEMES, import_framework, of_framework
from ._frameworks import CONV, DENSE, Case, run_cases

jax = import_framework("jax")  # raises SourceError (→ exit 2) when JAX is missing

__all__ = ["TITLE", "NOTES", "KNOWN_DEVIATIONS", "cases", "run"]

TITLE = "Conformance of jax.nn.initializers (verifier suite jax)"
NOTES = (f"jax {jax.__version__}; Keras/JAX layout (*k, in, out)",)

_BF16_NOTE = (
    "jax.random draws bfloat16 values in bfloat16 arithmetic: the underlying U[0, 1) is built from the "
    "dtype's 7 mantissa bits, so it has only 128 levels; uniforms are coarse with the top grid values missing "
    "(mean biased down) and normals built from them (erfinv of that uniform) have distorted shapes. "
    "Draw in float32 and cast."
)
KNOWN_DEVIATIONS: dict[tuple[str, str], str] = {
    (name, "bfloat16"): _BF16_NOTE
    for name in ("jax.nn.initializers.glorot_uniform()", "jax.nn.initializers.he_normal()",
                 "jax.nn.initializers.normal(0.2)")
}


def _j(fn: str, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    text = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    return f"jax.nn.initializers.{fn}({text})", lambda: getattr(jax.nn.initializers, fn)(*args, **kwargs)


_TABLE: tuple[tuple[tuple[str, Any], str], ...] = (
    # the named schemes as the one catalogue records them (verifier.frameworks.IMPLEMENTATIONS)
    *(((i.api, i.make), i.documented) for i in of_framework("jax") if i.name in NAMED_SCHEMES),
    (_j("variance_scaling", 2.0, "fan_out", "truncated_normal"), "variance_scaling(2.0, 'fan_out', 'truncated_normal')"),
    (_j("variance_scaling", 0.5, "fan_avg", "normal"), "variance_scaling(0.5, 'fan_avg', 'normal')"),
    (_j("variance_scaling", 3.0, "fan_in", "uniform"), "variance_scaling(3.0, 'fan_in', 'uniform')"),
    (_j("normal", 0.2), "normal(std=0.2)"),
    (_j("uniform", 0.3), "uniform(0.0, 0.3)"),
    (_j("truncated_normal", 0.2, lower=-1.5, upper=2.5), "trunc_normal(0.0, 0.2, a=-0.30000000000000004, b=0.5)"),
)
_BF16 = ("jax.nn.initializers.glorot_uniform()", "jax.nn.initializers.he_normal()", "jax.nn.initializers.normal(0.2)")


def cases() -> list[Case]:
    """Every case: each initializer on the dense and conv shapes in float32, a few in bfloat16."""
    out = [Case(name, make, spec, shape) for (name, make), spec in _TABLE for shape in (DENSE, CONV)]
    out += [Case(name, make, spec, DENSE, "bfloat16") for (name, make), spec in _TABLE if name in _BF16]
    return out


def run(*, seed: int = 0, alpha: float | None = None, progress: bool = False) -> list[Any]:
    """Check every case (:func:`cases`) against the JAX documentation; one verdict each."""
    return run_cases(cases(), seed=seed, alpha=alpha, progress=progress, known=KNOWN_DEVIATIONS)
