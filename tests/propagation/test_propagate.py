"""verifier.propagate on real models: theory against measurement, verdicts, hooks removed, errors."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import verifier
from verifier.errors import SourceError, SpecError
from verifier.propagation import assert_propagates, json_schema, propagate


def mlp(init: str, depth: int, width: int, act: type | None = nn.ReLU, inplace: bool = False):
    def build():
        layers = []
        for _ in range(depth):
            lin = nn.Linear(width, width)
            with torch.no_grad():
                if init == "he":
                    nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
                elif init == "xavier":
                    nn.init.xavier_normal_(lin.weight)
                else:
                    nn.init.normal_(lin.weight, 0, width ** -0.5)
                lin.bias.zero_()
            layers.append(lin)
            if act is not None:
                layers.append(act(inplace=True) if inplace else act())
        return nn.Sequential(*layers)

    return build


def test_linear_net_theory_matches_in_expectation() -> None:
    """Linear layers with i.i.d. symmetric weights: E[y²] = fan_in·E[w²]·E[x²] exactly in expectation,
    so the chained and local observed/predicted ratios have intervals over seeds that contain 1."""
    report = propagate(mlp("lecun", 6, 64, act=None), batch=64, seeds=12, confidence=0.99)
    for row in report.layers:
        assert row.ratio is not None and row.ratio.contains(1.0), (row.name, row.ratio)
        assert row.ratio_local is not None and row.ratio_local.contains(1.0)
    backs = [r for r in report.layers if r.grad_ratio is not None]
    assert len(backs) == 5
    for row in backs:
        assert row.grad_ratio.contains(1.0), (row.name, row.grad_ratio)
    assert report.passed


def test_relu_xavier_fails_with_the_right_diagnosis_and_he_passes() -> None:
    bad = propagate(mlp("xavier", 12, 128), batch=64, seeds=4)
    assert not bad.passed
    assert bad.forward.status == "vanishing"
    assert bad.forward.per_layer.contains(0.5)
    assert bad.diagnosis.short.startswith("vanishing forward")
    assert "He" in bad.diagnosis.hint
    assert bad.diagnosis.layer is not None
    dead = [r.dead for r in bad.layers if r.type == "ReLU"]
    assert all(0.45 < d < 0.55 for d in dead)
    good = propagate(mlp("he", 10, 256), batch=64, seeds=6)
    assert good.passed, str(good)
    assert good.diagnosis.short == "ok"
    with pytest.raises(AssertionError, match="PROPAGATION FAIL"):
        assert_propagates(mlp("xavier", 12, 128), batch=64, seeds=3)


def test_inplace_relu_gradients_are_taken_before_the_inplace_op() -> None:
    a = propagate(mlp("he", 4, 64, inplace=True), batch=32, seeds=3)
    b = propagate(mlp("he", 4, 64), batch=32, seeds=3)
    for ra, rb in zip(a.layers, b.layers):
        assert ra.var.values == pytest.approx(rb.var.values, rel=1e-5)
        assert ra.grad_var.values == pytest.approx(rb.grad_var.values, rel=1e-5)


def test_model_is_unchanged_hooks_removed_and_grads_untouched() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 8))
    model.train()
    model[4].weight.grad = torch.ones_like(model[4].weight)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.get_rng_state()
    for training in (False, True):
        report = propagate(model, batch=16, seeds=2, training=training)
        assert report.mode == ("train" if training else "eval")
    after = model.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert model[0].weight.grad is None
    assert torch.equal(model[4].weight.grad, torch.ones_like(model[4].weight))
    assert all(m.training for m in model.modules())
    for m in model.modules():
        assert not m._forward_hooks and not m._backward_hooks and not m._forward_pre_hooks
    assert torch.equal(torch.get_rng_state(), rng)
    assert "weights are fixed" in " ".join(report.notes)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock (conv-bn-relu-conv-bn + identity, relu), written by hand."""

    def __init__(self, c: int, zero_init: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        for conv in (self.conv1, self.conv2):
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
        if zero_init:
            nn.init.zeros_(self.bn2.weight)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + x)


