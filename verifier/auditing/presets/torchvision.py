"""The ``torchvision`` preset: the init loops of torchvision's classification models.

torchvision's models initialise in ``__init__`` after building their children: a loop over
``self.modules()`` per architecture. The rules below encode those loops as they stand in
torchvision |CITED| (file and lines cited per rule); other 0.x releases are accepted with a note,
and module types a loop does not touch keep torch's defaults. A lazy audit replays the same
loop body on each materialised module (:meth:`TorchvisionPreset.replay`).

=======================  ========================================================================
architecture             rules
=======================  ========================================================================
``ResNet`` (resnet*,     ``Conv2d`` weight ``he_normal(mode='fan_out', nonlinearity='relu')``,
resnext*, wide_resnet*)  ``BatchNorm2d``/``GroupNorm`` weight ones, bias zeros
                         (``resnet.py:208-213``); ``fc`` keeps torch's ``Linear`` default.
                         ``zero_init_residual=True`` (not the default) zeroes the last BN weight of
                         each block (``resnet.py:218-223``): add a rule for it
``MobileNetV3``          ``Conv2d`` weight ``he_normal(mode='fan_out')``, bias zeros; norms 1/0;
                         ``Linear`` weight ``normal(0, 0.01)``, bias zeros (``mobilenetv3.py:198-208``)
``ConvNeXt``             ``Conv2d``/``Linear`` weight ``trunc_normal(std=0.02)`` (absolute cut at
                         ±2), bias zeros (``convnext.py:164-168``); ``CNBlock.layer_scale`` the
                         constant ``layer_scale`` = 1e-6 (``convnext.py:60``, the builders' default)
``VisionTransformer``    ``MLPBlock`` ``Linear`` weight ``xavier_uniform``, bias ``normal(std=1e-6)``
                         (``vision_transformer.py:48-52``); ``pos_embedding`` ``normal(std=0.02)``
                         (``:139``); ``class_token`` zeros (``:220``); ``conv_proj`` weight
                         ``trunc_normal(std=√(1/fan_in))``, bias zeros (``:245-250``); ``heads.head``
                         zeros (``:264-266``); attention and norms keep torch's defaults
=======================  ========================================================================
"""

from __future__ import annotations

import math
from typing import Any

from verifier.theory.specs import he_normal, normal, xavier_uniform
from verifier.theory.parsing import parse_spec

from ..defaults import Expectation
from ..exact import ExactSpec
from .base import Citation, Preset

__all__ = ["TorchvisionPreset", "is_torchvision", "CITED_VERSION"]

CITED_VERSION = "0.29.1"
ARCHS = ("ResNet", "MobileNetV3", "ConvNeXt", "VisionTransformer")
CONVNEXT_LAYER_SCALE = 1e-6


def _cite(file: str, lines: str) -> Citation:
    return Citation("torchvision", CITED_VERSION, f"torchvision/models/{file}", lines)


def _arch(model: Any) -> str | None:
    for klass in type(model).__mro__:
        if klass.__module__.startswith("torchvision.models.") and klass.__name__ in ARCHS:
            return klass.__name__
    return None


def is_torchvision(model: Any) -> bool:
    """Whether ``model``'s class comes from ``torchvision.models``."""
    return type(model).__module__.startswith("torchvision.models.")


