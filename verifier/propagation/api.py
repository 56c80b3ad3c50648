"""``verifier.propagate``: record a model's signal through depth, beside the theory, with a verdict."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import SourceError, SpecError
from ._torch import require_torch
from .aggregate import report_over_seeds
from .recording import Recorder, SeedTrace
from .result import PropagationReport
from .verdict import (
    DEFAULT_CONFIDENCE,
    DEFAULT_K,
    validate_confidence,
    validate_k,
)

__all__ = ["CONV_SIDE", "DEFAULT_BATCH", "DEFAULT_SEEDS", "assert_propagates", "propagate"]

DEFAULT_SEEDS = 5
DEFAULT_BATCH = 256
#: Spatial size used when the input shape of a convolutional model is inferred.
CONV_SIDE = 32
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict")


# ---- arguments ---------------------------------------------------------------------------
def _seeds(seeds: int | Sequence[int]) -> tuple[int, ...]:
    if isinstance(seeds, bool):
        raise SpecError(f"seeds must be an int or a sequence of ints, got {seeds!r}")
    if isinstance(seeds, int):
        out = tuple(range(seeds))
    else:
        try:
            out = tuple(int(s) for s in seeds)
        except (TypeError, ValueError):
            raise SpecError(f"seeds must be an int or a sequence of ints, got {seeds!r}") from None
    if len(out) < 2 or len(set(out)) != len(out):
        raise SpecError(f"need at least 2 distinct seeds for an interval, got {seeds!r}; e.g. seeds=5")
    return out


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SpecError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def _shape(shape: Any) -> tuple[int, ...]:
    try:
        out = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise SpecError(f"input_shape must be a tuple of positive ints (without the batch), got {shape!r}") from None
    if not out or any(s < 1 for s in out):
        raise SpecError(f"input_shape must be a tuple of positive ints (without the batch), got {shape!r}")
    return out


# ---- the model ---------------------------------------------------------------------------
def _resolve(model: Any) -> tuple[str, Any, str]:
    from ..auditing.model import _resolve as resolve

    kind, obj, desc = resolve(model)
    if kind == "state_dict":
        raise SourceError(f"{desc} is a state dict; propagation needs a model: an nn.Module, a factory or an "
                          "import string naming one")
    return kind, obj, desc


def _build(factory: Callable[[], Any], seed: int, desc: str) -> Any:
    torch = require_torch()
    from ..auditing.model import _call_factory

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _call_factory(factory, desc)


def infer_input_shape(model: Any) -> tuple[tuple[int, ...], str | None]:
    """The input shape (without the batch) from the first module with parameters, and a note."""
    for name, mod in model.named_modules():
        if not any(p is not None for p in mod._parameters.values()):
            continue
        t = type(mod).__name__
        if t == "Linear":
            return (int(mod.in_features),), None
        if t in ("Conv1d", "Conv2d", "Conv3d"):
            d = int(t[4])
            return (int(mod.in_channels),) + (CONV_SIDE,) * d, (
                f"input shape inferred from {name or t!r}: {mod.in_channels} channels, spatial size {CONV_SIDE} "
                "(pass input_shape= to choose)")
        raise SourceError(f"cannot infer the input shape of a model whose first layer is {t} ({name or t!r}); "
                          "pass input_shape=(...) without the batch dimension, or inputs=")
    raise SourceError("cannot infer the input shape of a model without parameters; pass input_shape=(...) "
                      "without the batch dimension, or inputs=")


def _select(model: Any, layers: Any) -> list[tuple[str, Any]]:
    mods = [(n, m) for n, m in model.named_modules()]
    if layers is None:
        out = [(n or type(m).__name__, m) for n, m in mods
               if type(m).__name__ not in _CONTAINERS
               and (not any(True for _ in m.children()) or any(p is not None for p in m._parameters.values()))]
        if not out:
            raise SourceError("the model has no modules to record; pass layers= naming modules")
        return out
    torch = require_torch()
    if isinstance(layers, str):
        layers = [layers]
    if isinstance(layers, type) or (isinstance(layers, tuple) and layers and all(isinstance(t, type) for t in layers)):
        out = [(n or type(m).__name__, m) for n, m in mods if isinstance(m, layers)]
    else:
        pats = list(layers)
        if not all(isinstance(p, str) for p in pats):
            raise SpecError("layers must be module-name patterns (e.g. ['layer*', 'fc']) or module types")
        out = [(n, m) for n, m in mods if n and any(fnmatch.fnmatchcase(n, p) for p in pats)]
    if not out:
        names = ", ".join(n for n, _ in mods[1:8] if n)
        raise SpecError(f"layers={layers!r} matches no module; module names are like: {names}")
    del torch
    return out


def _device_of(model: Any) -> Any:
    torch = require_torch()
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _float_dtype(model: Any) -> Any:
    torch = require_torch()
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.float32


class _Mode:
    """Set eval (or train) mode on every module and restore the flags (and, in train mode, the
    buffers, e.g. BatchNorm running statistics) afterwards."""

    def __init__(self, model: Any, training: bool) -> None:
        self.model, self.training = model, training

    def __enter__(self) -> None:
        self.flags = [(m, m.training) for m in self.model.modules()]
        self.buffers = [(b, b.detach().clone()) for b in self.model.buffers()] if self.training else []
        self.model.train(self.training)

    def __exit__(self, *exc: object) -> None:
        for m, flag in self.flags:
            m.training = flag
        with require_torch().no_grad():
            for b, saved in self.buffers:
                b.copy_(saved)


# ---- the API -----------------------------------------------------------------------------
def propagate(
    model: Any,
    inputs: Any = None,
    *,
    input_shape: Sequence[int] | None = None,
    batch: int = DEFAULT_BATCH,
    seeds: int | Sequence[int] = DEFAULT_SEEDS,
    layers: Any = None,
    k: float = DEFAULT_K,
    confidence: float = DEFAULT_CONFIDENCE,
    device: Any = None,
    training: bool = False,
    bins: int = 64,
) -> PropagationReport:
    """Measure how the variance of activations and gradients travels through ``model`` at init.

    For each seed: a batch of inputs (``N(0, 1)`` of ``input_shape`` unless ``inputs`` is given) goes
    forward, then a unit-variance random gradient ``∂L/∂output ~ N(0, 1)`` goes backward (with
    ``torch.autograd.grad``, so no ``.grad`` is touched). Hooks reduce every recorded module's output
    and its gradient on the fly (mean, variance in float64, a fixed-bin histogram, the fraction of
    saturated or dead units) and the variance of every parameter's gradient. The theory of
    :mod:`verifier.propagation.theory` predicts each second moment; the verdict of
    :mod:`verifier.propagation.verdict` bounds the first-to-last variance ratio, forward and backward,
    with a t-interval over seeds.

    Parameters
    ----------
    model : nn.Module, factory or import string
        A module instance (its weights are fixed: seeds vary the inputs and output gradients only),
        or a zero-argument factory / class / import string (``"pkg.mod:build"``): rebuilt under
        ``torch.manual_seed(seed)`` for every seed, so the intervals cover the weight draw too.
    inputs : tensor or callable, optional
        Real inputs, used as the batch for every seed, or ``f(seed) -> tensor``.
    input_shape : tuple of int, optional
        The shape of one example (no batch dimension); inferred from a first ``Linear``/``Conv``.
    batch, seeds : int
        Examples per batch; the number of seeds (or the seeds themselves, at least 2).
    layers : patterns or types, optional
        Module-name globs (``"layer*"``) or module types to record; by default every leaf module and
        every module owning parameters. The chain judged is the recorded modules with weights (all
        recorded modules if fewer than two have weights), in the order they run.
    k : float
        Tolerance: variance kept within ``[1/k, k]`` over the chain (default 2; see
        :mod:`verifier.propagation.verdict` for why).
    confidence : float
        Level of the t-intervals (default 0.95).
    device : str or torch.device, optional
        Where factories are built and inputs drawn (``'cuda'``); a module instance stays where it is.
    training : bool
        Run in train mode (BatchNorm batch statistics, dropout); buffers are restored afterwards.

    Returns
    -------
    PropagationReport

    Raises
    ------
    SourceError
        No torch; a model that cannot be built or run on the inputs; an input shape that cannot be
        inferred; a model that is not differentiable.
    SpecError
        Bad arguments (seeds, batch, k, confidence, layers).
    """
    torch = require_torch()
    seed_list = _seeds(seeds)
    batch = _positive_int(batch, "batch")
    bins = _positive_int(bins, "bins")
    k = validate_k(k)
    confidence = validate_confidence(confidence)
    shape = _shape(input_shape) if input_shape is not None else None
    kind, obj, desc = _resolve(model)
    notes: list[str] = []
    dev = torch.device(device) if device is not None else None

    def model_for(seed: int) -> Any:
        if kind == "module":
            if dev is not None and _device_of(obj) != dev:
                raise SourceError(f"the model is on {_device_of(obj)}, not {dev}; move it first, or pass a factory")
            return obj
        m = _build(obj, seed, desc)
        if dev is None:
            return m
        try:
            return m.to(dev)
        except (RuntimeError, AssertionError) as exc:
            from ..sources.values import _one_line

            raise SourceError(f"cannot move the model to {dev}: {_one_line(exc)}; is that device available?") from exc

    recorder: Recorder | None = None
    traces: list[SeedTrace] = []
    input_desc: tuple[int, ...] | None = shape
    for seed in seed_list:
        m = model_for(seed)
        mdev, mdtype = _device_of(m), _float_dtype(m)
        if recorder is None:
            recorder = Recorder(_select(m, layers), bins=bins)
        elif kind == "factory":
            recorder.entries = _select(m, layers)
        x = _inputs(torch, m, inputs, shape, batch, seed, mdev, mdtype, notes)
        input_desc = tuple(x.shape[1:])
        with torch.random.fork_rng(devices=[mdev] if mdev.type == "cuda" else []), _Mode(m, training):
            traces.append(recorder.run(m, x, grad_seed=stream_seed(seed, GRADIENT_STREAM)))
        del x
    assert recorder is not None
    if kind == "module":
        notes.append("a module instance: its weights are fixed, so the intervals cover inputs and output gradients "
                     "only; pass a factory to resample the weights too")
    return report_over_seeds(desc, recorder, traces, seed_list, batch, input_desc, k, confidence,
                   "weights, inputs and output gradients" if kind == "factory" else "inputs and output gradients",
                   "train" if training else "eval", str(dev or _device_of(obj if kind == "module" else m)), notes)


def _inputs(torch: Any, model: Any, inputs: Any, shape: tuple[int, ...] | None, batch: int, seed: int, dev: Any,
            dtype: Any, notes: list[str]) -> Any:
    # the input needs a gradient only when no parameter has one (else it would cost a product per layer 1)
    needs_grad = not any(p.requires_grad for p in model.parameters())
    if inputs is not None:
        x = inputs(seed) if callable(inputs) and not isinstance(inputs, torch.Tensor) else inputs
        x = torch.as_tensor(x)
        if x.device != dev:
            x = x.to(dev)
        if x.is_floating_point():
            x = x.detach().to(dtype).requires_grad_(needs_grad)
        return x
    if shape is None:
        shape, note = infer_input_shape(model)
        if note and note not in notes:
            notes.append(note)
    gen = torch.Generator(device=dev).manual_seed(stream_seed(seed, INPUT_STREAM))
    return torch.randn((batch, *shape), generator=gen, device=dev, dtype=dtype).requires_grad_(needs_grad)


#: Independent random streams of one seed: the weights use the seed itself (``torch.manual_seed(seed)``
#: before the factory, so a user reproduces them as usual); inputs and output gradients use streams
#: derived from it. Seeding them with the seed itself made the inputs *equal* the first weights drawn
#: (the same normal stream): the first layer's output variance came out ×(1 + fan_in/batch).
INPUT_STREAM, GRADIENT_STREAM = 1, 2


def stream_seed(seed: int, stream: int) -> int:
    """A 63-bit seed for ``stream`` of ``seed``, independent of the others (numpy's SeedSequence)."""
    import numpy as np

    return int(np.random.SeedSequence([int(seed) % 2**64, stream]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def assert_propagates(model: Any, inputs: Any = None, **kwargs: Any) -> PropagationReport:
    """:func:`propagate`, raising ``AssertionError`` (with the report's text and a ``.report``
    attribute) when the variance is not kept; what the pytest fixture's ``propagate`` calls."""
    report = propagate(model, inputs, **kwargs)
    if not report.passed:
        error = AssertionError(str(report))
        error.report = report  # type: ignore[attr-defined]
        raise error
    return report
