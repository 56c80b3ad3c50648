"""What one name means in torch, Keras and JAX, and whether each framework's draws conform to its
own documentation and to the textbook (:func:`compare`), from the catalogue in
:mod:`verifier.frameworks`; every verdict comes from :func:`verifier.pipeline.evaluate`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import frameworks
from .frameworks import FRAMEWORKS, IMPLEMENTATIONS, TEXTBOOK, Implementation, _resolve
from .theory.parsing import parse_spec

__all__ = ["Comparison", "ComparisonRow", "compare"]


@dataclass(frozen=True)
class ComparisonRow:
    """One framework's meaning of a name, and whether its draws conform.

    ``status`` is ``'ok'`` (checked), ``'not installed'`` or ``'not provided'`` (the framework has
    no initializer of that name). ``own`` is the verdict against the framework's documentation,
    ``textbook`` against the textbook definition (``None`` when not checked or not defined).
    """

    framework: str
    status: str
    implementation: Implementation | None = None
    distribution: str = ""
    shape: tuple[int, ...] = ()
    own: Any = None
    textbook: Any = None

    def as_dict(self) -> dict[str, Any]:
        impl = self.implementation

        def verdict(v: Any) -> dict[str, Any] | None:
            from .report.json_report import diagnosis_to_dict

            if v is None:
                return None
            return {"passed": v.passed, "expected": v.expected, "std_ratio": v.std_ratio,
                    "diagnosis": diagnosis_to_dict(getattr(v, "diagnosis", None))}

        return {
            "framework": self.framework,
            "status": self.status,
            "api": impl.api if impl else None,
            "documented": impl.documented if impl else None,
            "distribution": self.distribution or None,
            "truncated": impl.truncated if impl else None,
            "default_mode": impl.default_mode if impl else None,
            "layout": impl.layout if impl else None,
            "shape": list(self.shape) or None,
            "note": impl.note if impl else None,
            "own_documentation": verdict(self.own),
            "textbook": verdict(self.textbook),
        }


@dataclass(frozen=True)
class Comparison:
    """What one name means in torch, Keras and JAX (see :func:`compare`)."""

    name: str
    textbook: str | None
    fan_in: int
    fan_out: int
    rows: tuple[ComparisonRow, ...]

    def row(self, framework: str) -> ComparisonRow:
        return next(r for r in self.rows if r.framework == framework)

    @property
    def conforms(self) -> bool:
        """Every installed framework draws from what it documents."""
        return all(r.own is None or r.own.passed for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON data, schema ``verifier.compare/1`` (``verifier/schemas/compare.schema.json``)."""
        return {"schema": "verifier.compare/1", "name": self.name, "textbook": self.textbook, "fan_in": self.fan_in, "fan_out": self.fan_out,
                "conforms": self.conforms, "rows": [r.as_dict() for r in self.rows]}

    def __str__(self) -> str:
        from .report.compare import render_comparison

        return render_comparison(self)


def _shape(layout: str, fan_in: int, fan_out: int) -> tuple[int, int]:
    return (fan_out, fan_in) if layout == "torch" else (fan_in, fan_out)


def compare(name: str, *, fan_in: int = 256, fan_out: int = 512, seed: int = 0,
            alpha: float | None = None) -> Comparison:
    """What ``name`` means in torch, Keras and JAX, and whether each conforms.

    Each installed framework's initializer is drawn once for a dense weight with ``fan_in`` inputs
    and ``fan_out`` outputs (in its own layout) and checked against its own documentation and
    against the textbook definition (:data:`TEXTBOOK`: the paper's untruncated distribution).
    Frameworks that are not installed give ``status='not installed'`` rows, not errors.

    Examples
    --------
    >>> c = compare("he_normal")                                  # doctest: +SKIP
    >>> c.row("torch").textbook.passed, c.row("keras").textbook.passed   # doctest: +SKIP
    (True, False)
    """
    from .pipeline import evaluate
    from .sources import from_source
    from .stats.decision import validate_alpha

    key = _resolve(name)
    level = validate_alpha(alpha)
    textbook = TEXTBOOK.get(key)
    rows = []
    for fw in FRAMEWORKS:
        impl = next((i for i in IMPLEMENTATIONS if i.framework == fw and i.name == key), None)
        if impl is None:
            rows.append(ComparisonRow(fw, "not provided"))
            continue
        shape = _shape(impl.layout, fan_in, fan_out)
        own_spec = impl.spec
        dist = own_spec.distribution(shape, impl.layout)
        if not frameworks.is_installed(fw):  # looked up at call time (tests patch it)
            rows.append(ComparisonRow(fw, "not installed", impl, str(dist), shape))
            continue
        sample = from_source(impl.make(), shape=shape, seed=seed)
        own = evaluate(sample, own_spec, layout=impl.layout, alpha=level, label=impl.api)
        book = None
        if textbook is not None:
            tspec = parse_spec(textbook)
            reuse = own.summary if own.summary is not None and own.summary.mode != "pit" else None
            book = evaluate(sample, tspec, layout=impl.layout, alpha=level, label=impl.api, summary=reuse)
        rows.append(ComparisonRow(fw, "ok", impl, str(dist), shape, own, book))
    return Comparison(key, textbook, fan_in, fan_out, tuple(rows))
