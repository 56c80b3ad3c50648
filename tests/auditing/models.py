"""Small models for the audit tests (importable as ``tests/auditing/models.py:<name>``)."""

from __future__ import annotations

import math

import torch
import torch.nn as nn


def small_net() -> nn.Module:
    """A Sequential of Linear / Conv2d / LayerNorm / Embedding with torch's default init."""
    return nn.Sequential(
        nn.Linear(64, 128),
        nn.LayerNorm(128),
        nn.Linear(128, 256),
        nn.Conv2d(16, 32, 3),
        nn.LayerNorm(64),
        nn.Embedding(200, 64, padding_idx=0),
    )


def broken_net() -> nn.Module:
    """``small_net`` with two deliberate faults: ``2.weight`` drawn with std × 2, ``4.weight`` = 0.5."""
    torch.manual_seed(0)
    m = small_net()
    with torch.no_grad():
        bound = 1 / math.sqrt(128)
        nn.init.uniform_(m[2].weight, -2 * bound, 2 * bound)  # std × 2
        m[4].weight.fill_(0.5)
    return m


def good_net() -> nn.Module:
    torch.manual_seed(0)
    return small_net()


#: Module instances for import strings.
BROKEN = broken_net()
GOOD = good_net()


def conv_net() -> nn.Module:
    """Transposed, grouped and depthwise convolutions with torch's default init."""
    return nn.Sequential(
        nn.ConvTranspose2d(32, 64, 3, groups=4),
        nn.Conv2d(32, 64, 3, groups=8),
        nn.Conv2d(32, 32, 3, groups=32),
        nn.ConvTranspose1d(64, 16, 5),
        nn.ConvTranspose2d(64, 128, 3),
    )


def attention_net() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 64), nn.MultiheadAttention(64, 4), nn.LayerNorm(64))


class PostInitNet(nn.Module):
    """A model whose ``__init__`` re-initialises its children after building them (like torchvision's)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(8, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


def post_init_net() -> nn.Module:
    return PostInitNet()