def resnet(zero_init: bool, blocks: int = 10):
    def build():
        stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        nn.init.kaiming_normal_(stem.weight, nonlinearity="relu")
        return nn.Sequential(stem, nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                             *[BasicBlock(8, zero_init) for _ in range(blocks)])

    return build


def test_resnet_block_stack_residual_diagnosis() -> None:
    """Unscaled residual branches add their variance at every block: the residual stream (block
    outputs, chosen with layers=) explodes and the hint says to scale the branches; with the last BN
    of each branch zero-initialised (torchvision's zero_init_residual) it is kept."""
    grows = propagate(resnet(False), input_shape=(3, 8, 8), batch=16, seeds=5, layers=["[3-9]", "1[0-2]"])
    assert grows.chain == tuple(str(i) for i in range(3, 13))
    assert grows.forward.status == "exploding", str(grows)
    assert "residual" in (grows.diagnosis.hint or "")
    kept = propagate(resnet(True), input_shape=(3, 8, 8), batch=16, seeds=5, layers=["[3-9]", "1[0-2]"])
    assert kept.forward.status == "kept", str(kept)
    full = propagate(resnet(False, blocks=2), input_shape=(3, 8, 8), batch=8, seeds=2)
    conv = full["3.conv1"]
    assert conv.kind == "weight" and conv.ratio_local is not None
    assert full.chain[0] == "0" and "4.conv2" in full.chain  # every conv, in the order they ran


def test_transformer_encoder_layer_runs() -> None:
    def build():
        return nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, dropout=0.1, batch_first=True)

    report = propagate(build, input_shape=(10, 32), batch=8, seeds=3)
    names = [r.name for r in report.layers]
    assert "self_attn" in names and "linear1" in names and "norm2" in names
    assert report["self_attn"].kind == "weight"
    assert report.forward.status in ("kept", "vanishing", "exploding", "undecided")
    with pytest.raises(SourceError, match="cannot infer the input shape"):
        propagate(build, batch=4, seeds=2)


def test_conv_net_input_shape_is_inferred() -> None:
    def build():
        net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
                            nn.Flatten(), nn.Linear(16 * 32 * 32, 10))
        for m in net:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        return net

    report = propagate(build, batch=4, seeds=2)
    assert report.input_shape == (3, 32, 32)
    assert any("inferred" in n for n in report.notes)
    # the border-corrected conv law: observed/predicted ≈ 1 layer by layer
    assert report["2"].ratio_local.estimate == pytest.approx(1, rel=0.1)
    assert report["5"].ratio is not None  # the chain runs through Flatten


