"""The meta-device path: module by module, at most one module's parameters materialised."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from verifier.auditing import audit  # noqa: E402
from verifier.auditing import model as audit_model  # noqa: E402
from verifier.auditing import rows as audit_rows  # noqa: E402

from .models import attention_net, conv_net, small_net  # noqa: E402


def _materialised(model):
    """Names of the modules that hold at least one non-meta parameter right now."""
    return {name for name, m in model.named_modules()
            if any(p.device.type != "meta" for p in m.parameters(recurse=False))}


def test_lazy_audit_materialises_one_module_at_a_time(monkeypatch):
    built = []

    def factory():
        m = small_net()
        built.append(m)
        return m

    seen = []
    original = audit_rows.check_tensor

    def spy(name, tensor, exp, **kw):
        seen.append((name, _materialised(built[-1]), tensor.device.type))
        return original(name, tensor, exp, **kw)

    monkeypatch.setattr(audit_rows, "check_tensor", spy)
    report = audit(factory, lazy=True, seed=3)
    assert report.passed, report
    assert report.mode == "lazy"
    assert len(built) == 1  # built once, on the meta device
    model = built[0]
    assert seen, "no tensor was checked"
    for name, live, device in seen:
        owner = name.rsplit(".", 1)[0]
        assert device == "cpu"
        assert live == {owner}, (name, live)  # only the owner of the tensor being checked
    assert {n for n, _, _ in seen} == {r.name for r in report.checked}
    assert _materialised(model) == set()  # everything freed again
    assert all(p.device.type == "meta" for p in model.parameters())


def test_lazy_matches_eager_statuses():
    eager = audit(small_net, lazy=False, seed=0)
    lazy = audit(small_net, lazy=True, seed=0)
    assert eager.mode == "eager" and lazy.mode == "lazy"
    assert [(r.name, r.status, r.expected) for r in eager.rows] == [(r.name, r.status, r.expected) for r in lazy.rows]


def test_lazy_attention_and_convs_pass():
    assert audit(attention_net, lazy=True).passed  # out_proj.bias re-set to 0 by the parent
    assert audit(conv_net, lazy=True).passed


def test_lazy_module_without_reset_is_listed():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.gain = nn.Parameter(torch.ones(64))

    report = audit(lambda: nn.Sequential(nn.Linear(64, 64), Scale()), lazy=True)
    assert "has no reset_parameters()" in report.row("1.gain").reason
    assert report.row("0.weight").status == "pass"


def test_lazy_is_chosen_automatically_for_big_factories(monkeypatch):
    monkeypatch.setattr(audit_model, "AUTO_LAZY_BYTES", 1000)
    report = audit(small_net)
    assert report.mode == "lazy" and any("GiB" in n for n in report.notes)
    monkeypatch.setattr(audit_model, "AUTO_LAZY_BYTES", 1 << 40)
    assert audit(small_net).mode == "eager"


def test_factory_seed_is_reproducible_and_does_not_touch_global_rng():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = audit(small_net, seed=5, lazy=False)
    after = torch.rand(1)
    assert torch.equal(before, after)  # the audit forked the RNG
    b = audit(small_net, seed=5, lazy=False)
    assert [r.pvalue for r in a.rows] == [r.pvalue for r in b.rows]


def test_a_root_owning_a_parameter_is_not_materialised_whole(monkeypatch):
    class Root(nn.Module):  # like a ViT owning its class token
        def __init__(self):
            super().__init__()
            self.token = nn.Parameter(torch.zeros(1, 64))
            self.body = nn.Sequential(nn.Linear(64, 64), nn.Linear(64, 64))

    built = []

    def factory():
        built.append(Root())
        return built[-1]

    seen = []
    original = audit_rows.check_tensor

    def spy(name, tensor, exp, **kw):
        seen.append((name, _materialised(built[-1])))
        return original(name, tensor, exp, **kw)

    monkeypatch.setattr(audit_rows, "check_tensor", spy)
    report = audit(factory, lazy=True)
    assert report.row("body.0.weight").status == "pass"
    assert "does not re-initialise it" in report.row("token").reason
    for name, live in seen:
        assert live == {name.rsplit(".", 1)[0]}, (name, live)
