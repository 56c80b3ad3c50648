"""The torchvision preset on resnet18, a grouped ResNeXt, mobilenet_v3_small (depthwise), a small
ConvNeXt and a small ViT: correct models pass eagerly and lazily with the same verdicts; a broken
tensor fails exactly that tensor. Runs in the ``vision`` tox env (torch 2.14.1, torchvision 0.29.1)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

from torchvision.models import convnext, resnet  # noqa: E402
from torchvision.models import vision_transformer as vt  # noqa: E402

from verifier.auditing import audit  # noqa: E402
from verifier.auditing import model as audit_model  # noqa: E402
from verifier.errors import SourceError  # noqa: E402


def resnet18():
    return torchvision.models.resnet18(num_classes=10)


def resnext_grouped():
    return resnet.ResNet(resnet.Bottleneck, [1, 1, 1, 1], groups=8, width_per_group=4, num_classes=10)


def mobilenet_v3_small():
    return torchvision.models.mobilenet_v3_small(num_classes=10)


def convnext_small_config():
    return convnext.ConvNeXt([convnext.CNBlockConfig(32, 64, 1), convnext.CNBlockConfig(64, None, 1)], num_classes=10)


def vit_small():
    return vt.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=64, mlp_dim=128,
                                num_classes=10)


FACTORIES = [resnet18, resnext_grouped, mobilenet_v3_small, convnext_small_config, vit_small]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_correct_model_passes_eagerly_and_lazily_with_the_same_verdicts(factory):
    eager = audit(factory, lazy=False, seed=0)
    lazy = audit(factory, lazy=True, seed=1)
    assert eager.preset == lazy.preset == "torchvision"
    assert eager.passed, eager
    assert lazy.passed, lazy
    assert [(r.name, r.status, r.expected) for r in eager.rows] == [(r.name, r.status, r.expected) for r in lazy.rows]


def test_rules_cite_torchvision_source():
    report = audit(resnet18, lazy=False)
    row = report.row("layer1.0.conv1.weight")
    assert "he_normal" in row.expected and "resnet.py:208-210" in row.rule
    assert report.row("fc.weight").rule == "torch default: Linear.weight"  # the loop leaves fc alone
    grouped = audit(resnext_grouped, lazy=False).row("layer1.0.conv2.weight")
    assert grouped.status == "pass" and grouped.true_fans is None or grouped.status == "pass"


def test_depthwise_and_heads_of_mobilenet():
    report = audit(mobilenet_v3_small, lazy=False)
    depthwise = report.row("features.1.block.0.0.weight")
    assert depthwise.shape[1] == 1 and depthwise.status == "pass"
    assert "normal(std=0.01)" in report.row("classifier.0.weight").expected


def test_convnext_layer_scale_and_vit_tokens():
    cn = audit(convnext_small_config, lazy=False)
    assert any(r.name.endswith("layer_scale") and r.status == "pass" and "1e-06" in r.expected for r in cn.rows)
    v = audit(vit_small, lazy=False)
    assert v.row("class_token").expected == "zeros" and v.row("heads.head.weight").expected == "zeros"
    assert "normal(std=0.02)" in v.row("encoder.pos_embedding").expected


def _broken(factory, name, fn):
    def build():
        m = factory()
        with torch.no_grad():
            fn(dict(m.named_parameters())[name])
        return m
    return build


BREAKS = [
    (resnet18, "layer2.0.conv1.weight", lambda p: torch.nn.init.kaiming_normal_(p, mode="fan_in", nonlinearity="relu"),
     "fans swapped"),
    (resnet18, "layer3.1.bn2.weight", lambda p: p.zero_(), "differ from 1"),
    (mobilenet_v3_small, "classifier.3.weight", lambda p: p.mul_(1.5), "std ×1.4"),
    (vit_small, "encoder.layers.encoder_layer_0.mlp.0.weight", lambda p: p.view(-1)[0].fill_(float("nan")),
     "non-finite"),
]


@pytest.mark.parametrize("factory,name,fn,expected", BREAKS, ids=[b[1] for b in BREAKS])
def test_one_broken_tensor_fails_exactly_that_tensor(factory, name, fn, expected):
    report = audit(_broken(factory, name, fn), lazy=False)
    assert [r.name for r in report.failed] == [name]
    assert expected in report.row(name).diagnosis, report.row(name).diagnosis


def test_torch_preset_refuses_auto_lazy_on_the_init_loop(monkeypatch):
    monkeypatch.setattr(audit_model, "AUTO_LAZY_BYTES", 1000)
    with pytest.raises(SourceError, match=r"cannot audit lazily .*ResNet.__init__"):
        audit(resnet18, preset="torch")
    assert audit(resnet18).mode == "lazy"


# ---- timm ------------------------------------------------------------------------------------------------
def _timm():
    return pytest.importorskip("timm")


def timm_vit():
    from timm.models import vision_transformer as tv

    return tv.VisionTransformer(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10)


def timm_vit_layer_scale():
    from timm.models import vision_transformer as tv

    return tv.VisionTransformer(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=2, num_classes=10,
                                init_values=1e-5)


def timm_convnext():
    from timm.models import convnext as tc

    return tc.ConvNeXt(depths=(1, 1, 1, 1), dims=(16, 32, 32, 64), num_classes=10)


@pytest.mark.parametrize("factory", [timm_vit, timm_vit_layer_scale, timm_convnext], ids=lambda f: f.__name__)
def test_timm_model_passes_eagerly_and_lazily_with_the_same_verdicts(factory):
    _timm()
    eager = audit(factory, lazy=False, seed=0)
    lazy = audit(factory, lazy=True, seed=1)
    assert eager.preset == lazy.preset == "timm"
    assert eager.passed, eager
    assert lazy.passed, lazy
    assert [(r.name, r.status, r.expected) for r in eager.rows] == [(r.name, r.status, r.expected) for r in lazy.rows]


def test_timm_rules():
    _timm()
    v = audit(timm_vit_layer_scale, lazy=False)
    assert "trunc_normal(std=0.02)" in v.row("blocks.0.attn.qkv.weight").expected
    assert "vision_transformer.py:1363-1364" in v.row("blocks.0.attn.qkv.weight").rule
    assert "normal(std=1e-06)" in v.row("cls_token").expected
    assert "init_values = 1e-05" in v.row("blocks.1.ls2.gamma").expected
    assert v.row("patch_embed.proj.weight").rule == "torch default: Conv2d.weight"
    c = audit(timm_convnext, lazy=False)
    assert any(r.name.endswith(".gamma") and "ls_init_value = 1e-06" in r.expected for r in c.rows)


def test_timm_value_at_the_truncation_bound_is_named():
    _timm()

    def build():
        m = timm_vit()
        with torch.no_grad():
            m.blocks[0].mlp.fc1.weight.view(-1)[5] = -2.0
        return m

    report = audit(build, lazy=False)
    assert [r.name for r in report.failed] == ["blocks.0.mlp.fc1.weight"]
    assert "exactly at the bound -2" in report.failed[0].diagnosis
