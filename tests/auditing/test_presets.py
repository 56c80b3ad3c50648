"""Presets: choosing one, and lazy audits that refuse what they cannot replay."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from verifier.auditing import audit  # noqa: E402
from verifier.auditing import model as audit_model  # noqa: E402
from verifier.auditing.presets import detect_preset, post_construction_init, resolve_preset  # noqa: E402
from verifier.errors import SourceError, SpecError  # noqa: E402

from .models import PostInitNet, post_init_net, small_net  # noqa: E402


def test_auto_is_torch_for_plain_modules():
    assert detect_preset(small_net()) == "torch"
    assert audit(small_net).preset == "torch"


def test_unknown_preset_is_refused_with_the_valid_names():
    with pytest.raises(SpecError, match="unknown preset 'keras'; valid presets: auto, torch, transformers, torchvision, timm, "
                       "none"):
        audit(small_net, preset="keras")


def test_transformers_preset_needs_a_pretrained_model():
    with pytest.raises(SpecError, match="needs a transformers PreTrainedModel"):
        audit(small_net, preset="transformers")


def test_post_construction_init_is_found_in_the_source():
    where = post_construction_init(PostInitNet())
    assert where is not None and "PostInitNet.__init__" in where and "kaiming_normal_" in where
    assert post_construction_init(small_net()) is None


def test_post_init_model_passes_eagerly_with_its_rule():
    rules = {"type:Conv2d.weight": "he_normal(mode='fan_out', nonlinearity='relu')"}
    assert audit(post_init_net, rules, lazy=False).passed


def test_auto_lazy_refuses_a_model_whose_init_it_cannot_replay(monkeypatch):
    monkeypatch.setattr(audit_model, "AUTO_LAZY_BYTES", 1000)
    with pytest.raises(SourceError, match=r"cannot audit lazily .*PostInitNet.__init__.*kaiming_normal_"):
        audit(post_init_net)
    assert audit(small_net).mode == "lazy"  # a model without post-construction init still goes lazy


def test_explicit_lazy_says_what_it_cannot_see():
    rules = {"type:Conv2d.weight": "he_normal(mode='fan_out', nonlinearity='relu')"}
    report = audit(post_init_net, rules, lazy=True)
    assert any(n.startswith("lazy audit cannot see: PostInitNet.__init__") for n in report.notes)


def test_resolve_preset_none_has_no_rules():
    p = resolve_preset("none", small_net())
    assert p.expectation("0.weight", (128, 64), nn.Linear(64, 128), []) is None
