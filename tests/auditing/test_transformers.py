"""The transformers preset on BERT, GPT-2 and Llama built from small configs (no hub access).

Correct models pass eagerly and lazily with the same per-tensor verdicts; one broken tensor
fails exactly that tensor with the right diagnosis. Runs in the ``transformers`` tox env.
"""

from __future__ import annotations

import math
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from verifier.auditing import audit  # noqa: E402
from verifier.auditing import model as audit_model  # noqa: E402
from verifier.errors import SourceError  # noqa: E402

N_LAYER = 2


def gpt2():
    cfg = transformers.GPT2Config(n_layer=N_LAYER, n_embd=128, n_head=4, vocab_size=512, n_positions=64,
                                  bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(cfg)


def bert():
    cfg = transformers.BertConfig(num_hidden_layers=N_LAYER, hidden_size=128, num_attention_heads=4,
                                  intermediate_size=256, vocab_size=512, max_position_embeddings=64, pad_token_id=0)
    return transformers.BertForMaskedLM(cfg)


def llama():
    cfg = transformers.LlamaConfig(num_hidden_layers=N_LAYER, hidden_size=128, num_attention_heads=4,
                                   intermediate_size=256, vocab_size=512, pad_token_id=0, bos_token_id=1,
                                   eos_token_id=2)
    return transformers.LlamaForCausalLM(cfg)


FACTORIES = [gpt2, bert, llama]


def _verdicts(report):
    return [(r.name, r.status, r.expected, r.rule) for r in report.rows]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_correct_model_passes_eagerly_and_lazily_with_the_same_verdicts(factory):
    eager = audit(factory, lazy=False, seed=0)
    lazy = audit(factory, lazy=True, seed=1)
    assert eager.preset == lazy.preset == "transformers"
    assert eager.passed, eager
    assert lazy.passed, lazy
    assert _verdicts(eager) == _verdicts(lazy)
    assert len(eager.checked) >= 16
    # every preset rule names the library file and lines it encodes
    for r in eager.checked:
        assert "transformers 5." in r.rule and ".py:" in r.rule, r.rule


def test_gpt2_c_proj_is_depth_scaled_and_cited():
    report = audit(gpt2, lazy=False)
    row = report.row("transformer.h.0.mlp.c_proj.weight")
    assert row.status == "pass"
    assert math.isclose(row.expected_std, 0.02 / math.sqrt(2 * N_LAYER))
    assert "modeling_gpt2.py:446-449" in row.rule
    assert report.row("transformer.h.0.attn.c_attn.weight").expected_std == pytest.approx(0.02)
    assert "tied" in report.row("lm_head.weight").reason


def test_preset_config_names_in_user_rules():
    rules = {"transformer.h.*.c_proj.weight": "normal(std=initializer_range/sqrt(2*n_layer))"}
    report = audit(gpt2, rules, lazy=False)
    assert report.passed and report.rule_usage.clean
    assert report.row("transformer.h.1.attn.c_proj.weight").rule == '[rules] "transformer.h.*.c_proj.weight"'


def _broken(factory, name, fn):
    def build():
        m = factory()
        with torch.no_grad():
            fn(dict(m.named_parameters())[name])
        return m
    return build


BREAKS = [
    (llama, "model.layers.0.mlp.up_proj.weight", lambda p: p.mul_(1.1), "std ×1.09"),
    (bert, "bert.encoder.layer.1.output.dense.weight", lambda p: p.zero_(), "constant tensor"),
    (llama, "model.layers.1.self_attn.k_proj.weight", lambda p: p.view(-1)[7].fill_(float("nan")), "non-finite"),
    (bert, "bert.embeddings.word_embeddings.weight", lambda p: p[0].normal_(0, 0.02), "padding_idx"),
    (gpt2, "transformer.h.1.attn.c_proj.weight", lambda p: p.normal_(0, 0.02), "looks like normal(std=0.02)"),
    (bert, "bert.encoder.layer.0.attention.output.LayerNorm.weight", lambda p: p.fill_(0.5), "differ from 1"),
]


@pytest.mark.parametrize("factory,name,fn,expected", BREAKS, ids=[b[1] for b in BREAKS])
def test_one_broken_tensor_fails_exactly_that_tensor(factory, name, fn, expected):
    report = audit(_broken(factory, name, fn), lazy=False)
    assert [r.name for r in report.failed] == [name]
    assert expected in report.row(name).diagnosis, report.row(name).diagnosis
    assert expected in report.to_text() and expected in report.to_markdown()


def test_untied_head_fails_the_tie_check():
    def untied():
        m = gpt2()
        m.lm_head.weight = torch.nn.Parameter(m.lm_head.weight.detach().clone() * 3)
        return m

    report = audit(untied, lazy=False)
    row = report.row("lm_head.weight")
    assert row.status == "fail" and "declared tied to transformer.wte.weight" in row.diagnosis


def test_torch_preset_refuses_auto_lazy_on_a_pretrained_model(monkeypatch):
    monkeypatch.setattr(audit_model, "AUTO_LAZY_BYTES", 1000)
    with pytest.raises(SourceError, match="cannot audit lazily.*post_init"):
        audit(llama, preset="torch")
    assert audit(llama).mode == "lazy"  # the transformers preset replays _init_weights


def test_other_major_versions_are_refused(monkeypatch):
    from verifier.errors import SpecError

    import sys

    monkeypatch.setattr(sys.modules["transformers"], "__version__", "4.46.3")
    with pytest.raises(SpecError, match="encodes transformers 5.x.*installed 4.46.3"):
        audit(llama, lazy=False)


class _OwnInit(transformers.LlamaForCausalLM):
    """A model whose _init_weights the preset does not encode."""

    def _init_weights(self, module):
        super()._init_weights(module)


def _own_init():
    return _OwnInit(llama().config)


def test_an_unencoded_init_weights_is_listed_not_guessed():
    # post_init applies each nested PreTrainedModel's own _init_weights to its subtree (smart_apply,
    # modeling_utils.py:2408-2416): the inner LlamaModel keeps the generic rules, only lm_head is _OwnInit's
    report = audit(_own_init, lazy=False)
    assert "_OwnInit._init_weights is not encoded" in report.row("lm_head.weight").reason
    assert report.passed and report.row("model.layers.0.mlp.up_proj.weight").status == "pass"
    with_rule = audit(_own_init, {"lm_head.weight": "normal(std=initializer_range)"}, lazy=False)
    assert with_rule.row("lm_head.weight").status == "pass"
