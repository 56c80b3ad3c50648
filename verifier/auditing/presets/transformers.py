"""The ``transformers`` preset: Hugging Face ``PreTrainedModel._init_weights`` as rules.

A ``PreTrainedModel`` is built with torch's defaults and then re-initialised by ``post_init``,
which applies ``_init_weights`` to every module, children first (``initialize_weights`` →
``smart_apply``, ``modeling_utils.py:2397-2423``). The rules below encode that code as it stands in
transformers |CITED| (every rule cites its file and lines); transformers 5.x is accepted, other
major versions are refused with a message (4.x initialises through per-model code that differs).

=====================================  ==========================================================
module (nearest ``PreTrainedModel``'s  rule (``std = config.initializer_range or 0.02``,
``_init_weights``)                     ``modeling_utils.py:2310-2318``)
=====================================  ==========================================================
``Linear``, ``Conv1d/2d/3d``,          weight ``normal(0, std)``, bias zeros
``ConvTranspose1d/2d``                 (``modeling_utils.py:2320-2324``)
``LSTM``                               weights ``xavier_uniform``, biases zeros (``:2325-2330``)
``Embedding``                          ``normal(0, std)``, ``padding_idx`` row zero (``:2331-2335``)
``MultiheadAttention``                 torch's ``_reset_parameters`` (``:2336-2338``)
``GroupNorm``, ``BatchNorm*``, any     weight ones, bias zeros (``:2341-2350``)
``*LayerNorm*``/``*RMSNorm*`` class
GPT-2 ``Conv1D``                       weight ``normal(0, initializer_range)``, bias zeros
                                       (``models/gpt2/modeling_gpt2.py:435-438``)
GPT-2 ``c_proj`` of attention / MLP    ``normal(0, initializer_range/√(2·n_layer))``
                                       (``models/gpt2/modeling_gpt2.py:446-449``)
BERT ``BertLMPredictionHead.bias``     zeros (``models/bert/modeling_bert.py:553-554``)
=====================================  ==========================================================

A model whose ``_init_weights`` is overridden by a class the preset does not encode (T5, Gemma...)
gets no preset rule: its tensors are listed as not checked with that reason (add rules for them).
Tied weights (``get_expanded_tied_weights_keys``) must be one tensor.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

from verifier.errors import SpecError
from verifier.theory.specs import normal, xavier_uniform

from ..defaults import Expectation
from ..exact import ExactSpec
from .base import Citation, Preset

__all__ = ["TransformersPreset", "is_pretrained", "CITED_VERSION", "SUPPORTED"]

#: The transformers release whose source lines the rules cite.
CITED_VERSION = "5.24.0"
#: Accepted major versions.
SUPPORTED = (5,)

_UTILS = "transformers/modeling_utils.py"
_GPT2 = "transformers/models/gpt2/modeling_gpt2.py"
_BERT = "transformers/models/bert/modeling_bert.py"

#: Classes whose ``_init_weights`` the preset encodes: defining class → (module, citation of it).
KNOWN_INIT = {
    "transformers.modeling_utils.PreTrainedModel": "generic",
    "transformers.models.gpt2.modeling_gpt2.GPT2PreTrainedModel": "gpt2",
    "transformers.models.bert.modeling_bert.BertPreTrainedModel": "bert",
}


def _cite(file: str, lines: str) -> Citation:
    return Citation("transformers", CITED_VERSION, file, lines)


def is_pretrained(model: Any) -> bool:
    """Whether ``model`` is a transformers ``PreTrainedModel`` (without importing transformers)."""
    return any(f"{k.__module__}.{k.__qualname__}" == "transformers.modeling_utils.PreTrainedModel"
               for k in type(model).__mro__)


def _init_owner(cls: type) -> str:
    """The qualified name of the class that defines ``cls._init_weights``."""
    for klass in cls.__mro__:
        if "_init_weights" in vars(klass):
            return f"{klass.__module__}.{klass.__qualname__}"
    return ""


def _std(config: Any) -> float:
    """``modeling_utils.py:2310-2318``: the std of the generic normal init."""
    if hasattr(config, "initializer_range"):
        return float(config.initializer_range or 0.02)
    if hasattr(config, "init_std"):
        return float(config.init_std)
    if hasattr(config, "initializer_factor"):
        return float(config.initializer_factor)
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return float(getattr(text, "initializer_range", 0.02))


def _version_check() -> str:
    import transformers

    version = str(transformers.__version__)
    try:
        major = int(version.split(".", 1)[0])
    except ValueError:
        major = -1
    if major not in SUPPORTED:
        raise SpecError(
            f"the transformers preset encodes transformers {'/'.join(map(str, SUPPORTED))}.x (lines cited from "
            f"{CITED_VERSION}); installed {version} initialises differently: pass preset='torch' with rules, or "
            "install transformers>=5"
        )
    return version


def _is(obj: Any, dotted: str) -> bool:
    """``isinstance(obj, <class at dotted>)`` for a class in an already-imported module."""
    mod, _, name = dotted.rpartition(".")
    m = sys.modules.get(mod)
    cls = getattr(m, name, None) if m is not None else None
    return cls is not None and isinstance(obj, cls)


class TransformersPreset(Preset):
    """Rules for a ``PreTrainedModel`` (see the module docstring)."""

    name = "transformers"

    def __init__(self, model: Any) -> None:
        if not is_pretrained(model):
            raise SpecError(f"preset='transformers' needs a transformers PreTrainedModel, got {type(model).__name__}; "
                            "use preset='auto' or 'torch'")
        self.version = _version_check()
        self._model = model
        self._config = model.config

    # ---- names for spec arithmetic -----------------------------------------------------------
    def names(self) -> Mapping[str, float]:
        cfg = self._config
        out: dict[str, float] = {}
        for k, v in cfg.to_dict().items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None and math.isfinite(v):
                out[k] = v
        for alias, target in getattr(cfg, "attribute_map", {}).items():
            if target in out:
                out[alias] = out[target]
        layers = out.get("num_hidden_layers", out.get("n_layer"))
        if layers is not None:
            out.setdefault("n_layer", layers)
            out.setdefault("num_hidden_layers", layers)
        out.setdefault("initializer_range", _std(cfg))
        return out

    # ---- rules -----------------------------------------------------------------------------
    def _owner(self, module: Any, ancestors: list[tuple[str, Any]]) -> Any:
        for m in [module] + [m for _, m in reversed(ancestors)]:
            if is_pretrained(m):
                return m
        return None

    def expectation(self, name: str, shape: tuple[int, ...], module: Any,
                    ancestors: list[tuple[str, Any]]) -> Any:
        import torch.nn as nn

        owner = self._owner(module, ancestors)
        if owner is None:
            return None
        owner_init = _init_owner(type(owner))
        kind = KNOWN_INIT.get(owner_init)
        if kind is None:
            return (f"{owner_init.rsplit('.', 1)[-1]}._init_weights is not encoded by the transformers preset (it "
                    "knows PreTrainedModel, BERT, GPT-2 and models using the generic init such as Llama): add a rule")
        cfg = owner.config
        std = _std(cfg)
        local = name.rsplit(".", 1)[-1]
        tname = type(module).__name__
        parent = ancestors[-1][1] if ancestors else None

        def exp(spec: Any, cite: Citation, note: str = "", **kw: Any) -> Expectation:
            return Expectation(spec, f"transformers preset: {tname}.{local} ({cite})", note=note, **kw)

        if kind == "gpt2":
            if (local == "weight" and name.rsplit(".", 2)[-2:-1] == ["c_proj"]
                    and (_is(parent, "transformers.models.gpt2.modeling_gpt2.GPT2Attention")
                         or _is(parent, "transformers.models.gpt2.modeling_gpt2.GPT2MLP"))):
                n_layer = int(cfg.n_layer)
                s = cfg.initializer_range / math.sqrt(2 * n_layer)
                return exp(normal(0.0, s), _cite(_GPT2, "446-449"),
                           label=f"normal(0, initializer_range/√(2·n_layer)) = normal(0, {cfg.initializer_range:g}/"
                                 f"√(2·{n_layer})) = normal(0, {s:.6g})")
            if _is(module, "transformers.pytorch_utils.Conv1D"):
                if local == "weight":
                    return exp(normal(0.0, float(cfg.initializer_range)), _cite(_GPT2, "435-436"))
                if local == "bias":
                    return exp(ExactSpec(0.0), _cite(_GPT2, "437-438"))
        if kind == "bert" and _is(module, "transformers.models.bert.modeling_bert.BertLMPredictionHead") \
                and local == "bias":
            return exp(ExactSpec(0.0), _cite(_BERT, "553-554"))

        # the generic PreTrainedModel._init_weights (modeling_utils.py:2320-2350), in its elif order
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)):
            if local == "weight":
                return exp(normal(0.0, std), _cite(_UTILS, "2321-2322"))
            if local == "bias":
                return exp(ExactSpec(0.0), _cite(_UTILS, "2323-2324"))
            return None
        if isinstance(module, nn.LSTM):
            if "weight" in local:
                return exp(xavier_uniform(), _cite(_UTILS, "2327-2328"))
            if "bias" in local:
                return exp(ExactSpec(0.0), _cite(_UTILS, "2329-2330"))
            return None
        if isinstance(module, nn.Embedding):
            if local != "weight":
                return None
            pad = module.padding_idx
            rows = (pad % shape[0],) if pad is not None and shape else ()
            return exp(normal(0.0, std), _cite(_UTILS, "2331-2335"), zero_rows=rows,
                       note=f"padding_idx row {rows[0]} must be exactly zero; it is left out of the normal checks"
                       if rows else "")
        if isinstance(module, nn.MultiheadAttention):
            return None  # torch's own _reset_parameters (modeling_utils.py:2336-2338)
        if (isinstance(module, (nn.GroupNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))
                or "LayerNorm" in tname or "RMSNorm" in tname):
            if local == "weight":
                return exp(ExactSpec(1.0), _cite(_UTILS, "2347-2348"))
            if local == "bias":
                return exp(ExactSpec(0.0), _cite(_UTILS, "2349-2350"))
        return None

    # ---- structure and lazy replay ---------------------------------------------------------
    def ties(self) -> Mapping[str, str]:
        get = getattr(self._model, "get_expanded_tied_weights_keys", None)
        if get is None:
            return {}
        try:
            keys = get(all_submodels=True)
        except Exception:  # a model whose config disagrees with its tie declarations
            return {}
        return {str(k): str(v) for k, v in dict(keys or {}).items()}

    def replay(self, unit: list[tuple[str, Any]], ancestors: list[tuple[str, Any]]) -> None:
        """Apply ``_init_weights`` as ``post_init`` would: each module of the unit (children first),
        then each ancestor (nearest first), every call by the nearest ``PreTrainedModel``'s
        ``_init_weights``. Ancestors' inits only touch the unit's tensors that exist; the rest are
        on the meta device, where writes are no-ops."""
        import torch

        super().replay(unit, ancestors)
        chain = [(n, m) for n, m in reversed(unit)] + [(n, m) for n, m in reversed(ancestors)]
        every = ancestors + unit
        with torch.no_grad():
            for n, m in chain:
                for p in m.parameters(recurse=False):
                    if getattr(p, "_is_hf_initialized", False):
                        p._is_hf_initialized = False
                owner = next((a for an, a in reversed(every) if is_pretrained(a)
                              and (n == an or n.startswith(an + ".") or an == "")), None)
                if owner is not None:
                    owner._init_weights(m)

    def replayed(self, name: str, shape: tuple[int, ...], module: Any, ancestors: list[tuple[str, Any]]) -> bool:
        return isinstance(self.expectation(name, shape, module, ancestors), Expectation)

    def replays(self) -> str:
        return "reset_parameters() then the model's own _init_weights, as post_init applies it (seeded)"

    def notes(self) -> tuple[str, ...]:
        cfg = self._config
        return (f"transformers preset ({self.version}; rules cite {CITED_VERSION}): std = initializer_range = "
                f"{_std(cfg):g}, {type(self._model).__name__}._init_weights from "
                f"{_init_owner(type(self._model)).rsplit('.', 1)[-1]}",)