def test_bad_inputs_give_one_line_errors() -> None:
    class NoGrad(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            with torch.no_grad():
                return self.fc(x)

    for call, exc, text in [
        (lambda: propagate(NoGrad(), batch=4, seeds=2), SourceError, "not differentiable"),
        (lambda: propagate(nn.Sequential(nn.ReLU()), batch=4, seeds=2), SourceError, "input shape"),
        (lambda: propagate(nn.Linear(4, 4), input_shape=(5,), batch=4, seeds=2), SourceError, "failed"),
        (lambda: propagate(nn.Linear(4, 4), seeds=1), SpecError, "2 distinct seeds"),
        (lambda: propagate(nn.Linear(4, 4), k=0.5), SpecError, "k must"),
        (lambda: propagate(nn.Linear(4, 4), layers=["nope"]), SpecError, "matches no module"),
        (lambda: propagate(nn.Linear(4, 4), batch=4, seeds=2), SourceError, "fewer than two"),
        (lambda: propagate({"w": torch.zeros(2)}), SourceError, "state dict"),
    ]:
        with pytest.raises(exc, match=text) as info:
            call()
        assert "\n" not in str(info.value)
        assert isinstance(info.value, ValueError)


def test_json_is_valid_against_the_schema_and_renders() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    report = verifier.propagate(mlp("xavier", 3, 32), batch=16, seeds=2)
    assert isinstance(report, verifier.PropagationReport)
    doc = json.loads(report.to_json())
    jsonschema.validate(doc, json_schema())
    assert doc["schema"] == "verifier.propagation/1"
    text, md = str(report), report.render("markdown")
    assert "PROPAGATION" in text and "| direction |" in md
    html = report.render("html")
    assert html.lower().startswith("<!doctype html>") and "</html>" in html


def test_layers_by_type_and_real_inputs() -> None:
    torch.manual_seed(0)
    model = mlp("he", 4, 32)()
    x = torch.randn(16, 32)
    by_type = propagate(model, x, seeds=2, layers=nn.Linear)
    assert [r.type for r in by_type.layers] == ["Linear"] * 4
    assert by_type.input_shape == (32,)
    a = propagate(model, x, seeds=[0, 1])
    b = propagate(model, lambda s: x, seeds=[0, 1])
    assert a.layer("0").var.values == b.layer("0").var.values  # same inputs: same forward statistics
    assert a.layer("0").var.values[0] == a.layer("0").var.values[1]  # a fixed batch: only the output gradient varies
    assert x.grad is None and not x.requires_grad


def test_frozen_parameters_still_propagate_through_the_input_gradient() -> None:
    torch.manual_seed(0)
    model = mlp("he", 3, 16)()
    for p in model.parameters():
        p.requires_grad_(False)
    report = propagate(model, batch=32, seeds=2)
    assert report.params == ()
    assert all(r.grad_var is not None for r in report.chain_layers)


def test_inputs_are_independent_of_the_weights() -> None:
    """Regression: inputs were drawn from a generator seeded like the weights' global RNG, so the first
    input rows *were* the first weight rows and the first layer's variance came out ×(1 + fan_in/batch)
    (×1.5 at width 64, batch 128). Now each seed's inputs and output gradients are independent streams."""
    import torch

    def net() -> torch.nn.Module:
        lin = torch.nn.Linear(64, 64, bias=False)
        torch.nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        return torch.nn.Sequential(lin, torch.nn.ReLU())

    report = propagate(net, batch=128, seeds=[1, 2, 3, 4, 5])
    first = report.to_dict()["layers"][0]
    ratio = first["forward"]["ratio"] if "ratio" in first.get("forward", {}) else None
    text = str(report).splitlines()
    row = next(line for line in text if line.startswith("0*"))
    low, high = (float(v) for v in row.split("[")[2].split("]")[0].split(","))
    assert low <= 1.0 <= high, row  # observed/predicted interval of the first layer contains 1
    assert ratio is None or abs(ratio - 1) < 0.1


def test_html_report_has_the_shared_structure() -> None:
    """Like the other reports: a banner with the overall status and counts, one collapsible section per
    model, open when it fails (issue 11: the same structure for the propagation report)."""
    import torch

    from verifier.report.propagation import render_html

    def net(init: str) -> torch.nn.Module:
        layers = []
        for _ in range(6):
            lin = torch.nn.Linear(128, 128, bias=False)
            (torch.nn.init.kaiming_normal_ if init == "he" else torch.nn.init.xavier_normal_)(lin.weight)
            layers += [lin, torch.nn.ReLU()]
        return torch.nn.Sequential(*layers)

    good = propagate(lambda: net("he"), batch=256, seeds=4)
    bad = propagate(lambda: net("xavier"), batch=256, seeds=4)
    page = render_html([good, bad], title="t", plots=False)
    assert '<section class="banner FAIL"' in page and "2 models: 1 kept the variance, 1 did not" in page
    assert page.count('<details class="case') == 2
    assert '<details class="case FAIL" id="model-1" open>' in page and '<details class="case PASS" id="model-0">' in page
