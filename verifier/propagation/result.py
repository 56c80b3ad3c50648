"""The propagation report: frozen results per layer and per parameter, the two directions' verdicts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..report.json_report import json_safe
from .verdict import Interval

__all__ = [
    "SCHEMA",
    "Direction",
    "Histogram",
    "LayerResult",
    "ParamResult",
    "PropagationDiagnosis",
    "PropagationReport",
    "json_schema",
]

#: The JSON document's ``schema`` (validated by ``verifier/schemas/propagation.schema.json``).
SCHEMA = "verifier.propagation/1"


@dataclass(frozen=True)
class Histogram:
    """Counts in ``len(counts)`` equal bins over ``[low, high]``, summed over seeds, plus the values
    that fell outside."""

    low: float
    high: float
    counts: tuple[int, ...]
    underflow: int
    overflow: int

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "counts": list(self.counts), "underflow": self.underflow,
                "overflow": self.overflow}


@dataclass(frozen=True)
class LayerResult:
    """One recorded module, over seeds.

    ``var``: observed variance of its output (all elements pooled), geometric mean and interval over
    seeds; ``predicted``: the theory's second moment of the output chained from the network input
    along linked modules (``None`` where the chain restarts or the module has no law);
    ``ratio``: observed/predicted second moment (chained), ``ratio_local``: the same for the
    prediction from this module's own observed input (the layer's law alone). ``grad_*``: the same
    for the back-propagated gradient ``∂L/∂output``. ``saturated``/``dead``: mean fraction of
    outputs saturated (tanh, sigmoid, hardtanh) or exactly zero (ReLU).
    """

    index: int
    name: str
    type: str
    kind: str
    shape: tuple[int, ...]
    law: str | None
    mean: float
    var: Interval
    second: float
    predicted: float | None
    ratio: Interval | None
    ratio_local: Interval | None
    grad_var: Interval | None
    grad_predicted: float | None
    grad_ratio: Interval | None
    grad_ratio_local: Interval | None
    saturated: float | None
    dead: float | None
    fan_gain: float | None
    histogram: Histogram | None
    grad_histogram: Histogram | None

    def to_dict(self) -> dict[str, Any]:
        def iv(x: Interval | None) -> Any:
            return None if x is None else x.to_dict()

        return {
            "index": self.index, "name": self.name, "type": self.type, "kind": self.kind, "shape": list(self.shape),
            "law": self.law, "mean": self.mean, "var": iv(self.var), "second": self.second,
            "predicted": self.predicted, "ratio": iv(self.ratio), "ratio_local": iv(self.ratio_local),
            "grad_var": iv(self.grad_var), "grad_predicted": self.grad_predicted, "grad_ratio": iv(self.grad_ratio),
            "grad_ratio_local": iv(self.grad_ratio_local), "saturated": self.saturated, "dead": self.dead,
            "fan_gain": self.fan_gain,
            "histogram": None if self.histogram is None else self.histogram.to_dict(),
            "grad_histogram": None if self.grad_histogram is None else self.grad_histogram.to_dict(),
        }


@dataclass(frozen=True)
class ParamResult:
    """Variance of one parameter's gradient (over its elements), over seeds."""

    name: str
    shape: tuple[int, ...]
    grad_var: Interval

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "grad_var": self.grad_var.to_dict()}


@dataclass(frozen=True)
class Direction:
    """The verdict of one direction along the chain of layers.

    ``ratio``: variance of the last layer over the first (forward), or of the gradient at the first
    layer over the last (backward); ``per_layer``: ``ratio^{1/(L−1)}``; ``status``: kept,
    vanishing, exploding or undecided for the tolerance ``[1/k, k]``; ``steps``: per chain layer
    after the first, the geometric mean over seeds of its variance over the previous one's;
    ``worst``: the chain layer with the largest step (in either direction); ``first_outside``: the
    first chain layer whose variance, relative to the first, leaves ``[1/k, k]`` (point estimate).
    """

    direction: str
    first: str
    last: str
    layers: int
    ratio: Interval
    per_layer: Interval
    status: str
    steps: tuple[tuple[str, float], ...]
    worst: str | None
    first_outside: str | None

    @property
    def kept(self) -> bool:
        return self.status == "kept"

    def to_dict(self) -> dict[str, Any]:
        return {"direction": self.direction, "first": self.first, "last": self.last, "layers": self.layers,
                "ratio": self.ratio.to_dict(), "per_layer": self.per_layer.to_dict(), "status": self.status,
                "steps": [{"layer": n, "factor": f} for n, f in self.steps], "worst": self.worst,
                "first_outside": self.first_outside}


