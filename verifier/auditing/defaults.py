"""Built-in rules: torch's documented default initialisation of its ``nn`` modules.

Each rule gives the distribution torch's own ``reset_parameters`` draws from, with the fans torch
itself computes (``torch.nn.init._calculate_fan_in_and_fan_out`` reads every weight as
``(out, in, *k)``). Where that reading is not the true connectivity, the expected distribution
still follows what torch does (that is the claim being verified) and the row carries the true
fans and a note:

=============================== ==================================================================
module                          default
=============================== ==================================================================
``Linear``                      weight ``kaiming_uniform_(a=√5)`` = ``U(±1/√fan_in)``;
                                bias ``U(±1/√fan_in)`` with the weight's fan_in
``Bilinear``                    weight and bias ``U(±1/√in1_features)``
``Conv1d/2d/3d``                as Linear, ``fan_in = in/groups·rf`` from the ``(out, in/groups, *k)``
                                weight; grouped: torch's ``fan_out = out·rf`` although each input
                                channel feeds only ``out/groups·rf`` outputs (unused by the default)
``ConvTranspose1d/2d/3d``       weight is ``(in, out/groups, *k)``; torch reads it as ``(out, in, *k)``
                                and draws ``U(±1/√(out/groups·rf))``; the true fan_in is
                                ``in/groups·rf``. Bias ``U(±1/√(out/groups·rf))`` likewise
``Embedding``, ``EmbeddingBag`` ``N(0, 1)``; the ``padding_idx`` row exactly zero
``LayerNorm``, ``GroupNorm``,   weight exactly 1, bias exactly 0
``BatchNorm*``, ``InstanceNorm*``,
``RMSNorm``
``MultiheadAttention``          ``in_proj_weight`` ``xavier_uniform_`` on the packed ``(3E, E)``
                                shape (torch's fan_out = 3E); ``q/k/v_proj_weight`` xavier_uniform;
                                ``in_proj_bias`` and ``out_proj.bias`` exactly 0 (re-set by
                                ``_reset_parameters``); ``bias_k/bias_v`` ``xavier_normal_``
``RNN``, ``LSTM``, ``GRU``,     every parameter ``U(±1/√hidden_size)``
``*Cell``
``PReLU``                       exactly ``init`` (0.25)
``Transformer``                 every parameter with more than one dimension ``xavier_uniform_``
                                (``Transformer._reset_parameters`` after construction)
=============================== ==================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from verifier.theory.specs import he_uniform, normal, uniform, xavier_normal, xavier_uniform

from .exact import ExactSpec

__all__ = ["Expectation", "default_expectation", "post_reset", "padding_rows", "TORCH_DEFAULT_SPEC"]

#: ``kaiming_uniform_(a=√5)``: the torch default of Linear and Conv weights, ``U(±1/√fan_in)``.
TORCH_DEFAULT_SPEC = he_uniform(a=math.sqrt(5))
_KAIMING = "kaiming_uniform(a=√5)"


@dataclass(frozen=True)
class Expectation:
    """What one tensor should be, and why.

    Attributes
    ----------
    spec : Spec, ExactSpec or Skip
    rule : which rule decided (``'torch default: Linear.weight'`` or a user rule's label).
    fan_in, fan_out : explicit fans for the distribution (``None``: computed from the shape).
    layout : how fans are read from the shape.
    true_fans : ``(fan_in, fan_out)`` of the real connectivity when it differs from the fans
        the expected distribution uses (ConvTranspose, grouped convs, packed attention).
    note : the trap, in words, shown in the report row.
    zero_rows : rows that must be exactly zero and are left out of the statistical checks
        (``Embedding.padding_idx``).
    label : how the report names the expectation (default ``str(spec)``).
    tolerance : practical tolerance for this tensor (a rule's ``tolerance``), or ``None``.
    """

    spec: Any
    rule: str
    fan_in: int | None = None
    fan_out: int | None = None
    layout: str = "torch"
    true_fans: tuple[int, int] | None = None
    note: str = ""
    zero_rows: tuple[int, ...] = ()
    label: str = ""
    tolerance: Any = None


def _nn() -> Any:
    import torch.nn as nn

    return nn


def _custom_reset_note(module: Any, base: type) -> str:
    """A note when a user subclass overrides the torch class's ``reset_parameters``."""
    cls = type(module)
    if cls is base or cls.__module__.startswith("torch."):
        return ""
    for klass in cls.__mro__:
        if klass is base:
            return ""
        if "reset_parameters" in vars(klass) or "_reset_parameters" in vars(klass):
            return (f"{cls.__name__} overrides reset_parameters of nn.{base.__name__}: the torch default "
                    "may not apply; add a rule if it draws something else")
    return ""


def _rf(shape: tuple[int, ...]) -> int:
    return math.prod(shape[2:]) if len(shape) > 2 else 1


def _bias_uniform(fan_in: int) -> Any:
    bound = 1.0 / math.sqrt(fan_in)
    return uniform(-bound, bound)


def _under_transformer(ancestors: list[tuple[str, Any]]) -> bool:
    nn = _nn()
    return any(isinstance(m, nn.Transformer) for _, m in ancestors)


def padding_rows(module: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The ``padding_idx`` row of an ``Embedding``/``EmbeddingBag`` weight (must be exactly zero)."""
    nn = _nn()
    if not isinstance(module, (nn.Embedding, nn.EmbeddingBag)) or not shape:
        return ()
    pad = getattr(module, "padding_idx", None)
    return (pad % shape[0],) if pad is not None else ()


def default_expectation(
    name: str, shape: tuple[int, ...], module: Any, ancestors: list[tuple[str, Any]]
) -> Expectation | str:
    """torch's default for parameter ``name`` of ``module``; a reason string when there is none.

    ``ancestors`` lists ``(name, module)`` from the root down to the owner's parent.
    """
    nn = _nn()
    local = name.rsplit(".", 1)[-1]
    tname = type(module).__name__
    parent = ancestors[-1][1] if ancestors else None

    if _under_transformer(ancestors + [(name, module)]) and len(shape) > 1:
        return Expectation(
            xavier_uniform(), "torch default: nn.Transformer",
            note="nn.Transformer re-initialises every parameter with more than one dimension with "
                 "xavier_uniform_ (fans as torch computes them from the shape)",
        )

    if isinstance(module, nn.MultiheadAttention):
        e = module.embed_dim
        if local == "in_proj_weight":
            return Expectation(
                xavier_uniform(), "torch default: MultiheadAttention.in_proj_weight",
                true_fans=(shape[1], shape[0] // 3) if len(shape) == 2 and shape[0] % 3 == 0 else None,
                note=f"Q, K, V packed as (3E, E) = {tuple(shape)}: torch's xavier_uniform_ uses fan_out = 3E = "
                     f"{3 * e}; each projection alone has fan_out E = {e}",
            )
        if local in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
            return Expectation(xavier_uniform(), f"torch default: MultiheadAttention.{local}")
        if local == "in_proj_bias":
            return Expectation(ExactSpec(0.0), "torch default: MultiheadAttention.in_proj_bias")
        if local in ("bias_k", "bias_v"):
            return Expectation(xavier_normal(), f"torch default: MultiheadAttention.{local}",
                               note="xavier_normal_ on the (1, 1, E) shape: torch's fans are E and E")
        return f"no default rule for MultiheadAttention.{local}"

    if (isinstance(module, nn.Linear) and local == "bias" and isinstance(parent, nn.MultiheadAttention)
            and name.rsplit(".", 2)[-2] == "out_proj" and parent.in_proj_bias is not None):
        return Expectation(ExactSpec(0.0), "torch default: MultiheadAttention.out_proj.bias",
                           note="MultiheadAttention._reset_parameters re-sets out_proj.bias to 0 after "
                                "Linear's default init")

    if isinstance(module, nn.Linear):
        note = _custom_reset_note(module, nn.Linear)
        if local == "weight":
            return Expectation(TORCH_DEFAULT_SPEC, f"torch default: {tname}.weight", note=note, label=_KAIMING)
        if local == "bias":
            fan_in = module.weight.shape[1] if module.weight.dim() == 2 else module.in_features
            if fan_in <= 0:
                return "Linear with in_features = 0: torch leaves the bias at 0 bound"
            return Expectation(_bias_uniform(fan_in), f"torch default: {tname}.bias", note=note,
                               label=f"U(±1/√fan_in), fan_in {fan_in}")
        return f"no default rule for {tname}.{local}"

    if isinstance(module, nn.Bilinear):
        if local in ("weight", "bias"):
            n1 = module.in1_features
            return Expectation(_bias_uniform(n1), f"torch default: Bilinear.{local}", label=f"U(±1/√in1_features), {n1}",
                               true_fans=(module.in1_features * module.in2_features, module.out_features)
                               if local == "weight" else None)
        return f"no default rule for Bilinear.{local}"

    if isinstance(module, nn.modules.conv._ConvNd):
        note = _custom_reset_note(module, nn.modules.conv._ConvNd)
        w = tuple(module.weight.shape)
        rf = _rf(w)
        g = module.groups
        transposed = isinstance(module, nn.modules.conv._ConvTransposeNd)
        torch_fan_in = w[1] * rf  # what torch's fan helper computes from the weight's shape
        if transposed:
            true = (w[0] // g * rf, w[1] * rf)  # in/groups·rf inputs per output; out/groups·rf outputs per input
            trap = (f"ConvTranspose weight is (in, out/groups, *k) = {w}; torch's fan helper reads it as "
                    f"(out, in, *k) and uses fan_in = out/groups·rf = {torch_fan_in} (fan_out in·rf = {w[0] * rf}); "
                    f"the true fan_in is in/groups·rf = {true[0]}, fan_out out/groups·rf = {true[1]}. "
                    f"Expected: torch's default, U(±1/√{torch_fan_in})")
        else:
            true = (w[1] * rf, w[0] // g * rf)
            trap = (f"grouped conv (groups={g}): torch's fan_out = out·rf = {w[0] * rf}, but each input channel "
                    f"feeds out/groups·rf = {true[1]}; the default init uses fan_in = in/groups·rf = {torch_fan_in}, "
                    "which is right") if g > 1 else ""
        text = "; ".join(t for t in (trap, note) if t)
        true_fans = true if (transposed or g > 1) else None
        if local == "weight":
            return Expectation(TORCH_DEFAULT_SPEC, f"torch default: {tname}.weight", true_fans=true_fans, note=text,
                               label=_KAIMING)
        if local == "bias":
            if torch_fan_in <= 0:
                return f"{tname} with fan_in = 0: torch leaves the bias unset"
            bias_note = (f"the bias bound uses torch's fan_in = out/groups·rf = {torch_fan_in} of the transposed "
                         f"weight; the true fan_in is in/groups·rf = {true[0]}") if transposed else ""
            return Expectation(_bias_uniform(torch_fan_in), f"torch default: {tname}.bias",
                               note="; ".join(t for t in (bias_note, note) if t),
                               label=f"U(±1/√fan_in), fan_in {torch_fan_in}")
        return f"no default rule for {tname}.{local}"

    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        if local == "weight":
            rows = padding_rows(module, shape)
            return Expectation(
                normal(0.0, 1.0), f"torch default: {tname}.weight", zero_rows=rows,
                note=f"padding_idx row {rows[0]} must be exactly zero; it is left out of the N(0, 1) checks"
                if rows else "",
            )
        return f"no default rule for {tname}.{local}"

    norms: tuple[type, ...] = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase)
    if hasattr(nn, "RMSNorm"):
        norms += (nn.RMSNorm,)
    if isinstance(module, norms):
        if local == "weight":
            return Expectation(ExactSpec(1.0), f"torch default: {tname}.weight (ones)")
        if local == "bias":
            return Expectation(ExactSpec(0.0), f"torch default: {tname}.bias (zeros)")
        return f"no default rule for {tname}.{local}"

    if isinstance(module, (nn.RNNBase, nn.RNNCellBase)):
        h = module.hidden_size
        if h <= 0:
            return f"{tname} with hidden_size = 0"
        return Expectation(_bias_uniform(h), f"torch default: {tname}", label=f"U(±1/√hidden_size), hidden {h}")

    if isinstance(module, nn.PReLU):
        if local == "weight":
            return Expectation(ExactSpec(float(module.init)), "torch default: PReLU.weight (init)")
        return f"no default rule for PReLU.{local}"

    return f"no rule for module type {tname}"


def post_reset(module: Any, ancestors: list[tuple[str, Any]]) -> None:
    """Re-apply what a container does after its children are built (lazy audits only).

    ``nn.Transformer._reset_parameters`` runs ``xavier_uniform_`` over every parameter with
    more than one dimension once the whole model exists; a module re-initialised on its own
    must get the same treatment.
    """
    if not _under_transformer(ancestors):
        return
    import torch

    with torch.no_grad():
        for p in module.parameters(recurse=True):
            if p.dim() > 1 and p.device.type != "meta":
                torch.nn.init.xavier_uniform_(p)