class TorchvisionPreset(Preset):
    """Rules for torchvision's ResNet/ResNeXt, MobileNetV3, ConvNeXt and ViT (module docstring)."""

    name = "torchvision"

    def __init__(self, model: Any) -> None:
        from verifier.errors import SpecError

        self._model = model
        self.arch = _arch(model)
        if self.arch is None:
            raise SpecError(f"the torchvision preset knows {', '.join(ARCHS)}; {type(model).__name__} is not one: "
                            "pass preset='torch' with rules for it")
        import torchvision

        self.version = str(torchvision.__version__).split("+")[0]

    def notes(self) -> tuple[str, ...]:
        extra = ("; zero_init_residual=True is not assumed (the default is False)" if self.arch == "ResNet" else "")
        return (f"torchvision preset ({self.version}; rules cite {CITED_VERSION}): {self.arch}{extra}",)

    def expectation(self, name: str, shape: tuple[int, ...], module: Any,
                    ancestors: list[tuple[str, Any]]) -> Any:
        import torch.nn as nn

        local = name.rsplit(".", 1)[-1]
        tname = type(module).__name__

        def exp(spec: Any, cite: Citation, **kw: Any) -> Expectation:
            return Expectation(spec, f"torchvision preset: {tname}.{local} ({cite})", **kw)

        norm = isinstance(module, (nn.BatchNorm2d, nn.GroupNorm))
        if self.arch == "ResNet":
            if isinstance(module, nn.Conv2d) and local == "weight":
                return exp(he_normal(mode="fan_out", nonlinearity="relu"), _cite("resnet.py", "208-210"))
            if norm and local in ("weight", "bias"):
                return exp(ExactSpec(1.0 if local == "weight" else 0.0), _cite("resnet.py", "211-213"))
            return None
        if self.arch == "MobileNetV3":
            if isinstance(module, nn.Conv2d):
                if local == "weight":
                    return exp(he_normal(mode="fan_out"), _cite("mobilenetv3.py", "199-200"))
                if local == "bias":
                    return exp(ExactSpec(0.0), _cite("mobilenetv3.py", "201-202"))
            if norm and local in ("weight", "bias"):
                return exp(ExactSpec(1.0 if local == "weight" else 0.0), _cite("mobilenetv3.py", "203-205"))
            if isinstance(module, nn.Linear):
                if local == "weight":
                    return exp(normal(0.0, 0.01), _cite("mobilenetv3.py", "206-207"))
                if local == "bias":
                    return exp(ExactSpec(0.0), _cite("mobilenetv3.py", "208"))
            return None
        if self.arch == "ConvNeXt":
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                if local == "weight":
                    return exp(parse_spec("trunc_normal(std=0.02)"), _cite("convnext.py", "165-166"),
                               label="trunc_normal(std=0.02), cut at ±2 (absolute)")
                if local == "bias":
                    return exp(ExactSpec(0.0), _cite("convnext.py", "167-168"))
            if tname == "CNBlock" and local == "layer_scale":
                return exp(ExactSpec(float(_f32(CONVNEXT_LAYER_SCALE))), _cite("convnext.py", "60"),
                           label=f"constant(layer_scale = {CONVNEXT_LAYER_SCALE:g}, as float32)",
                           note="ones × layer_scale; 1e-6 is the default of every torchvision ConvNeXt builder")
            return None
        # VisionTransformer
        parent = ancestors[-1][1] if ancestors else None
        if isinstance(module, nn.Linear) and type(parent).__name__ == "MLPBlock":
            if local == "weight":
                return exp(xavier_uniform(), _cite("vision_transformer.py", "49-50"))
            if local == "bias":
                return exp(normal(0.0, 1e-6), _cite("vision_transformer.py", "51-52"))
        if tname == "Encoder" and local == "pos_embedding":
            return exp(normal(0.0, 0.02), _cite("vision_transformer.py", "139"))
        if tname == "VisionTransformer" and local == "class_token":
            return exp(ExactSpec(0.0), _cite("vision_transformer.py", "220"))
        if isinstance(module, nn.Conv2d) and name.rsplit(".", 1)[0] == "conv_proj":
            if local == "weight":
                fan_in = int(math.prod(shape[1:]))
                return exp(parse_spec(f"trunc_normal(std={math.sqrt(1 / fan_in)!r})"),
                           _cite("vision_transformer.py", "246-248"), label=f"trunc_normal(std=√(1/{fan_in}))")
            if local == "bias":
                return exp(ExactSpec(0.0), _cite("vision_transformer.py", "249-250"))
        if isinstance(module, nn.Linear) and name.rsplit(".", 1)[0] == "heads.head":
            return exp(ExactSpec(0.0), _cite("vision_transformer.py", "264-266"))
        return None

    def replayed(self, name: str, shape: tuple[int, ...], module: Any, ancestors: list[tuple[str, Any]]) -> bool:
        return isinstance(self.expectation(name, shape, module, ancestors), Expectation)

    def replays(self) -> str:
        return f"reset_parameters() then the {self.arch} init loop of torchvision, module by module (seeded)"

    def replay(self, unit: list[tuple[str, Any]], ancestors: list[tuple[str, Any]]) -> None:
        """Apply the architecture's init-loop body to every module of the unit, with the same
        ``torch.nn.init`` calls as torchvision."""
        import torch
        import torch.nn as nn

        super().replay(unit, ancestors)
        init = nn.init
        with torch.no_grad():
            for full, m in unit:
                anc = ancestors + [u for u in unit if u[1] is not m and (u[0] == "" or full.startswith(u[0] + "."))]
                for pname, p in m.named_parameters(recurse=False):
                    exp = self.expectation(f"{full}.{pname}" if full else pname, tuple(p.shape), m, anc)
                    if not isinstance(exp, Expectation):
                        continue
                    spec = exp.spec
                    if isinstance(spec, ExactSpec):
                        init.constant_(p, spec.value)
                    elif self.arch in ("ResNet",) or (self.arch == "MobileNetV3" and isinstance(m, nn.Conv2d)):
                        init.kaiming_normal_(p, mode="fan_out", nonlinearity="relu" if self.arch == "ResNet"
                                             else "leaky_relu")
                    elif self.arch == "MobileNetV3":
                        init.normal_(p, 0, 0.01)
                    elif self.arch == "ConvNeXt":
                        init.trunc_normal_(p, std=0.02)
                    elif isinstance(m, nn.Conv2d):  # ViT conv_proj
                        init.trunc_normal_(p, std=math.sqrt(1 / math.prod(p.shape[1:])))
                    elif pname == "pos_embedding":
                        p.normal_(std=0.02)
                    elif pname == "weight":
                        init.xavier_uniform_(p)
                    else:
                        init.normal_(p, std=1e-6)


def _f32(x: float) -> float:
    import numpy as np

    return float(np.float32(x))