@dataclass(frozen=True)
class PropagationDiagnosis:
    """What went wrong and what would fix it: ``short`` (e.g. ``'vanishing forward'``), ``text``,
    ``layer`` (the one that breaks the chain), ``hint`` (the scheme that would fix it)."""

    short: str
    text: str
    layer: str | None
    hint: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"short": self.short, "text": self.text, "layer": self.layer, "hint": self.hint}


@dataclass(frozen=True)
class PropagationReport:
    """Signal propagation through a model at initialisation (see :func:`verifier.propagate`).

    ``passed`` iff the forward and the backward variance ratios, first to last layer of the chain,
    have their whole confidence interval inside ``[1/k, k]``.
    """

    model: str
    passed: bool
    k: float
    confidence: float
    seeds: tuple[int, ...]
    batch: int
    input_shape: tuple[int, ...] | None
    resampled: str
    mode: str
    device: str
    chain: tuple[str, ...]
    layers: tuple[LayerResult, ...]
    params: tuple[ParamResult, ...]
    forward: Direction
    backward: Direction
    diagnosis: PropagationDiagnosis
    notes: tuple[str, ...] = ()

    def layer(self, name: str) -> LayerResult:
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(name)

    def __getitem__(self, name: str) -> LayerResult:
        return self.layer(name)

    @property
    def chain_layers(self) -> tuple[LayerResult, ...]:
        return tuple(self.layer(n) for n in self.chain)

    def headline(self) -> str:
        """``PROPAGATION PASS  model: forward kept, backward kept (...)``."""
        from ..report.propagation import propagation_headline

        return propagation_headline(self)

    def to_dict(self) -> dict[str, Any]:
        from ..report.environment import environment

        return json_safe({
            "schema": SCHEMA, "model": self.model, "passed": self.passed, "k": self.k,
            "confidence": self.confidence, "interval": "Student t on the log of the per-seed values",
            "seeds": list(self.seeds), "batch": self.batch,
            "input_shape": None if self.input_shape is None else list(self.input_shape),
            "resampled": self.resampled, "mode": self.mode, "device": self.device, "chain": list(self.chain),
            "forward": self.forward.to_dict(), "backward": self.backward.to_dict(),
            "diagnosis": self.diagnosis.to_dict(), "notes": list(self.notes),
            "layers": [r.to_dict() for r in self.layers], "params": [p.to_dict() for p in self.params],
            "environment": environment(),
        })

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def __str__(self) -> str:
        from ..report.propagation import render_text

        return render_text(self)

    def render(self, fmt: str = "text") -> str:
        """``'text'``, ``'json'``, ``'markdown'`` (``'md'``) or ``'html'``."""
        from ..report import propagation as rp

        key = fmt.lower()
        if key == "json":
            return self.to_json()
        if key == "text":
            return rp.render_text(self)
        if key in ("markdown", "md"):
            return rp.render_markdown(self)
        if key == "html":
            return rp.render_html([self], title=f"verifier propagate: {self.model}")
        raise SpecError(f"unknown report format {fmt!r}; valid formats: text, json, markdown, html")

    def write(self, out_dir: str | Path, formats: Sequence[str] = ("json", "md", "html"), *,
              command: str | None = None) -> list[Path]:
        """Write ``propagation.json/.md/.html`` into ``out_dir``."""
        from ..report.propagation import write_propagation_reports

        return write_propagation_reports([self], out_dir, title=f"verifier propagate: {self.model}",
                                         command=command, formats=formats)



def json_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`PropagationReport.to_dict` (``verifier/schemas/propagation.schema.json``)."""
    from ..schemas import schema_for

    return schema_for(SCHEMA)
