"""Structured specs orthogonal(gain) and sparse(sparsity, std): the law, the parser, check() with their
property checks (gram, zeros per column), calibration over seeds and power on broken initializers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats as st

import verifier
from verifier.errors import SpecError
from verifier.theory.parsing import as_spec
from verifier.theory.specs import SPECS
from verifier.theory.structured import (
    HaarEntry,
    OrthogonalSpec,
    SparseSpec,
    matrix_view,
)


def not_above(rejections: int, reps: int, alpha: float) -> bool:
    return st.binom.sf(rejections - 1, reps, alpha) > 1e-3


# ---- the specs and the law -------------------------------------------------------------------


def test_parse_and_round_trip() -> None:
    assert {"orthogonal", "sparse"} <= set(SPECS)
    for text, spec in [("orthogonal", OrthogonalSpec()), ("orthogonal_(gain=sqrt(2))", OrthogonalSpec(math.sqrt(2))),
                       ("sparse(0.1)", SparseSpec(0.1)), ("sparse_(sparsity=0.5, std=0.02)", SparseSpec(0.5, 0.02))]:
        assert as_spec(text) == spec
        assert as_spec(str(spec)) == spec
    with pytest.raises(SpecError, match="sparsity"):
        as_spec("sparse(1.5)")
    with pytest.raises(SpecError, match="gain"):
        as_spec("orthogonal(gain=-1)")
    with pytest.raises(SpecError, match="at least 2 dimensions"):
        OrthogonalSpec().distribution((16,))


def test_matrix_view_by_layout() -> None:
    assert matrix_view((64, 32, 3, 3), "torch") == (64, 288)
    assert matrix_view((3, 3, 32, 64), "keras") == (288, 64)


@given(hs.integers(2, 400), hs.floats(0.1, 3.0))
@settings(max_examples=40, deadline=None)
def test_haar_entry_moments_and_quantiles(dim: int, gain: float) -> None:
    d = HaarEntry(gain, dim)
    assert math.isclose(d.variance, gain**2 / dim, rel_tol=1e-12)
    assert math.isclose(d.central_moment(4), 3 * gain**4 / (dim * (dim + 2)), rel_tol=1e-12)
    assert math.isclose(d.central_moment(4), float(d.to_scipy().moment(4)), rel_tol=1e-6)
    q = np.array([1e-3, 0.1, 0.5, 0.9, 1 - 1e-3])  # (x = g(2B − 1) loses B's digits right at ±g)
    assert np.allclose(d.cdf(d.ppf(q)), q, rtol=1e-7, atol=1e-12)
    assert np.allclose(d.sf(d.ppf(q)), 1 - q, rtol=1e-6, atol=1e-12)


def test_haar_entry_is_the_law_of_haar_matrices() -> None:
    """Entries of scipy's Haar orthogonal matrices follow HaarEntry (KS over pooled first rows)."""
    rng = np.random.default_rng(0)
    dim = 12
    rows = np.concatenate([st.ortho_group.rvs(dim, random_state=rng)[0] for _ in range(2000)])
    assert st.kstest(rows, HaarEntry(1.0, dim).cdf).pvalue > 1e-3


# ---- orthogonal through check() ------------------------------------------------------------


torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape", [(256, 512), (512, 256), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, math.sqrt(2)])
def test_torch_orthogonal_conforms(shape: tuple[int, ...], gain: float) -> None:
    v = verifier.check(f"torch.nn.init.orthogonal_(gain={gain!r})", f"orthogonal(gain={gain!r})", shape=shape)
    assert v.passed, str(v)
    assert v.check("gram").passed and v.check("gram").statistic <= v.check("gram").bound


def test_orthogonal_detects_wrong_gain_and_non_orthogonal() -> None:
    v = verifier.check("torch.nn.init.orthogonal_(gain=1.0)", "orthogonal(gain=sqrt(2))", shape=(128, 256))
    assert not v.passed and v.check("gram").passed is False
    # right marginal variance, not orthogonal: a plain normal N(0, 1/512)
    v = verifier.check("torch.nn.init.normal_(std=0.04419417382415922)", "orthogonal", shape=(256, 512))
    assert not v.passed and v.check("gram").passed is False


