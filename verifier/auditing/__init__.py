"""Model audits: check every tensor of a model against rules and torch's defaults.

>>> import torch.nn as nn, verifier
>>> verifier.audit(nn.Linear(64, 128)).passed
True

:func:`audit` walks a module, a factory (optionally module by module on the meta device) or a
state dict; :class:`AuditReport` holds one row per tensor and the model-level decision (Holm or
Benjamini–Hochberg across tensors). Rules: :mod:`verifier.auditing.rules`; library presets
(torch, transformers, torchvision, timm): :mod:`verifier.auditing.presets`; built-in torch
defaults: :mod:`verifier.auditing.defaults`. ``import verifier.auditing`` does not import torch.
"""

from __future__ import annotations

from .defaults import Expectation, default_expectation
from .exact import ExactSpec, PointMass
from .model import AUTO_LAZY_BYTES, NothingCheckedError, audit
from .report import CORRECTIONS, AuditReport, AuditRow
from .rules import Rule, RuleSet, Skip, as_rules, load_rules

__all__ = [
    "audit",
    "AuditReport",
    "AuditRow",
    "Rule",
    "RuleSet",
    "Skip",
    "as_rules",
    "load_rules",
    "ExactSpec",
    "PointMass",
    "Expectation",
    "default_expectation",
    "CORRECTIONS",
    "AUTO_LAZY_BYTES",
    "NothingCheckedError",
]
