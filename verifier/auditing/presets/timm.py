"""The ``timm`` preset: timm's ViT and ConvNeXt weight init.

Encoded from timm |CITED| (file and lines cited per rule); other 1.x releases are accepted with a
note. Module types the init leaves alone (norms, the patch-embedding conv of a ViT) keep torch's
defaults; a lazy audit replays the same init functions on each materialised module.

======================  =========================================================================
architecture            rules
======================  =========================================================================
``VisionTransformer``   (``weight_init=''``, the default) every ``Linear`` weight
                        ``trunc_normal(std=0.02)`` cut at ±2 absolute, bias zeros
                        (``models/vision_transformer.py:1363-1366``); ``pos_embed``
                        ``trunc_normal(std=0.02)`` (``:970-971``); ``cls_token``/``reg_token``
                        ``normal(std=1e-6)`` (``:972-975``); ``LayerScale.gamma`` the constant
                        ``init_values`` (``layers/layer_scale.py:23-24``). Other ``weight_init``
                        modes, ``fix_init`` and blocks with their own ``init_weights`` are not
                        encoded (their tensors are listed with that reason)
``ConvNeXt``            ``Conv2d``/``Linear`` weight ``trunc_normal(std=0.02)``, bias zeros
                        (``models/convnext.py:653-659``; the head scaled by ``head_init_scale``,
                        assumed 1, the default); ``ConvNeXtBlock.gamma`` the constant
                        ``ls_init_value`` = 1e-6, the default (``models/convnext.py:196``)
======================  =========================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from verifier.errors import SpecError
from verifier.theory.parsing import parse_spec
from verifier.theory.specs import normal

from ..defaults import Expectation
from ..exact import ExactSpec
from .base import Citation, Preset

__all__ = ["TimmPreset", "is_timm", "CITED_VERSION"]

CITED_VERSION = "1.0.31"
ARCHS = {"timm.models.vision_transformer.VisionTransformer": "vit", "timm.models.convnext.ConvNeXt": "convnext"}
CONVNEXT_LS = 1e-6


def _cite(file: str, lines: str) -> Citation:
    return Citation("timm", CITED_VERSION, f"timm/{file}", lines)


def _arch(model: Any) -> str | None:
    for klass in type(model).__mro__:
        arch = ARCHS.get(f"{klass.__module__}.{klass.__qualname__}")
        if arch is not None:
            return arch
    return None


def is_timm(model: Any) -> bool:
    """Whether ``model``'s class comes from ``timm``."""
    return type(model).__module__.startswith("timm.")


def _trunc(std: float) -> Any:
    return parse_spec(f"trunc_normal(std={std!r})")


class TimmPreset(Preset):
    """Rules for timm's VisionTransformer and ConvNeXt (module docstring)."""

    name = "timm"

    def __init__(self, model: Any) -> None:
        self._model = model
        self.arch = _arch(model)
        if self.arch is None:
            raise SpecError(f"the timm preset knows VisionTransformer and ConvNeXt; {type(model).__name__} is not "
                            "one: pass preset='torch' with rules for it")
        import timm

        self.version = str(timm.__version__)
        self._mode = str(getattr(model, "weight_init_mode", "")) if self.arch == "vit" else ""
        self._fix = bool(getattr(model, "fix_init", False))

    def notes(self) -> tuple[str, ...]:
        what = {"vit": "VisionTransformer", "convnext": "ConvNeXt (head_init_scale 1 and ls_init_value 1e-6 assumed)"}
        return (f"timm preset ({self.version}; rules cite {CITED_VERSION}): {what[str(self.arch)]}",)

    def expectation(self, name: str, shape: tuple[int, ...], module: Any,
                    ancestors: list[tuple[str, Any]]) -> Any:
        import torch.nn as nn

        local = name.rsplit(".", 1)[-1]
        tname = type(module).__name__

        def exp(spec: Any, cite: Citation, **kw: Any) -> Expectation:
            return Expectation(spec, f"timm preset: {tname}.{local} ({cite})", **kw)

        if self.arch == "convnext":
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                if local == "weight":
                    lines = "653-654" if isinstance(module, nn.Conv2d) else "657-658"
                    return exp(_trunc(0.02), _cite("models/convnext.py", lines), label="trunc_normal(std=0.02), ±2 absolute")
                if local == "bias":
                    return exp(ExactSpec(0.0), _cite("models/convnext.py", "655-656" if isinstance(module, nn.Conv2d)
                                                     else "659"))
            if tname == "ConvNeXtBlock" and local == "gamma":
                return exp(ExactSpec(float(np.float32(CONVNEXT_LS))), _cite("models/convnext.py", "196"),
                           label=f"constant(ls_init_value = {CONVNEXT_LS:g}, as float32)")
            return None
        # VisionTransformer
        if self._mode not in ("",) or self._fix:
            why = f"weight_init={self._mode!r}" if self._mode else "fix_init=True"
            return f"timm ViT built with {why}: not encoded by the timm preset (add rules)"
        chain = [m for _, m in ancestors if m is not self._model] + ([module] if module is not self._model else [])
        owner = next((m for m in reversed(chain) if hasattr(m, "init_weights")), None)
        if owner is not None:  # init_weights_vit_timm calls it instead of the Linear rule (:1367-1368)
            return f"{type(owner).__name__}.init_weights is not encoded by the timm preset (add a rule)"
        if isinstance(module, nn.Linear):
            if local == "weight":
                return exp(_trunc(0.02), _cite("models/vision_transformer.py", "1363-1364"),
                           label="trunc_normal(std=0.02), ±2 absolute")
            if local == "bias":
                return exp(ExactSpec(0.0), _cite("models/vision_transformer.py", "1365-1366"))
        if module is self._model:
            if local == "pos_embed":
                return exp(_trunc(0.02), _cite("models/vision_transformer.py", "970-971"),
                           label="trunc_normal(std=0.02), ±2 absolute")
            if local in ("cls_token", "reg_token"):
                return exp(normal(0.0, 1e-6), _cite("models/vision_transformer.py", "972-975"))
        if tname == "LayerScale" and local == "gamma":
            return exp(ExactSpec(float(np.float32(module.init_values))), _cite("layers/layer_scale.py", "23-24"),
                       label=f"constant(init_values = {module.init_values:g}, as float32)")
        return None

    def replayed(self, name: str, shape: tuple[int, ...], module: Any, ancestors: list[tuple[str, Any]]) -> bool:
        return isinstance(self.expectation(name, shape, module, ancestors), Expectation)

    def replays(self) -> str:
        return f"reset_parameters() then timm's {self.arch} init (trunc_normal_/normal_/constant_), module by module"

    def replay(self, unit: list[tuple[str, Any]], ancestors: list[tuple[str, Any]]) -> None:
        import torch
        import torch.nn as nn
        from timm.layers import trunc_normal_

        from verifier.theory.distributions import TruncatedNormal

        super().replay(unit, ancestors)
        with torch.no_grad():
            for full, m in unit:
                anc = ancestors + [u for u in unit if u[1] is not m and (u[0] == "" or full.startswith(u[0] + "."))]
                for pname, p in m.named_parameters(recurse=False):
                    e = self.expectation(f"{full}.{pname}" if full else pname, tuple(p.shape), m, anc)
                    if not isinstance(e, Expectation):
                        continue
                    if isinstance(e.spec, ExactSpec):
                        nn.init.constant_(p, e.spec.value)
                        continue
                    d = e.spec.distribution()
                    if isinstance(d, TruncatedNormal):
                        trunc_normal_(p, std=d.scale)
                    else:
                        nn.init.normal_(p, std=d.std)
