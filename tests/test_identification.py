"""verifier.identify: every built-in scheme is identified back as top-1, and torch's layer default."""

from __future__ import annotations

import json

import numpy as np
import pytest

import verifier
from verifier.identification import Identification, candidate_specs
from verifier.theory import parse_spec

SHAPE = (256, 512)  # torch layout: fan_in 512 != fan_out 256

NAMED = [
    "xavier_uniform", "xavier_normal", "xavier_normal(truncated=True)",
    "he_uniform", "he_normal", "he_normal(truncated=True)",
    "he_uniform(mode='fan_out')", "he_normal(mode='fan_out')", "he_normal(truncated=True, mode='fan_out')",
    "he_uniform(a=sqrt(5))", "he_normal(nonlinearity='tanh')", "he_uniform(nonlinearity='selu')",
    "lecun_uniform", "lecun_normal", "lecun_normal(truncated=True)",
    "xavier_uniform(nonlinearity='relu')", "xavier_normal(nonlinearity='tanh')",
    "normal(std=0.02)", "uniform(-0.05, 0.05)", "normal(std=0.05, truncated=True)",
]


def _draw(spec: str, seed: int) -> np.ndarray:
    dist = parse_spec(spec).distribution(SHAPE, "torch")
    return dist.sample(SHAPE, rng=seed).astype(np.float32)


@pytest.mark.parametrize("spec", NAMED)
def test_each_scheme_is_identified_back(spec: str) -> None:
    result = verifier.identify(_draw(spec, seed=NAMED.index(spec)))
    canonical = str(parse_spec(spec))
    best = result.best
    assert canonical in {str(parse_spec(s)) for s in (best.spec, *best.equivalents)}, str(result)
    assert result.identified
    assert best.std_ratio_ci[0] <= 1.0 <= best.std_ratio_ci[1] or best.consistent


def test_every_candidate_parses() -> None:
    for text in candidate_specs():
        parse_spec(text)


def test_torch_linear_default_is_kaiming_uniform_a_sqrt5() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    weight = torch.nn.Linear(512, 256).weight
    result = verifier.identify(weight)
    assert result.best.spec == "he_uniform(a=sqrt(5))"
    assert result.best.label == "kaiming_uniform(a=√5)"
    assert "nn.Linear" in result.best.description
    assert result.headline.startswith("matches kaiming_uniform(a=√5) = U(±1/√fan_in)")


def test_readme_identifying_an_initializer() -> None:
    # README: "Identifying an initializer"
    import numpy as np
    import verifier

    w = np.random.default_rng(0).normal(0.0, 0.0213, size=(300, 200))   # some checkpoint's weights
    result = verifier.identify(w)
    print(result.headline)
    # no known scheme fits; best fit normal(std=0.02131) (fitted) = N(0, 0.02131²); nearest named: normal(std=0.02) ...
    assert result.best.fitted and result.best.spec.startswith("normal(std=0.021")
    assert not result.identified

    result = verifier.identify(np.random.default_rng(1).uniform(-0.25, 0.25, size=(64, 32)), layout="keras")
    print(result.headline)   # matches xavier_uniform = U(±√(6/(fan_in+fan_out))), ...; std ratio ...
    assert result.best.spec == "xavier_uniform"


def test_fitted_family_and_json() -> None:
    w = np.random.default_rng(3).uniform(-0.07, 0.07, size=(128, 96))
    result = verifier.identify(w, top=3)
    assert isinstance(result, Identification) and len(result.matches) == 3
    # no named scheme has this bound: the fitted uniform wins over every normal family
    assert result.best.fitted and result.best.spec.startswith("uniform(")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["matches"][0]["fitted"] is True
    assert "shape fit" in str(result)


def test_bfloat16_values_are_identified() -> None:
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    w = torch.empty(256, 512).normal_(0.0, (2 / 512) ** 0.5, generator=g).to(torch.bfloat16)
    assert verifier.identify(w).best.spec == "he_normal"


def test_one_dimensional_needs_fans_for_named_schemes() -> None:
    w = np.random.default_rng(0).normal(0, 0.02, size=4096)
    assert verifier.identify(w).best.spec == "normal(std=0.02)"
    named = verifier.identify(np.random.default_rng(0).normal(0, (2 / 64) ** 0.5, 4096), fan_in=64, fan_out=32)
    assert named.best.spec == "he_normal"


