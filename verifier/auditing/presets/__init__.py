"""Presets: a library's documented initialisation as audit rules (``preset=`` / ``--preset``).

``"auto"`` (the default) picks the preset from the model's class: a transformers
``PreTrainedModel`` → ``"transformers"``; a torchvision ResNet/MobileNetV3/ConvNeXt/ViT →
``"torchvision"``; a timm VisionTransformer/ConvNeXt → ``"timm"``; anything else → ``"torch"`` (torch's
``reset_parameters`` defaults). ``"none"`` applies only the user's rules. User rules always come
first; the preset's rules next; torch's defaults for the module types the preset leaves alone.
"""

from __future__ import annotations

from typing import Any

from verifier.errors import SpecError

from .base import Citation, Preset
from .torch import TorchPreset, post_construction_init
from .timm import TimmPreset, is_timm
from .torchvision import TorchvisionPreset, is_torchvision
from .transformers import TransformersPreset, is_pretrained

__all__ = ["PRESETS", "Preset", "Citation", "TorchPreset", "TransformersPreset", "TorchvisionPreset", "TimmPreset",
           "resolve_preset", "detect_preset",
           "post_construction_init"]

#: Preset names accepted by ``audit(preset=...)`` and ``--preset``.
PRESETS = ("auto", "torch", "transformers", "torchvision", "timm", "none")


def detect_preset(model: Any) -> str:
    """The preset ``"auto"`` chooses for ``model``."""
    if is_pretrained(model):
        return "transformers"
    if is_torchvision(model):
        from .torchvision import _arch

        if _arch(model) is not None:
            return "torchvision"
    if is_timm(model):
        from .timm import _arch as timm_arch

        if timm_arch(model) is not None:
            return "timm"
    return "torch"


def resolve_preset(name: str | None, model: Any) -> Preset:
    """The preset ``name`` bound to ``model`` (a torch module; ``None`` for a state dict)."""
    key = "auto" if name is None else str(name).strip().lower()
    if key not in PRESETS:
        raise SpecError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    if model is None:
        if key in ("transformers", "torchvision", "timm"):
            raise SpecError(f"preset={key!r} needs a model (a module or factory), not a state dict")
        return Preset()
    if key == "auto":
        key = detect_preset(model)
    if key == "transformers":
        return TransformersPreset(model)
    if key == "torchvision":
        return TorchvisionPreset(model)
    if key == "timm":
        return TimmPreset(model)
    if key == "torch":
        return TorchPreset(model)
    return Preset()