def test_orthogonal_keras_layout_and_draws() -> None:
    g = torch.Generator().manual_seed(0)
    w = torch.nn.init.orthogonal_(torch.empty(64, 3 * 3 * 32), generator=g).T.reshape(3, 3, 32, 64).contiguous()
    assert verifier.check(w.numpy(), "orthogonal", layout="keras").passed
    assert verifier.check("torch.nn.init.orthogonal_", "orthogonal", shape=(32, 64), draws=3).passed


@pytest.mark.parametrize("shape", [(4, 8), (16, 32), (64, 64)])
def test_orthogonal_calibration(shape: tuple[int, int]) -> None:
    """Entries of one matrix are dependent (rows are orthonormal): the verdict's false alarms stay ≤ α."""
    reps = 100
    fails = {a: 0 for a in (0.05, 0.01)}
    for seed in range(reps):
        g = torch.Generator().manual_seed(seed)
        w = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64), generator=g)
        for a in fails:
            fails[a] += not verifier.check(w, "orthogonal", alpha=a).passed
    for a, k in fails.items():
        assert not_above(k, reps, a), (shape, a, k)


# ---- sparse through check() ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_torch_sparse_conforms(dtype: str) -> None:
    for shape, sparsity, std in (((512, 256), 0.1, 0.01), ((256, 128), 0.5, 0.02)):
        v = verifier.check(f"torch.nn.init.sparse_(sparsity={sparsity}, std={std})", f"sparse({sparsity}, std={std})",
                           shape=shape, dtype=dtype)
        assert v.passed, str(v)
        assert v.check("zeros per column").passed


def test_sparse_detects_wrong_zeros_and_wrong_std() -> None:
    v = verifier.check("torch.nn.init.sparse_(sparsity=0.05)", "sparse(0.1)", shape=(512, 256))
    assert not v.passed and v.check("zeros per column").passed is False
    v = verifier.check("torch.nn.init.normal_(std=0.01)", "sparse(0.1)", shape=(512, 256))
    assert not v.passed and "fewer than" in v.check("zeros per column").detail
    v = verifier.check("torch.nn.init.sparse_(sparsity=0.1, std=0.02)", "sparse(0.1)", shape=(512, 256))
    assert not v.passed and v.check("variance").passed is False
    with pytest.raises(SpecError, match="2-D"):
        verifier.check(np.ones((4, 4, 4)), "sparse(0.1)")


def test_sparse_and_orthogonal_in_the_cli(tmp_path) -> None:
    from verifier.cli import main

    assert main(["check", "torch.nn.init.orthogonal_", "--expect", "orthogonal", "--shape", "64,128"]) == 0
    assert main(["check", "torch.nn.init.sparse_(sparsity=0.2)", "--expect", "sparse(0.2)", "--shape", "64,128"]) == 0
    assert main(["check", "torch.nn.init.sparse_(sparsity=0.2)", "--expect", "sparse(0.4)", "--shape", "64,128"]) == 1


def test_orthogonal_and_sparse_in_an_audit() -> None:
    """A rule naming a structured spec is audited with its property checks."""
    nn = torch.nn

    model = nn.Sequential(nn.Linear(128, 64, bias=False), nn.Linear(64, 256, bias=False))
    torch.manual_seed(0)
    nn.init.orthogonal_(model[0].weight)
    nn.init.sparse_(model[1].weight, sparsity=0.25)
    report = verifier.audit(model, rules={"0.weight": "orthogonal", "1.weight": "sparse(0.25)"})
    rows = {r.name: r for r in report.rows}
    assert rows["0.weight"].verdict.passed and rows["0.weight"].verdict.check("gram") is not None
    assert rows["1.weight"].verdict.passed and rows["1.weight"].verdict.check("zeros per column") is not None
    bad = verifier.audit(model, rules={"0.weight": "orthogonal(gain=2.0)", "1.weight": "sparse(0.5)"})
    assert not any(r.verdict.passed for r in bad.rows if r.verdict is not None)