def test_constant_tensors_are_named() -> None:
    for values, spec in ((np.zeros((8, 8)), "zeros"), (np.ones(64, dtype=np.float32), "ones"),
                         (np.full(10, 0.25), "constant(0.25)")):
        result = verifier.identify(values)
        assert result.best.spec == spec and result.identified and result.constant
        assert result.headline.startswith(f"constant: {spec}")
    with pytest.raises(verifier.VerifierError, match="no finite value"):
        verifier.identify(np.full(8, np.nan))


def test_best_fitted_family_of_a_small_uniform_bias_is_uniform() -> None:
    # no fans: every fitted family has std ratio 1, so the goodness of fit decides
    wrong = 0
    for seed in range(20):
        result = verifier.identify(np.random.default_rng(seed).uniform(-0.1, 0.1, 256))
        fitted = next(m for m in result.matches if m.fitted)
        wrong += not fitted.spec.startswith("uniform")
    assert wrong == 0


def test_depth_scaled_std_is_named() -> None:
    w = np.random.default_rng(0).normal(0, 0.02 / np.sqrt(2 * 12), (768, 768)).astype(np.float32)
    result = verifier.identify(w)
    assert result.best.spec == "normal(std=0.02/sqrt(2*12))"
    assert "0.02/√(2·L) for L = 12" in result.headline
    # a std between two depths is not forced onto one
    w = np.random.default_rng(1).normal(0, 0.0213, (768, 768)).astype(np.float32)
    assert not any("sqrt(2*" in m.spec for m in verifier.identify(w, top=50).matches)


# ---- the answer goes through the one pipeline ------------------------------------------------------
@pytest.mark.parametrize("spec", ["he_uniform(a=sqrt(5))", "xavier_normal(truncated=True)", "lecun_normal"])
def test_identified_scheme_verdict_is_the_check_verdict(spec: str) -> None:
    """The verdict reported for the identified scheme is verifier.check's for that spec: same status,
    same checks, same p-values (it comes from verifier.pipeline.evaluate, not from the ranking)."""
    x = _draw(spec, seed=7)
    result = verifier.identify(x)
    assert result.identified and result.verdict is not None
    best = result.best
    reference = verifier.check(x, parse_spec(best.spec), layout="torch")
    assert result.verdict.passed == reference.passed is True
    assert [(c.name, c.statistic, c.pvalue, c.passed) for c in result.verdict.checks] == \
        [(c.name, c.statistic, c.pvalue, c.passed) for c in reference.checks]
    assert (best.ks_statistic, best.ks_pvalue) == (reference.check("ks").statistic, reference.check("ks").pvalue)
    doc = result.to_dict()
    assert doc["matches"][0]["verdict"]["status"] == "pass"
    assert "pass" in str(result).splitlines()[5].split()  # the first row of the table


def test_confirmation_covers_the_top_named_candidates_only() -> None:
    result = verifier.identify(_draw("he_normal", seed=3), top=6, confirm=2)
    confirmed = [m for m in result.matches if m.verdict is not None]
    assert len(confirmed) == 2 and not any(m.fitted for m in confirmed)
    assert all(m.verdict is None for m in result.matches if m.fitted)
    ranking_only = verifier.identify(_draw("he_normal", seed=3), top=6, confirm=0)
    assert all(m.verdict is None for m in ranking_only.matches) and ranking_only.identified


def test_a_scheme_that_fits_the_scale_but_fails_its_check_is_not_identified() -> None:
    """Values of the right scale and family rounded to a 1e-3 grid: the ranking alone would name
    the scheme; the pipeline's ties check rejects it, so nothing is identified."""
    x = np.round(_draw("he_uniform", seed=5) / 1e-3) * 1e-3
    ranking_only = verifier.identify(x, confirm=0)
    assert ranking_only.identified and ranking_only.best.spec == "he_uniform"
    result = verifier.identify(x)
    assert not result.identified
    assert result.verdict is not None and not result.verdict.passed
    assert result.verdict.passed == verifier.check(x, parse_spec(result.best.spec)).passed
    assert result.headline.startswith("no known scheme passes its check")


def test_constant_tensor_is_confirmed_by_the_exact_check() -> None:
    result = verifier.identify(np.zeros((4, 4), dtype=np.float32))
    assert result.identified and result.verdict is not None and result.verdict.passed
    assert result.verdict.checks[0].name == "exact"
